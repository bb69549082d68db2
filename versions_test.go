package segmentbot_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// requiredModules are DESIGN §9's version rules. govulncheck cannot reach
// its database from the build machines, so this test is what makes a
// downgrade (to a version with a known advisory) fail CI.
var requiredModules = []struct {
	path, min string
	exact     bool // the design card pins it
}{
	{"github.com/infracloudio/msbotbuilder-go", "v0.2.5", true},
	{"github.com/gin-gonic/gin", "v1.12.0", false},
	{"github.com/golang-jwt/jwt/v4", "v4.5.2", false},  // msbotbuilder-go's v4.1.0 has advisories
	{"github.com/lestrrat-go/jwx", "v1.2.31", false},   // msbotbuilder-go's v1.1.7 has advisories
	{"github.com/lestrrat-go/jwx/v3", "v3.4.0", false}, // jwk.Cache keeps "endorsements"
	{"github.com/pressly/goose/v3", "v3.29.0", false},  // embedded-file provider
	{"modernc.org/sqlite", "v1.62.0", false},           // builds with the card's modules
	{"github.com/lib/pq", "v1.12.0", false},            // COPY through a prepared statement
	{"github.com/jmoiron/sqlx", "v1.4.0", false},       // design card
	{"github.com/robfig/cron/v3", "v3.0.1", false},     // design card
	{"github.com/prometheus/client_golang", "v1.0.0", false},
}

// goMod is the require lines of go.mod: module path -> version.
func goMod(t *testing.T) (requires map[string]string, replaces []string) {
	t.Helper()
	raw, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	requires = map[string]string{}
	block := ""
	for _, line := range strings.Split(string(raw), "\n") {
		line, _, _ = strings.Cut(line, "//")
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == ")":
			block = ""
		case len(f) == 2 && f[1] == "(":
			block = f[0]
		case block == "require" && len(f) == 2:
			requires[f[0]] = f[1]
		case f[0] == "require" && len(f) == 3:
			requires[f[1]] = f[2]
		case block == "replace" || f[0] == "replace":
			replaces = append(replaces, strings.TrimSpace(line))
		}
	}
	return requires, replaces
}

func TestGoModKeepsDesignsRequiredVersions(t *testing.T) {
	requires, replaces := goMod(t)
	for _, m := range requiredModules {
		got, ok := requires[m.path]
		switch {
		case !ok:
			t.Errorf("go.mod does not require %s (DESIGN §9: at least %s)", m.path, m.min)
		case m.exact && got != m.min:
			t.Errorf("go.mod requires %s %s; the design card pins %s", m.path, got, m.min)
		case compareVersions(got, m.min) < 0:
			t.Errorf("go.mod requires %s %s, below DESIGN §9's minimum %s", m.path, got, m.min)
		}
	}
	if len(replaces) > 0 {
		t.Errorf("go.mod has replace directives %q; DESIGN §9: the modules build together without them", replaces)
	}
}

// DESIGN §9: modernc.org/libc stays at the version modernc.org/sqlite's
// own go.mod names (goose v3.30, or an upgrade beside sqlite, drags it
// forward and breaks SQLite).
func TestLibcIsTheVersionSQLiteNames(t *testing.T) {
	requires, _ := goMod(t)
	out, err := exec.Command("go", "list", "-m", "-json", "modernc.org/sqlite").Output()
	if err != nil {
		t.Fatalf("go list -m modernc.org/sqlite: %v", err)
	}
	var mod struct{ GoMod string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.GoMod == "" {
		t.Fatalf("go list -m modernc.org/sqlite: %v %s", err, out)
	}
	raw, err := os.ReadFile(mod.GoMod)
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "modernc.org/libc" {
			want = f[1]
		} else if len(f) >= 3 && f[0] == "require" && f[1] == "modernc.org/libc" {
			want = f[2]
		}
	}
	if want == "" {
		t.Fatalf("modernc.org/sqlite's go.mod (%s) names no modernc.org/libc", mod.GoMod)
	}
	if got := requires["modernc.org/libc"]; got != want {
		t.Errorf("go.mod requires modernc.org/libc %s; modernc.org/sqlite %s names %s", got, requires["modernc.org/sqlite"], want)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"v4.5.2", "v4.5.2", 0}, {"v4.5.10", "v4.5.2", 1}, {"v4.1.0", "v4.5.2", -1}, {"v1.2.31", "v1.2.4", 1},
		{"v3.30.0", "v3.29.0", 1}, {"v1.62.0-rc.1", "v1.62.0", -1}, {"v0.0.0-20230129092748-24d4a6f8daec", "v0.1.0", -1},
		{"v4.5.2+incompatible", "v4.5.2", 0},
	} {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// compareVersions orders two semantic versions (vMAJOR.MINOR.PATCH with an
// optional pre-release, which sorts first): -1, 0 or 1.
func compareVersions(a, b string) int {
	na, pa := splitVersion(a)
	nb, pb := splitVersion(b)
	for i := range 3 {
		if na[i] != nb[i] {
			if na[i] < nb[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case pa == pb:
		return 0
	case pa == "":
		return 1
	case pb == "":
		return -1
	case pa < pb:
		return -1
	}
	return 1
}

func splitVersion(v string) (nums [3]int, pre string) {
	v, _, _ = strings.Cut(strings.TrimPrefix(v, "v"), "+")
	v, pre, _ = strings.Cut(v, "-")
	for i, p := range strings.SplitN(v, ".", 3) {
		nums[i], _ = strconv.Atoi(p)
	}
	return nums, pre
}
