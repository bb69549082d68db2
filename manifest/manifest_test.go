package manifest_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/manifest"
)

const (
	appID      = "0A1B2C3D-1111-2222-3333-444455556666"
	privacyURL = "https://contoso.example/privacy"
	termsURL   = "https://contoso.example/terms"
)

var goodOptions = manifest.Options{
	AppID:            appID,
	Name:             "Audience bot",
	ShortDescription: "Join and leave broadcast audiences.",
	PublicURL:        "https://bot.example.com:8443/",
	PrivacyURL:       privacyURL,
	TermsURL:         termsURL,
	Version:          "1.4.2",
}

// unzip returns the files of an app package by name.
func unzip(t *testing.T, pkg []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatalf("the package is not a zip: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("open %s: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		files[f.Name] = b
	}
	return files
}

func TestBuildPackagesManifestAndIconsAtTheRoot(t *testing.T) {
	pkg, err := manifest.Build(goodOptions)
	if err != nil {
		t.Fatal(err)
	}
	files := unzip(t, pkg)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"color.png", "manifest.json", "outline.png"}; !slices.Equal(names, want) {
		t.Fatalf("files = %v, want %v", names, want)
	}
	again, err := manifest.Build(goodOptions)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pkg, again) {
		t.Error("two builds with the same options differ; the package should be reproducible")
	}
}

// teamsManifest is the part of manifest.json the tests read.
type teamsManifest struct {
	Schema          string `json:"$schema"`
	ManifestVersion string `json:"manifestVersion"`
	Version         string `json:"version"`
	ID              string `json:"id"`
	Developer       struct {
		Name       string `json:"name"`
		WebsiteURL string `json:"websiteUrl"`
		PrivacyURL string `json:"privacyUrl"`
		TermsURL   string `json:"termsOfUseUrl"`
	} `json:"developer"`
	Name struct {
		Short string `json:"short"`
	} `json:"name"`
	Description struct {
		Short string `json:"short"`
		Full  string `json:"full"`
	} `json:"description"`
	Icons struct {
		Color   string `json:"color"`
		Outline string `json:"outline"`
	} `json:"icons"`
	Bots []struct {
		BotID         string   `json:"botId"`
		Scopes        []string `json:"scopes"`
		SupportsFiles bool     `json:"supportsFiles"`
		CommandLists  []struct {
			Scopes   []string `json:"scopes"`
			Commands []struct {
				Title string `json:"title"`
			} `json:"commands"`
		} `json:"commandLists"`
	} `json:"bots"`
	ValidDomains []string `json:"validDomains"`
}

func TestManifestDescribesTheBot(t *testing.T) {
	raw, err := manifest.Manifest(goodOptions)
	if err != nil {
		t.Fatal(err)
	}
	var m teamsManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest.json is not JSON: %v\n%s", err, raw)
	}
	wantSchema := "https://developer.microsoft.com/en-us/json-schemas/teams/v" + manifest.ManifestVersion + "/MicrosoftTeams.schema.json"
	checks := []struct {
		name      string
		got, want any
	}{
		{"schema URL names the manifest version", m.Schema, wantSchema},
		{"manifest version", m.ManifestVersion, manifest.ManifestVersion},
		{"app version", m.Version, "1.4.2"},
		{"app id is the bot's app id, lower case", m.ID, "0a1b2c3d-1111-2222-3333-444455556666"},
		{"bot id", m.Bots[0].BotID, "0a1b2c3d-1111-2222-3333-444455556666"},
		{"short name", m.Name.Short, "Audience bot"},
		{"short description", m.Description.Short, "Join and leave broadcast audiences."},
		{"developer site is the public URL", m.Developer.WebsiteURL, "https://bot.example.com:8443"},
		{"privacy link is the organisation's page", m.Developer.PrivacyURL, privacyURL},
		{"terms link is the organisation's page", m.Developer.TermsURL, termsURL},
		{"valid domains hold the public host without port", m.ValidDomains, []string{"bot.example.com"}},
		{"bot scopes", m.Bots[0].Scopes, []string{"personal", "team"}},
		{"bot accepts files in personal chat", m.Bots[0].SupportsFiles, true},
		{"colour icon", m.Icons.Color, "color.png"},
		{"outline icon", m.Icons.Outline, "outline.png"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if g, w := mustJSON(t, c.got), mustJSON(t, c.want); g != w {
				t.Errorf("got %s, want %s", g, w)
			}
		})
	}
	t.Run("command list has the end-user commands for personal and team", func(t *testing.T) {
		if len(m.Bots[0].CommandLists) != 1 {
			t.Fatalf("command lists = %d, want 1", len(m.Bots[0].CommandLists))
		}
		list := m.Bots[0].CommandLists[0]
		var titles []string
		for _, c := range list.Commands {
			titles = append(titles, c.Title)
		}
		want := []string{"help", "my segments", "segments", "unsubscribe"}
		if !slices.Equal(titles, want) || !slices.Equal(list.Scopes, []string{"personal", "team"}) {
			t.Errorf("commands = %v in %v, want %v in [personal team]", titles, list.Scopes, want)
		}
	})
}

func TestManifestFillsDefaults(t *testing.T) {
	raw, err := manifest.Manifest(manifest.Options{AppID: appID, PublicURL: "https://bot.example.com", PrivacyURL: privacyURL, TermsURL: termsURL})
	if err != nil {
		t.Fatal(err)
	}
	var m teamsManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Name.Short != manifest.DefaultName || m.Description.Short != manifest.DefaultShortDescription || m.Version != manifest.DefaultVersion {
		t.Errorf("defaults not filled: name %q, description %q, version %q", m.Name.Short, m.Description.Short, m.Version)
	}
}

func TestManifestKeepsSpecialCharactersReadable(t *testing.T) {
	opts := goodOptions
	opts.Name = `Sales & "News"`
	raw, err := manifest.Manifest(opts)
	if err != nil {
		t.Fatal(err)
	}
	var m teamsManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("a name with quotes broke the JSON: %v", err)
	}
	if m.Name.Short != opts.Name || !bytes.Contains(raw, []byte("Sales & ")) {
		t.Errorf("name = %q; raw JSON should keep & unescaped", m.Name.Short)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuildRejectsBadOptions(t *testing.T) {
	long := func(n int) string { return string(bytes.Repeat([]byte("x"), n)) }
	tests := []struct {
		name   string
		change func(o *manifest.Options)
	}{
		{"empty app id", func(o *manifest.Options) { o.AppID = "" }},
		{"app id that is not a GUID", func(o *manifest.Options) { o.AppID = "my-bot" }},
		{"app id GUID in braces", func(o *manifest.Options) { o.AppID = "{" + appID + "}" }},
		{"empty public URL", func(o *manifest.Options) { o.PublicURL = "" }},
		{"plain http public URL", func(o *manifest.Options) { o.PublicURL = "http://bot.example.com" }},
		{"relative public URL", func(o *manifest.Options) { o.PublicURL = "/bot" }},
		{"public URL without host", func(o *manifest.Options) { o.PublicURL = "https:///path" }},
		{"public URL with credentials", func(o *manifest.Options) { o.PublicURL = "https://user:pw@bot.example.com" }},
		{"no privacy URL", func(o *manifest.Options) { o.PrivacyURL = "" }},
		{"plain http privacy URL", func(o *manifest.Options) { o.PrivacyURL = "http://contoso.example/privacy" }},
		{"no terms URL", func(o *manifest.Options) { o.TermsURL = "" }},
		{"relative terms URL", func(o *manifest.Options) { o.TermsURL = "/terms" }},
		{"name longer than 30", func(o *manifest.Options) { o.Name = long(31) }},
		{"short description longer than 80", func(o *manifest.Options) { o.ShortDescription = long(81) }},
		{"version that is not semantic", func(o *manifest.Options) { o.Version = "v1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := goodOptions
			tt.change(&opts)
			pkg, err := manifest.Build(opts)
			if err == nil {
				t.Fatalf("Build(%+v) gave %d bytes, want an error", opts, len(pkg))
			}
			if code := segmentbot.ErrorCode(err); code != segmentbot.EINVALID {
				t.Errorf("code = %q, want %q: %v", code, segmentbot.EINVALID, err)
			}
		})
	}
}

func TestIcons(t *testing.T) {
	pkg, err := manifest.Build(goodOptions)
	if err != nil {
		t.Fatal(err)
	}
	files := unzip(t, pkg)
	decode := func(t *testing.T, name string) image.Image {
		t.Helper()
		img, err := png.Decode(bytes.NewReader(files[name]))
		if err != nil {
			t.Fatalf("%s is not a PNG: %v", name, err)
		}
		return img
	}

	t.Run("colour icon is 192x192 and opaque", func(t *testing.T) {
		img := decode(t, "color.png")
		if b := img.Bounds(); b.Dx() != 192 || b.Dy() != 192 {
			t.Fatalf("size = %dx%d, want 192x192", b.Dx(), b.Dy())
		}
		colours := map[[3]uint32]bool{}
		for y := range 192 {
			for x := range 192 {
				r, g, b, a := img.At(x, y).RGBA()
				if a != 0xFFFF {
					t.Fatalf("pixel (%d,%d) alpha %d, want opaque", x, y, a)
				}
				colours[[3]uint32{r, g, b}] = true
			}
		}
		if len(colours) < 2 {
			t.Error("the colour icon is one flat colour: no glyph drawn")
		}
	})

	t.Run("outline icon is 32x32, white on transparent", func(t *testing.T) {
		img := decode(t, "outline.png")
		if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
			t.Fatalf("size = %dx%d, want 32x32", b.Dx(), b.Dy())
		}
		opaque, clear := 0, 0
		for y := range 32 {
			for x := range 32 {
				c := img.At(x, y)
				_, _, _, a := c.RGBA()
				switch {
				case a == 0:
					clear++
					continue
				case a == 0xFFFF:
					opaque++
				}
				// Non-premultiplied colour must be white wherever anything shows.
				n := color.NRGBAModel.Convert(c).(color.NRGBA)
				if n.R != 0xFF || n.G != 0xFF || n.B != 0xFF {
					t.Fatalf("pixel (%d,%d) = %+v, want white", x, y, n)
				}
			}
		}
		for _, p := range [][2]int{{0, 0}, {31, 0}, {0, 31}, {31, 31}} {
			if _, _, _, a := img.At(p[0], p[1]).RGBA(); a != 0 {
				t.Errorf("corner %v is not transparent", p)
			}
		}
		if opaque == 0 || clear == 0 {
			t.Errorf("opaque %d, transparent %d pixels: want both a glyph and a background", opaque, clear)
		}
	})
}

func TestManifestWebApplicationInfo(t *testing.T) {
	const catalogID = "99999999-8888-4777-8666-555555555555"
	const aadID = "AAAAAAAA-1111-4222-8333-444444444444"
	webApp := func(t *testing.T, opts manifest.Options) map[string]any {
		t.Helper()
		raw, err := manifest.Manifest(opts)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("manifest.json is not JSON: %v\n%s", err, raw)
		}
		info, _ := m["webApplicationInfo"].(map[string]any)
		return info
	}
	t.Run("absent without a catalog or AAD app id", func(t *testing.T) {
		if info := webApp(t, goodOptions); info != nil {
			t.Errorf("webApplicationInfo = %v, want none", info)
		}
	})
	t.Run("a catalog id adds it with the bot's app id", func(t *testing.T) {
		opts := goodOptions
		opts.TeamsAppID = catalogID
		info := webApp(t, opts)
		want := map[string]any{"id": "0a1b2c3d-1111-2222-3333-444455556666", "resource": "api://bot.example.com/0a1b2c3d-1111-2222-3333-444455556666"}
		if mustJSON(t, info) != mustJSON(t, want) {
			t.Errorf("webApplicationInfo = %v, want %v", info, want)
		}
	})
	t.Run("an AAD app id names the app that holds the permission", func(t *testing.T) {
		opts := goodOptions
		opts.TeamsAppID, opts.AADAppID = catalogID, aadID
		info := webApp(t, opts)
		if info["id"] != "aaaaaaaa-1111-4222-8333-444444444444" || info["resource"] != "api://bot.example.com/aaaaaaaa-1111-4222-8333-444444444444" {
			t.Errorf("webApplicationInfo = %v", info)
		}
	})
	for _, tt := range []struct{ name, catalog, aad, says string }{
		{"a catalog id that is not a GUID", "my-app", "", "catalog id"},
		{"an AAD app id that is not a GUID", "", "client-id", "Azure AD app id"},
	} {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			opts := goodOptions
			opts.TeamsAppID, opts.AADAppID = tt.catalog, tt.aad
			_, err := manifest.Manifest(opts)
			if segmentbot.ErrorCode(err) != segmentbot.EINVALID || !strings.Contains(segmentbot.ErrorMessage(err), tt.says) {
				t.Errorf("err = %v, want EINVALID naming the %s", err, tt.says)
			}
		})
	}
}
