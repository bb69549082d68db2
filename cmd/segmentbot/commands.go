package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand: its flags, its help, and what it does once
// its flags are parsed.
type command struct {
	name    string
	args    string // what follows the name in the usage line, e.g. "[--out DIR]"
	summary string // one line for `segmentbot help`
	details string // what `segmentbot help NAME` adds
	maxArgs int    // positional arguments allowed after the flags
	// flags declares the command's flags on fs and returns its action.
	flags func(fs *flag.FlagSet, e *env) func(ctx context.Context, args []string) error
}

// commands are listed in this order by `segmentbot help`. (Set in init:
// help refers to the list.)
var commands []*command

func init() {
	commands = []*command{
		{
			name: "serve", summary: "run the service (the default command); applies migrations at start",
			details: "Configuration comes from the environment (README, \"Configuration\"); a bad value stops start-up with one\n" +
				"line naming the variable. Without MicrosoftAppId, Teams authentication is off and the service listens on\n" +
				"loopback only (127.0.0.1 and ::1), enough for Agents Playground; SEGMENTBOT_AUTH=off makes it listen on every\n" +
				"interface without authentication, logged as an error. SIGTERM or Ctrl-C drains requests and stops.",
			flags: serveFlags,
		},
		{
			name: "migrate", summary: "apply the database migrations to DATABASE_URL and exit",
			details: "Start-up of serve applies them too; migrate is for a deploy step that runs before the service.",
			flags:   migrateFlags,
		},
		{
			name: "demo", args: "[--out DIR]", summary: "play the whole story in-process against a fake Teams, printed as a chat transcript",
			details: "The real service runs on a temporary SQLite database with a fake Bot Connector, login, Graph and file\n" +
				"host on loopback; DATABASE_URL and the other variables are not read. The CSV files and the log are left in DIR.",
			flags: demoFlags,
		},
		{
			name:    "manifest",
			args:    "--app-id ID --public-url URL --privacy-url URL --terms-url URL [--name N] [--version V] [--out FILE]",
			summary: "build the Teams app package (a zip to upload to Teams)",
			details: "--app-id defaults to MicrosoftAppId and --public-url to SEGMENTBOT_PUBLIC_URL. The privacy and terms\n" +
				"links are your organisation's pages: Teams shows them on the app's page, and segmentbot has none of its own.",
			flags: manifestFlags,
		},
		{
			name: "healthcheck", args: "[--url URL] [--timeout D]", summary: "probe /healthz of a running service on PORT (the Docker HEALTHCHECK)",
			details: "Exits 0 when the service answers 200, 1 otherwise.",
			flags:   healthcheckFlags,
		},
		{
			name: "version", summary: "print the version of this build",
			flags: versionFlags,
		},
		{
			name: "help", args: "[COMMAND]", summary: "describe every command, or one", maxArgs: 1,
			flags: helpFlags,
		},
	}
}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// printUsage writes the command's usage line, what it does and its flags.
func (c *command) printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: segmentbot %s\n\n%s.\n", strings.TrimSpace(c.name+" "+c.args), capitalize(c.summary))
	if c.details != "" {
		fmt.Fprintf(w, "\n%s\n", c.details)
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// printHelp describes every command.
func printHelp(w io.Writer) {
	fmt.Fprintln(w, "segmentbot keeps the audience segments of your broadcasts, in Teams and Workplace chat.")
	fmt.Fprintln(w)
	printCommands(w)
	fmt.Fprintln(w, "\n`segmentbot help COMMAND` or `segmentbot COMMAND -h` shows a command's flags.")
}

func printCommands(w io.Writer) {
	fmt.Fprintln(w, "usage: segmentbot [COMMAND] [FLAGS]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
}

func helpFlags(_ *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(_ context.Context, args []string) error {
		if len(args) == 0 {
			printHelp(e.stdout)
			return nil
		}
		c := findCommand(args[0])
		if c == nil {
			return usageErrorf("unknown command %q (try segmentbot help)", args[0])
		}
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.flags(fs, e) // declares the flags; the action is not run
		c.printUsage(e.stdout, fs)
		return nil
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
