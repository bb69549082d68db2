package manifest_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot/manifest"
)

// appManifestPackage is Microsoft's npm package that ships the Teams
// manifest JSON schemas (and depends on ajv, which validates them).
const appManifestPackage = "@microsoft/app-manifest@1.1.2"

// validateScript checks a manifest against a schema the way the package's
// own validateManifestAgainstSchema does (ajv draft-04 with formats).
const validateScript = `
const fs = require("fs");
const Ajv = require("ajv-draft-04");
const addFormats = require("ajv-formats");
const [schemaPath, manifestPath] = process.argv.slice(2);
const ajv = new Ajv({ allErrors: true, strictTypes: false });
addFormats(ajv, ["uri", "email", "regex"]);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, "utf8")));
if (!validate(JSON.parse(fs.readFileSync(manifestPath, "utf8")))) {
  for (const e of validate.errors) console.log(e.instancePath + " " + e.message + " " + JSON.stringify(e.params));
  process.exit(1);
}
console.log("valid");
`

// schemaTools installs the npm package into a cache directory once and
// returns it, or skips the test when node or npm cannot be had.
func schemaTools(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("schema validation needs %s, which is not installed: %v", tool, err)
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "segmentbot-test", strings.NewReplacer("@", "", "/", "-").Replace(appManifestPackage))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@microsoft", "app-manifest", "package.json")); err == nil {
		return dir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("npm", "install", "--prefix", dir, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", appManifestPackage)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("schema validation skipped: npm install %s failed (offline?): %v\n%s", appManifestPackage, err, out)
	}
	return dir
}

func TestManifestMatchesTheOfficialSchema(t *testing.T) {
	dir := schemaTools(t)
	schema := filepath.Join(dir, "node_modules", "@microsoft", "app-manifest", "build", "json-schemas", "teams",
		"v"+manifest.ManifestVersion, "MicrosoftTeams.schema.json")
	if _, err := os.Stat(schema); err != nil {
		t.Fatalf("%s does not ship schema v%s: %v", appManifestPackage, manifest.ManifestVersion, err)
	}
	tmp := t.TempDir()
	script := filepath.Join(tmp, "validate.js")
	if err := os.WriteFile(script, []byte(validateScript), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts manifest.Options
	}{
		{"all options set", goodOptions},
		{"defaults", manifest.Options{AppID: appID, PublicURL: "https://bot.example.com", PrivacyURL: privacyURL, TermsURL: termsURL}},
		{"longest name and description", manifest.Options{
			AppID: appID, PublicURL: "https://bot.example.com/teams", PrivacyURL: privacyURL, TermsURL: termsURL,
			Name: strings.Repeat("n", 30), ShortDescription: strings.Repeat("d", 80), Version: "2.0.0-rc.1+build.5",
		}},
		{"with webApplicationInfo", manifest.Options{
			AppID: appID, PublicURL: "https://bot.example.com", TeamsAppID: "99999999-8888-4777-8666-555555555555",
			PrivacyURL: privacyURL, TermsURL: termsURL,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := manifest.Manifest(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "manifest.json")
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("node", script, schema, path)
			cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				t.Fatalf("manifest.json breaks schema v%s:\n%s\n%s", manifest.ManifestVersion, out, raw)
			} else if err != nil {
				t.Fatalf("run node: %v\n%s", err, out)
			}
		})
	}
}
