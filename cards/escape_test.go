package cards_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/cards"
)

// Issue 15.3: given names show as typed in every rendering that reads
// Markdown: the Adaptive Card and the carousel's lead text. Meta renders
// no Markdown, so its texts and templates carry names as typed, without
// the escapes a reader would see. A Markdown message keeps its Text.
func TestPlainTextIsMarkdownEscaped(t *testing.T) {
	name := "**Sales** [verify](x)"
	escaped := `\*\*Sales\*\* \[verify\](x)`
	msg := segmentbot.Message{
		Title: "Segment created: " + name, Text: "You're in: " + name,
		Facts:   []segmentbot.Fact{{Name: name, Value: "1"}},
		Buttons: []segmentbot.Button{{Title: "Opt in", Say: "x"}},
	}
	check := func(where string, v any) {
		t.Helper()
		b, _ := json.Marshal(v)
		got := string(b)
		if strings.Contains(got, `"**Sales**`) || strings.Contains(got, ` **Sales**`) || strings.Contains(got, "[verify](x)") {
			t.Errorf("%s shows the name as Markdown: %s", where, got)
		}
		if !strings.Contains(strings.ReplaceAll(got, `\\`, `\`), escaped) {
			t.Errorf("%s lacks the escaped name %s: %s", where, escaped, got)
		}
	}
	check("the Adaptive Card", cards.Adaptive(msg))
	carousel := segmentbot.Message{Text: "Segments: " + name, Carousel: []segmentbot.Message{{Title: name, Text: "1 member"}}}
	check("the carousel lead text", cards.LeadText(carousel))
	_, atts := cards.Attachments(carousel)
	check("the carousel card", atts[0].Content)

	md := cards.Adaptive(segmentbot.Message{Text: "**News** for " + segmentbot.EscapeMarkdown(name), Markdown: true})
	b, _ := json.Marshal(md)
	if !strings.Contains(string(b), `"**News** for `) {
		t.Fatalf("a Markdown message lost its Markdown: %s", b)
	}
	if got := cards.Text(msg); !strings.Contains(got, name) {
		t.Fatalf("the plain-text transcript escapes: %q", got)
	}
}

// Messenger and Workplace show text as sent: a backslash put before a
// Markdown character would be seen. Plain parts go out as typed, and a
// Markdown text loses its marks and the escapes of the names it embeds.
func TestMetaTextIsNeverEscaped(t *testing.T) {
	name := "**Sales** [verify](x) a_b | <Ops> #1"
	texts := func(v []map[string]any) string {
		b, _ := json.Marshal(v)
		var un any
		_ = json.Unmarshal(b, &un)
		return fmt.Sprint(un)
	}
	for _, tc := range []struct {
		where string
		msg   segmentbot.Message
		want  []string
	}{
		{"a text", segmentbot.Message{Text: name}, []string{name}},
		{"a button template", segmentbot.Message{Title: "Segment created: " + name, Text: "You're in: " + name,
			Facts: []segmentbot.Fact{{Name: name, Value: "1"}}, Note: "You joined " + name,
			Buttons: []segmentbot.Button{{Title: "Opt in", Say: "x"}}},
			[]string{"Segment created: " + name, "You're in: " + name, name + ": 1", "You joined " + name}},
		{"a generic template", segmentbot.Message{Carousel: []segmentbot.Message{{Title: name}}}, []string{name}},
		{"a Markdown text embedding a name", segmentbot.Message{Text: "**News** for " + segmentbot.EscapeMarkdown(name), Markdown: true},
			[]string{"News for " + name}},
		{"a Markdown card of a carousel", segmentbot.Message{Carousel: []segmentbot.Message{{Title: "T", Text: "It is **out**", Markdown: true}}},
			[]string{"It is out"}},
	} {
		t.Run(tc.where, func(t *testing.T) {
			got := texts(cards.Meta(tc.msg))
			if strings.Contains(got, `\`) {
				t.Errorf("a backslash reaches the reader: %s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q is not shown as typed: %s", w, got)
				}
			}
		})
	}
}
