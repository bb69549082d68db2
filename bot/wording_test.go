package bot_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/cards"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// teamsShows is what Teams' renderer shows of a card's texts: anything in
// angle brackets is taken for HTML and dropped.
func teamsShows(resp *segmentbot.Response) (sent, shown string) {
	var texts []string
	for _, m := range resp.Messages {
		texts = append(texts, m.Text) // a plain message's text
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for _, k := range []string{"text", "title", "value"} {
					if s, ok := x[k].(string); ok {
						texts = append(texts, s)
					}
				}
				for _, v := range x {
					walk(v)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			}
		}
		_, atts := cards.Attachments(m)
		for _, a := range atts {
			walk(a.Content)
		}
	}
	sent = strings.Join(texts, "\n")
	return sent, regexp.MustCompile(`<[^>]*>`).ReplaceAllString(sent, "")
}

func TestHelpAndUsageReadRightInTeams(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		tests := []struct {
			say   string
			wants []string
		}{
			{"help", []string{"rename segment _old name_ to _new name_", "schedule _segment_ at _time_ as _name_", "create segment _name_", "cancel broadcast _name or id_"}},
			{"segments", []string{"create segment _name_"}},
			{"rename segment", []string{"rename segment _old name_ to _new name_"}},
			{"schedule Sales", []string{"schedule _segment_ at _time_"}},
			{"set reply Sales", []string{"set reply _segment_: _text_"}},
			{"broadcasts", []string{"schedule _segment_ at _time_"}},
		}
		for _, tt := range tests {
			sent, shown := teamsShows(w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: tt.say}))
			if sent != shown {
				t.Errorf("%q: Teams drops part of the answer:\nsent  %q\nshown %q", tt.say, sent, shown)
			}
			wantContains(t, shown, tt.wants...)
		}
	})
}

func TestNumbersPluralsAndTimesReadRight(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		sales := w.segment("Sales")
		ann := w.user("ann", "ann@contoso.com")
		if _, err := db.Join(w.ctx, sales.ID, ann.ID, segmentbot.SourceButton, ann.ID); err != nil {
			t.Fatal(err)
		}
		wantContains(t, w.say(w.admin, "segments"), "1 segment\n", "1 member, no imports yet")
		wantContains(t, w.say(w.admin, "users Sales"), "Sales: 1 member", "The link works for 24 hours.")
		wantContains(t, w.say(w.admin, "delete segment Sales"), "This removes its 1 member and")

		// An admin in Berlin sees the times of "broadcasts" in Berlin time,
		// as the confirmation shows them.
		berlin := segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, TimeZone: "Europe/Berlin"}
		berlin.Text = "schedule Sales at 2026-12-01T09:00:00Z as Weekly news"
		wantContains(t, render(w.send(berlin)), "Sales (1 member)", "Tue 1 Dec 2026 10:00 Europe/Berlin")
		berlin.Text = "broadcasts"
		list := render(w.send(berlin))
		wantContains(t, list, "Tue 1 Dec 2026 10:00 Europe/Berlin to Sales (1 member)")
		if strings.Contains(list, "09:00") {
			t.Errorf("broadcasts shows UTC times to an admin in Berlin: %q", list)
		}
	})
}

// teamsGets is the text of every activity Teams gets for resp: each
// message's text and its cards' texts, as the channel renders them.
func teamsGets(t *testing.T, resp *segmentbot.Response) string {
	t.Helper()
	var texts []string
	for _, m := range resp.Messages {
		a := teams.Reply(m)
		texts = append(texts, a.Text)
		for _, att := range a.Attachments {
			body, err := json.Marshal(att.Content)
			if err != nil {
				t.Fatal(err)
			}
			var card any
			if err := json.Unmarshal(body, &card); err != nil {
				t.Fatal(err)
			}
			texts = append(texts, cardTexts(card)...)
		}
	}
	return strings.Join(texts, "\n")
}

func cardTexts(v any) []string {
	var texts []string
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["text"].(string); ok {
			texts = append(texts, s)
		}
		for _, e := range x {
			texts = append(texts, cardTexts(e)...)
		}
	case []any:
		for _, e := range x {
			texts = append(texts, cardTexts(e)...)
		}
	}
	return texts
}

// Agents Playground showed the help card's placeholders with their
// underscores escaped ("create segment \_name\_" in the card: the
// underscores, not italics) and the lines of "card Sales" run together in
// one plain text message. What the admin fills in reaches Teams as
// Markdown italics, in cards, while a segment's name still shows as typed.
func TestPlaceholdersReachTeamsAsItalics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		wantContains(t, teamsGets(t, w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: "segments"})),
			"Type create segment _name_ to make one.")
		w.segment("Sales_2026")
		tests := []struct {
			say   string
			wants []string
		}{
			{"help", []string{"create segment _name_", "rename segment _old name_ to _new name_", "cancel broadcast _name or id_"}},
			{"rename segment", []string{"rename segment _old name_ to _new name_"}},
			{"schedule Sales_2026", []string{"schedule _segment_ at _time_"}},
			{"set reply Sales_2026", []string{"set reply _segment_: _text_"}},
			{"broadcasts", []string{"schedule _segment_ at _time_"}},
			{"broadcast Sales_2026", []string{"Put the message under the first line. Write it as broadcast _segment_, optionally at _time_",
				"\\# An optional title", "The text, in \\*\\*Markdown\\*\\*."}},
			{"card Sales_2026", []string{"set reply Sales\\_2026: _text_.", "\n\nNow: You're in: Sales\\_2026."}},
		}
		for _, tt := range tests {
			got := teamsGets(t, w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: tt.say}))
			wantContains(t, got, tt.wants...)
			if strings.Contains(got, `\_`+"name") || strings.Contains(got, `\_`+"segment") || strings.Contains(got, `\_`+"time") {
				t.Errorf("%q: a placeholder is escaped, so Teams shows its underscores:\n%s", tt.say, got)
			}
		}
	})
}
