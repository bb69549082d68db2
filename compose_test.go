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
