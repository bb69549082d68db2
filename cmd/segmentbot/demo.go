package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/segmentbot/segmentbot/bot/teams/faketeams"
)

// demoFlags plays the whole story in-process: the real service (newApp,
// its HTTP handler, the import runner and the scheduler) on a temporary
// SQLite database, with a fake Teams connector, Graph and file host on
// loopback. It prints the chat as a transcript and leaves the files it
// produced in a folder: --out, or a new temporary one.
func demoFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	out := fs.String("out", "", "folder for the CSV files and the log (default: a new temporary folder)")
	return func(ctx context.Context, _ []string) error {
		_, err := runDemo(ctx, *out, e.stdout)
		return err
	}
}

// demoResult is what a demo run produced.
type demoResult struct {
	Dir        string
	ImportID   int64
	ReportRows int // data rows of report.csv
	MemberRows int // data rows of members.csv
	// The broadcast of the last chapter.
	BroadcastID  int64
	DeliveryRows int // data rows of deliveries.csv
	OtherCopies  int // copies to members outside the story's cast
	// The filtered broadcast of the attributes chapter: copies to members
	// outside the story's cast.
	FilteredCopies int
}

func runDemo(ctx context.Context, dir string, stdout io.Writer) (*demoResult, error) {
	start := time.Now()
	if dir == "" {
		d, err := os.MkdirTemp("", "segmentbot-demo-")
		if err != nil {
			return nil, fmt.Errorf("%w", err)
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	t := &transcript{w: stdout, names: map[string]string{}, shown: map[string]string{}}
	fmt.Fprintln(stdout, "segmentbot demo: the real service on a temporary SQLite database, with a fake Teams, Graph and file host on loopback.")
	fmt.Fprintln(stdout, "Every turn below is a signed activity through /api/messages; every bot line is what it sent to the Bot Connector.")

	w, err := startDemoWorld(ctx, dir, t)
	if err != nil {
		return nil, err
	}
	defer w.stop()
	p := newDemoPeople(w.kit)
	w.csv = p.csv
	for _, u := range []faketeams.User{p.admin, p.optedIn, p.optedOut, p.newcomer} {
		t.names[faketeams.PersonalConversation(u)] = u.Name
	}
	s := &story{w: w, p: p, t: t, dir: dir}
	if err := s.tell(); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "\nDone in %.1f s. Files in %s: %s, report.csv, members.csv, deliveries.csv, segmentbot.log\n",
		time.Since(start).Seconds(), dir, demoFileName)
	return &demoResult{Dir: dir, ImportID: s.importID, ReportRows: s.reportRows, MemberRows: s.memberRows,
		BroadcastID: s.bcastID, DeliveryRows: s.deliveryRows, OtherCopies: s.bcastCopies,
		FilteredCopies: s.filteredCopies}, nil
}
