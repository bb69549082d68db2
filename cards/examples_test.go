package cards_test

import (
	"encoding/json"
	"testing"

	"github.com/segmentbot/segmentbot"
)

// The messages the bot sends most, used by the tests of every rendering.

func optIn(id int64) *segmentbot.Action {
	return &segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: id, Sig: "c2lnLWluLQ"}
}

func optOut(id int64) *segmentbot.Action {
	return &segmentbot.Action{Verb: segmentbot.VerbOptOut, SegmentID: id, Sig: "c2lnLW91dA"}
}

func segmentCard(execute bool) segmentbot.Message {
	return segmentbot.Message{
		Title:   "Sales news",
		Text:    "Weekly news for the sales team.\nJoin to receive it.",
		Buttons: []segmentbot.Button{{Title: "Join", Action: optIn(3)}, {Title: "Leave", Action: optOut(3)}},
		Execute: execute,
	}
}

func reportCard() segmentbot.Message {
	return segmentbot.Message{
		Title: "Import finished",
		Text:  "Your file members.csv was imported into Sales news.",
		Facts: []segmentbot.Fact{{Name: "Added", Value: "1,204"}, {Name: "Failed", Value: "3"}},
		Buttons: []segmentbot.Button{
			{Title: "Download report", URL: "https://bot.example.com/d/abc.def"},
			{Title: "Members", URL: "https://bot.example.com/d/ghi.jkl"},
		},
	}
}

func helpCard() segmentbot.Message {
	return segmentbot.Message{
		Title:   "What I can do",
		Text:    "Tap a command or type it.",
		Buttons: []segmentbot.Button{{Title: "List segments", Say: "segments"}, {Title: "Help", Say: "help"}},
	}
}

func carousel() segmentbot.Message {
	return segmentbot.Message{
		Title: "Pick your segments",
		Text:  "Join the ones you want news from.",
		Carousel: []segmentbot.Message{
			{Title: "Sales news", Text: "For sales.", ImageURL: "https://bot.example.com/sales.png",
				Buttons: []segmentbot.Button{{Title: "Join", Action: optIn(3)}}},
			{Title: "IT outages", Text: "When things break.",
				Buttons: []segmentbot.Button{{Title: "Join", Action: optIn(4)}, {Title: "Leave", Action: optOut(4)}}},
		},
	}
}

// roundTrip returns v as the generic JSON a channel receives.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	return out
}

// jsonEqual reports whether a and b marshal to the same JSON value.
func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ra, _ := json.Marshal(roundTrip(t, a))
	rb, _ := json.Marshal(roundTrip(t, b))
	return string(ra) == string(rb)
}

// path walks generic JSON by object keys and array indexes.
func path(t *testing.T, v any, steps ...any) any {
	t.Helper()
	for _, s := range steps {
		switch s := s.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %q: %T is not an object", s, v)
			}
			v = m[s]
		case int:
			a, ok := v.([]any)
			if !ok || s >= len(a) {
				t.Fatalf("at [%d]: %v is not an array that long", s, v)
			}
			v = a[s]
		}
	}
	return v
}
