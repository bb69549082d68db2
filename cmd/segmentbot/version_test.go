package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// dockerStamp is the -X flag of the Dockerfile's go build and the build
// argument it takes its value from.
var dockerStamp = regexp.MustCompile(`-X ([\w./]+)=\$\{(\w+)\}`)

// stampedBinary builds the service as the Dockerfile does, with
// VERSION=v9.8.7-test, once per test run.
var stampedBinary = sync.OnceValues(func() (string, error) {
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		return "", err
	}
	m := dockerStamp.FindStringSubmatch(string(dockerfile))
	if m == nil || !strings.Contains(string(dockerfile), "ARG "+m[2]) {
		return "", errNoStamp
	}
	dir, err := os.MkdirTemp("", "segmentbot-version-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "segmentbot")
	out, err := exec.Command("go", "build", "-ldflags", "-X "+m[1]+"=v9.8.7-test", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{err, string(out)}
	}
	return bin, nil
})

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

var errNoStamp = &buildError{err: os.ErrNotExist, out: "the Dockerfile's go build sets no -X NAME=${ARG} from a declared ARG"}

func TestTheDockerBuildStampsTheVersionThatVersionPrints(t *testing.T) {
	bin, err := stampedBinary()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(bin))
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "segmentbot v9.8.7-test\n" {
		t.Errorf("version printed %q, want the stamped v9.8.7-test", out)
	}
	t.Run("the binary's exit statuses", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			code int
		}{{[]string{"serve", "-h"}, 0}, {[]string{"serve", "--bogus"}, 2}, {[]string{"manifest", "--app-id", appGUID}, 2}} {
			cmd := exec.Command(bin, c.args...)
			cmd.Env = []string{"DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "x.db")}
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.code {
				t.Errorf("%v: exit %d, want %d", c.args, code, c.code)
			}
		}
	})
}

// Without a stamp, version says honestly what it knows.
func TestAnUnstampedBuildSaysSo(t *testing.T) {
	v := version()
	if !strings.Contains(v, "devel") && !strings.Contains(v, "commit ") && !strings.HasPrefix(v, "v") {
		t.Errorf("version() = %q", v)
	}
	if strings.Contains(v, "devel") && !strings.Contains(v, "no version stamped") && !strings.Contains(v, "commit ") {
		t.Errorf("version() = %q: a devel build must say it has no version", v)
	}
}
