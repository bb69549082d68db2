package cards_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/cards"
)

// Issue 15.3: given names show as typed in every rendering that reads
// Markdown: the Adaptive Card, the carousel's lead text, Meta texts and
// templates. A Markdown message keeps its Text.
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
	check("the Meta button template", cards.Meta(msg))
	carousel := segmentbot.Message{Text: "Segments: " + name, Carousel: []segmentbot.Message{{Title: name, Text: "1 member"}}}
	check("the carousel lead text", cards.LeadText(carousel))
	_, atts := cards.Attachments(carousel)
	check("the carousel card", atts[0].Content)
	check("the Meta generic template", cards.Meta(segmentbot.Message{Carousel: []segmentbot.Message{{Title: name}}}))
	check("a Meta text", cards.Meta(segmentbot.Message{Text: name}))

	md := cards.Adaptive(segmentbot.Message{Text: "**News** for " + segmentbot.EscapeMarkdown(name), Markdown: true})
	b, _ := json.Marshal(md)
	if !strings.Contains(string(b), `"**News** for `) {
		t.Fatalf("a Markdown message lost its Markdown: %s", b)
	}
	if got := cards.Text(msg); !strings.Contains(got, name) {
		t.Fatalf("the plain-text transcript escapes: %q", got)
	}
}
