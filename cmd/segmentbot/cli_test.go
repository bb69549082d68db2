package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// lockedBuffer collects output written from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// cli runs the command line args in-process with environ and returns the
// exit status and what it wrote.
func cli(ctx context.Context, environ []string, args ...string) (code int, stdout, stderr string) {
	var out, errs lockedBuffer
	code = run(ctx, args, newEnv(&out, &errs, environ))
	return code, out.String(), errs.String()
}

// untouchable is an environment whose databases must never be touched: a
// SQLite file that must not appear, and a "PostgreSQL" that counts
// connections.
type untouchable struct {
	environ []string
	file    string
	conns   atomic.Int64
}

func newUntouchable(t *testing.T, dialect string) *untouchable {
	u := &untouchable{file: filepath.Join(t.TempDir(), "must-not-exist.db")}
	dsn := "sqlite:" + u.file
	if dialect == "postgres" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				u.conns.Add(1)
				c.Close()
			}
		}()
		dsn = "postgres://app:secret-password@" + ln.Addr().String() + "/db?sslmode=disable"
	}
	u.environ = []string{"DATABASE_URL=" + dsn, "PORT=1", "SEGMENTBOT_DATABASE_WAIT=1s"}
	return u
}

func (u *untouchable) check(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(u.file); !os.IsNotExist(err) {
		t.Errorf("the SQLite file was created (%v)", err)
	}
	if n := u.conns.Load(); n > 0 {
		t.Errorf("%d connections to PostgreSQL", n)
	}
}

func TestEveryCommandAnswersHelpWithItsUsageAndExits0(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		u := newUntouchable(t, dialect)
		for _, c := range commands {
			for _, h := range []string{"-h", "--help"} {
				code, stdout, stderr := cli(context.Background(), u.environ, c.name, h)
				if code != exitOK || !strings.HasPrefix(stdout, "usage: segmentbot "+c.name) || stderr != "" {
					t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want usage on stdout and 0", c.name, h, code, stdout, stderr)
				}
				code, helpOut, _ := cli(context.Background(), u.environ, "help", c.name)
				if code != exitOK || helpOut != stdout {
					t.Errorf("help %s: exit %d and %q, want what %s -h prints", c.name, code, helpOut, c.name)
				}
			}
		}
		u.check(t)
	}
}

func TestHelpDescribesEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, stdout, _ := cli(context.Background(), nil, args...)
		if code != exitOK {
			t.Errorf("%v: exit %d", args, code)
		}
		for _, c := range commands {
			if !strings.Contains(stdout, "\n  "+c.name+" ") || !strings.Contains(stdout, c.summary) {
				t.Errorf("%v does not describe %s:\n%s", args, c.name, stdout)
			}
		}
	}
	for _, want := range []string{"--privacy-url", "--terms-url", "SEGMENTBOT_PUBLIC_URL"} {
		if _, stdout, _ := cli(context.Background(), nil, "help", "manifest"); !strings.Contains(stdout, strings.TrimPrefix(want, "-")) {
			t.Errorf("help manifest does not mention %s:\n%s", want, stdout)
		}
	}
}

func TestBadCommandLinesPrintUsageExit2AndTouchNothing(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		u := newUntouchable(t, dialect)
		for _, args := range [][]string{
			{"--bogus"}, {"serve", "--bogus"}, {"serve", "now"}, {"migrate", "--bogus"}, {"migrate", "up"},
			{"healthcheck", "--bogus"}, {"manifest", "--bogus"}, {"demo", "--bogus"}, {"demo", "extra"},
			{"version", "--bogus"}, {"help", "nothing"}, {"nothing"},
		} {
			code, stdout, stderr := cli(context.Background(), u.environ, args...)
			if code != exitUsage {
				t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr)
			}
			if !strings.HasPrefix(stderr, "segmentbot: ") || !strings.Contains(stderr, "usage: segmentbot") && args[0] != "help" {
				t.Errorf("%v: stderr %q, want the error and the usage", args, stderr)
			}
			if stdout != "" {
				t.Errorf("%v: stdout %q", args, stdout)
			}
		}
		u.check(t)
	}
}

func TestErrorsAreOnePlainLine(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a flag's bad value names the flag", []string{"manifest", "--app-id", appGUID, "--public-url", "http://bot.example.com", "--privacy-url", "https://c.example/p", "--terms-url", "https://c.example/t"},
			exitUsage, `segmentbot: manifest: --public-url must be an absolute https URL (got "http://bot.example.com")`},
		{"a domain error carries its message, not its code", []string{"manifest", "--app-id", "my-bot", "--public-url", "https://bot.example.com", "--privacy-url", "https://c.example/p", "--terms-url", "https://c.example/t", "--out", filepath.Join(dir, "x.zip")},
			exitError, `segmentbot: manifest: The app id "my-bot" is not a GUID (like 00000000-0000-0000-0000-000000000000): use the bot's Microsoft App ID.`},
		{"a missing required flag", []string{"manifest", "--app-id", appGUID, "--public-url", "https://bot.example.com"},
			exitUsage, `segmentbot: manifest: --privacy-url is required`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := cli(context.Background(), nil, tt.args...)
			if code != tt.code || stderr != tt.want+"\n" {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, stderr, tt.code, tt.want)
			}
			if strings.Contains(stderr, "code=") {
				t.Error("the internal error format leaked")
			}
		})
	}
}

const appGUID = "0a1b2c3d-1111-2222-3333-444455556666"

func TestManifestTakesItsDefaultsFromTheEnvironmentAndLinksTheOrganisationsPages(t *testing.T) {
	out := filepath.Join(t.TempDir(), "app.zip")
	environ := []string{"MicrosoftAppId=" + appGUID, "SEGMENTBOT_PUBLIC_URL=https://bot.example.com"}
	code, stdout, stderr := cli(context.Background(), environ, "manifest",
		"--privacy-url", "https://contoso.example/privacy", "--terms-url", "https://contoso.example/terms", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "wrote "+out+"\n" {
		t.Errorf("stdout %q", stdout)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := zr.Open("manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(f)
	var m struct {
		ID        string `json:"id"`
		Developer struct {
			WebsiteURL string `json:"websiteUrl"`
			PrivacyURL string `json:"privacyUrl"`
			TermsURL   string `json:"termsOfUseUrl"`
		} `json:"developer"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != appGUID || m.Developer.WebsiteURL != "https://bot.example.com" ||
		m.Developer.PrivacyURL != "https://contoso.example/privacy" || m.Developer.TermsURL != "https://contoso.example/terms" {
		t.Errorf("manifest %+v", m)
	}
}
