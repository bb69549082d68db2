package bot

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/segmentbot/segmentbot"
)

// FuzzParseCommand feeds the chat command parser arbitrary text: it never
// panics, and what it finds is one of the known verbs, with an argument and
// body lines that are trimmed and come from the text.
func FuzzParseCommand(f *testing.F) {
	for _, seed := range []string{
		"create segment New starters", "rename segment A to B", "delete segment \"Old\"",
		"add to Sales\nann@example.com\r\nbob@example.com", "remove from Sales\n\n x@y.z ",
		"set reply Sales: Welcome!", "schedule Sales at tomorrow 9:00 as News", "my segments",
		"SEGMENTS", "help", "", "\n", "create segment", "create segmentX", "import into ‘Sales’",
		"cancel broadcast  weekly   news", "card \x00", "audience Sales where region exists", "attributes", "users \u202eSales", "create segment Ѕales",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, ok := parseCommand(text)
		if !ok {
			if cmd.verb != "" || cmd.arg != "" || cmd.body != nil {
				t.Fatalf("no command, yet %+v", cmd)
			}
			return
		}
		if !slices.Contains(verbs, cmd.verb) {
			t.Fatalf("verb %q is not a known one", cmd.verb)
		}
		if cmd.arg != strings.TrimSpace(cmd.arg) {
			t.Fatalf("arg %q is not trimmed", cmd.arg)
		}
		for _, l := range cmd.body {
			if l == "" || l != strings.TrimSpace(l) || !strings.Contains(text, l) {
				t.Fatalf("body line %q is empty, untrimmed or not from the text", l)
			}
		}
		if utf8.ValidString(text) && !utf8.ValidString(cmd.arg) {
			t.Fatalf("arg %q of valid text is not valid UTF-8", cmd.arg)
		}
		_ = cleanName(cmd.arg) // must not panic either
	})
}

// FuzzParseCompose feeds the broadcast parser arbitrary first lines and
// messages: it never panics, refuses only with EINVALID, cuts valid text
// only between characters, and a filter it reads reads back from its
// words.
func FuzzParseCompose(f *testing.F) {
	for _, seed := range []string{
		"Sales\nHi", "Sales at tomorrow 9:00 as News\nHi", "News where department is Sales or HR at 9:00\nHi",
		"İİİ where city is İzmir AT in 2 hours\nHi", "\"UK news\" WHERE has no region\nHi", "News where\nHi",
		"News where office is \"Out at sea\" as Ahoy\n# T\nbutton: a | https://e.com",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		text := "broadcast " + rest
		cmd, ok := parseCommand(text)
		if !ok {
			return
		}
		c, err := parseCompose(cmd.arg, messageLines(text))
		if err != nil {
			if segmentbot.ErrorCode(err) != segmentbot.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if utf8.ValidString(text) {
			for _, s := range []string{c.segment, c.when, c.name} {
				if !utf8.ValidString(s) {
					t.Fatalf("%q was cut inside a character: %q", text, s)
				}
			}
		}
		if c.filter != nil {
			back, err := segmentbot.ParseFilter(c.filter.Words())
			if err != nil || back.Words() != c.filter.Words() {
				t.Fatalf("filter %q reads back as %v, %v", c.filter.Words(), back, err)
			}
		}
	})
}
