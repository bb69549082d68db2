package cards_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/cards"
)

// adaptiveCardsVersion is the official renderer library the cards are
// checked with.
const adaptiveCardsVersion = "3.0.6"

// TestCardsParseWithTheAdaptiveCardsLibrary feeds every kind of card the bot
// sends to the official adaptivecards npm package and fails on any parse or
// validation event, or on a property the library does not know. It needs
// node and npm (the package is installed once into the user cache, never
// into the repository) and is skipped without them.
func TestCardsParseWithTheAdaptiveCardsLibrary(t *testing.T) {
	modules := adaptiveCardsModules(t)

	many := segmentbot.Message{Title: "Pick a segment"}
	for i := range 7 {
		many.Buttons = append(many.Buttons, segmentbot.Button{Title: fmt.Sprint("Segment ", i), Action: optIn(int64(i))})
	}
	image := segmentbot.Message{Title: "News", ImageURL: "https://bot.example.com/news.png", Text: "a\nb\n\nc"}
	all := map[string]any{
		"segment card (submit)":  cards.Adaptive(segmentCard(false)),
		"segment card (execute)": cards.Adaptive(segmentCard(true)),
		"report card":            cards.Adaptive(reportCard()),
		"help card":              cards.Adaptive(helpCard()),
		"many buttons":           cards.Adaptive(many),
		"image card":             cards.Adaptive(image),
		"empty card":             cards.Adaptive(segmentbot.Message{}),
		"broadcast copy":         cards.Adaptive(broadcastCopy()),
		"broadcast given card":   cards.Adaptive(givenCardCopy()),
	}
	msg := carousel()
	msg.Buttons = []segmentbot.Button{{Title: "Done", Say: "done"}}
	_, atts := cards.Attachments(msg)
	for i, a := range atts {
		all[fmt.Sprint("carousel card ", i)] = a.Content
	}

	raw, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cards.json")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("testdata/validate.js")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script, file)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("adaptivecards %s rejects the cards: %v\n%s", adaptiveCardsVersion, err, out)
	}
	t.Logf("%s", out)
}

// adaptiveCardsModules returns a node_modules folder holding adaptivecards,
// installing it into the user cache on first use.
func adaptiveCardsModules(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH; the Adaptive Card parser check needs node and npm", tool)
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no user cache dir for the adaptivecards package: %v", err)
	}
	dir := filepath.Join(cache, "segmentbot", "adaptivecards-"+adaptiveCardsVersion)
	modules := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "adaptivecards", "dist", "adaptivecards.js")); err == nil {
		return modules
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Skipf("cannot create the cache dir: %v", err)
	}
	// Install next to the final place and rename, so a parallel or
	// interrupted run never sees half a package.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
	if err != nil {
		t.Skipf("cannot create the cache dir: %v", err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", tmp, "--no-audit", "--no-fund",
		"--ignore-scripts", "--omit=peer", "--no-save", "adaptivecards@"+adaptiveCardsVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("npm install adaptivecards@%s failed, skipping the parser check: %v\n%s", adaptiveCardsVersion, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil && !os.IsExist(err) {
		if _, statErr := os.Stat(modules); statErr != nil {
			t.Skipf("cannot move the installed package into the cache: %v", err)
		}
	}
	return modules
}
