// Command segmentbot runs the segment bot: `serve` (the default) runs the
// service, `migrate` applies database migrations, `demo` plays a scripted
// conversation against an in-process fake Teams, `manifest` builds the
// Teams app package, `healthcheck` probes a running service, `version`
// prints the build, `help` describes them. This is the only place that
// wires the rooms together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/segmentbot/segmentbot/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], newEnv(os.Stdout, os.Stderr, os.Environ()))
	stop()
	os.Exit(code)
}

// env is what a command sees of its process: its output and its
// environment.
type env struct {
	stdout, stderr io.Writer
	environ        []string
	vars           map[string]string
}

func newEnv(stdout, stderr io.Writer, environ []string) *env {
	e := &env{stdout: stdout, stderr: stderr, environ: environ, vars: map[string]string{}}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		e.vars[k] = v
	}
	return e
}

func (e *env) getenv(k string) string { return e.vars[k] }

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// run runs the command args name (serve when none) and returns the exit
// status. Every command parses its flags before it does anything else.
func run(ctx context.Context, args []string, e *env) int {
	name := "serve"
	if len(args) > 0 {
		switch {
		case isHelpFlag(args[0]):
			printHelp(e.stdout)
			return exitOK
		case !strings.HasPrefix(args[0], "-"):
			name, args = args[0], args[1:]
		}
	}
	cmd := findCommand(name)
	if cmd == nil {
		fmt.Fprintf(e.stderr, "segmentbot: unknown command %q\n", name)
		printCommands(e.stderr)
		return exitUsage
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run prints the errors and the usage itself
	fs.Usage = func() {}
	action := cmd.flags(fs, e)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		cmd.printUsage(e.stdout, fs)
		return exitOK
	}
	if err == nil && fs.NArg() > cmd.maxArgs {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(cmd.maxArgs))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "segmentbot: %s: %s\n", name, err)
		cmd.printUsage(e.stderr, fs)
		return exitUsage
	}
	if err := action(ctx, fs.Args()); err != nil {
		// Masked once more here: no error line may carry the password.
		fmt.Fprintf(e.stderr, "segmentbot: %s: %s\n", name, scrub(oneLine(err), dbSecrets(e.getenv("DATABASE_URL"))))
		var ue usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		return exitError
	}
	return exitOK
}

func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help":
		return true
	}
	return false
}

// usageError is a command line the command cannot run with (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// oneLine keeps an error on one line, whatever joined it.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// newLogger writes JSON lines at level to w, with every secret replaced
// (the database password).
func newLogger(w io.Writer, level slog.Level, secrets []string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(scrubHandler{Handler: h, secrets: secrets})
}

// loadConfig reads the configuration through getenv (the demo and the
// tests; commands use config.LoadEnviron).
func loadConfig(getenv func(string) string) (*config.Config, error) {
	return config.Load(getenv)
}
