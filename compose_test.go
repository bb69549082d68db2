package segmentbot_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
)

func TestCheckCard(t *testing.T) {
	for _, tc := range []struct {
		name, card, want string
	}{
		{"not JSON", `{"type":`, "must be a JSON object"},
		{"an array", `[{"type":"AdaptiveCard"}]`, "must be a JSON object"},
		{"null", `null`, "must be a JSON object"},
		{"two objects", `{"type":"AdaptiveCard"}{}`, "must be a JSON object"},
		{"no type", `{"body":[]}`, `"type" must be "AdaptiveCard", not missing`},
		{"a hero card", `{"type":"HeroCard"}`, `"type" must be "AdaptiveCard", not "HeroCard"`},
		{"body not a list", `{"type":"AdaptiveCard","body":{}}`, `"body" must be a list`},
		{"actions not a list", `{"type":"AdaptiveCard","actions":"x"}`, `"actions" must be a list`},
		{"an http link", `{"type":"AdaptiveCard","body":[{"type":"Image","url":"http://e.com/a.png"}]}`, `"url" must be an https:// link`},
		{"too large", `{"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"` + strings.Repeat("x", segmentbot.MaxBroadcastCard) + `"}]}`, "keep it to 24576"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := segmentbot.CheckCard(json.RawMessage(tc.card))
			if segmentbot.ErrorCode(err) != segmentbot.EINVALID || !strings.Contains(segmentbot.ErrorMessage(err), tc.want) {
				t.Fatalf("CheckCard = %v, want EINVALID saying %q", err, tc.want)
			}
		})
	}
	if err := segmentbot.CheckCard(json.RawMessage(`{"type":"AdaptiveCard","version":"1.5"}`)); err != nil {
		t.Fatalf("a minimal card is refused: %v", err)
	}
}

func TestBroadcastMessageValidateCleansWhatPeopleSee(t *testing.T) {
	m := segmentbot.BroadcastMessage{Title: " Cafe\u0301 ", Text: "Cafe\u0301\r\n\n\t- item",
		Buttons: []segmentbot.LinkButton{{Title: " Cafe\u0301 ", URL: "https://example.com"}}}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if m.Title != "Café" || m.Text != "Café\n\n\t- item" || m.Buttons[0].Title != "Café" {
		t.Fatalf("cleaned = %q, %q, %q", m.Title, m.Text, m.Buttons[0].Title)
	}
	for _, tc := range []struct {
		name string
		msg  segmentbot.BroadcastMessage
		says string
	}{
		{"a bidi override in the title", segmentbot.BroadcastMessage{Title: "Pay\u202Egnp.exe", Text: "x"}, "The title contains an invisible or control character (U+202E)"},
		{"a zero-width space in the text", segmentbot.BroadcastMessage{Text: "Hel\u200Blo"}, "The text contains an invisible or control character (U+200B)"},
		{"an escape in the text", segmentbot.BroadcastMessage{Text: "Hello\x1b[31m"}, "The text contains an invisible or control character (U+001B)"},
		{"a line feed in a button title", segmentbot.BroadcastMessage{Text: "x", Buttons: []segmentbot.LinkButton{{Title: "Re\nad", URL: "https://e.com"}}}, "The title of button 1 contains"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.msg.Validate()
			if segmentbot.ErrorCode(err) != segmentbot.EINVALID || !strings.Contains(segmentbot.ErrorMessage(err), tc.says) {
				t.Fatalf("Validate = %v, want EINVALID saying %q", err, tc.says)
			}
		})
	}
}
