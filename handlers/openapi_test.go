package handlers

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// ginParam matches a Gin path parameter (:id) to turn it into {id}.
var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

func TestOpenAPIMatchesRoutes(t *testing.T) {
	raw, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0") {
		t.Fatalf("openapi version %q, want 3.0.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" && method != "summary" && method != "description" {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}

	served := map[string]bool{}
	for _, r := range newEngine(newFixture(t, openSQLite(t)).deps).Routes() {
		if strings.HasPrefix(r.Path, "/v1/") {
			served[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
		}
	}

	for _, route := range sorted(served) {
		t.Run(route+" is documented", func(t *testing.T) {
			if !documented[route] {
				t.Fatal("missing from docs/openapi.yaml")
			}
		})
	}
	for _, route := range sorted(documented) {
		t.Run(route+" is served", func(t *testing.T) {
			if !served[route] {
				t.Fatal("documented but not routed")
			}
		})
	}
}

func sorted(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
