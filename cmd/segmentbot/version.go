package main

import (
	"context"
	"flag"
	"fmt"
	"runtime/debug"
	"strings"
)

// buildVersion is stamped by the build: go build -ldflags
// "-X main.buildVersion=1.4.0" (the Dockerfile's VERSION build argument).
var buildVersion string

func versionFlags(_ *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(context.Context, []string) error {
		fmt.Fprintln(e.stdout, "segmentbot", version())
		return nil
	}
}

// version is the stamped version or, without one, what the Go toolchain
// recorded: the module version and the commit when it was built in a
// checkout, and plainly "devel" when nothing says more (go run).
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel (no build information)"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, at, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	parts := []string{v}
	switch {
	case rev != "":
		c := "commit " + rev[:min(12, len(rev))]
		if at != "" {
			c += " of " + at
		}
		if modified == "true" {
			c += " with local changes"
		}
		parts = append(parts, c)
	case v == "devel":
		parts = append(parts, `no version stamped: build with -ldflags "-X main.buildVersion=VERSION"`)
	}
	return strings.Join(parts, ", ") + " (" + bi.GoVersion + ")"
}
