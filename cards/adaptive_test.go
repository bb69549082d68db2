package cards_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/cards"
)

func TestAdaptiveBody(t *testing.T) {
	tests := []struct {
		name string
		msg  segmentbot.Message
		want string // the body as JSON
	}{
		{"empty message has an empty body", segmentbot.Message{}, `[]`},
		{"title is a bold large wrapping text block",
			segmentbot.Message{Title: "Hi"},
			`[{"size":"Large","text":"Hi","type":"TextBlock","weight":"Bolder","wrap":true}]`},
		{"each paragraph is a wrapping text block and line breaks are kept",
			segmentbot.Message{Text: "one\ntwo\n\nthree\n\n\n"},
			`[{"text":"one\n\ntwo","type":"TextBlock","wrap":true},{"text":"three","type":"TextBlock","wrap":true}]`},
		{"image has the title as alt text",
			segmentbot.Message{Title: "Logo", ImageURL: "https://x.example/l.png"},
			`[{"size":"Large","text":"Logo","type":"TextBlock","weight":"Bolder","wrap":true},{"altText":"Logo","type":"Image","url":"https://x.example/l.png"}]`},
		{"facts are a fact set after the text",
			segmentbot.Message{Text: "t", Facts: []segmentbot.Fact{{Name: "Added", Value: "3"}, {Name: "Failed", Value: "0"}}},
			`[{"text":"t","type":"TextBlock","wrap":true},{"facts":[{"title":"Added","value":"3"},{"title":"Failed","value":"0"}],"type":"FactSet"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := roundTrip(t, cards.Adaptive(tt.msg))
			got, _ := json.Marshal(path(t, card, "body"))
			if string(got) != tt.want {
				t.Errorf("body\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestAdaptiveIsAnAdaptiveCard15(t *testing.T) {
	card := cards.Adaptive(segmentCard(false))
	for key, want := range map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.5",
	} {
		if card[key] != want {
			t.Errorf("%s = %v, want %v", key, card[key], want)
		}
	}
}

func TestAdaptiveActions(t *testing.T) {
	action := &segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: 3, Sig: "s"}
	tests := []struct {
		name    string
		button  segmentbot.Button
		execute bool
		want    string
	}{
		{"action button submits the action", segmentbot.Button{Title: "Join", Action: action}, false,
			`{"data":{"segment_id":3,"sig":"s","verb":"opt_in"},"title":"Join","type":"Action.Submit"}`},
		{"action button executes the action with its verb when the message says Execute",
			segmentbot.Button{Title: "Join", Action: action}, true,
			`{"data":{"segment_id":3,"sig":"s","verb":"opt_in"},"title":"Join","type":"Action.Execute","verb":"opt_in"}`},
		{"URL button opens the URL", segmentbot.Button{Title: "Report", URL: "https://x.example/r"}, true,
			`{"title":"Report","type":"Action.OpenUrl","url":"https://x.example/r"}`},
		{"say button sends its text as an imBack", segmentbot.Button{Title: "Help", Say: "help"}, true,
			`{"data":{"msteams":{"type":"imBack","value":"help"}},"title":"Help","type":"Action.Submit"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := roundTrip(t, cards.Adaptive(segmentbot.Message{Buttons: []segmentbot.Button{tt.button}, Execute: tt.execute}))
			got, _ := json.Marshal(path(t, card, "actions", 0))
			if string(got) != tt.want {
				t.Errorf("action\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// A tapped button comes back as the activity's value (Submit) or the
// invoke's action.data (Execute): both are the data object as sent.
func TestAdaptiveActionDataRoundTripsToTheAction(t *testing.T) {
	want := segmentbot.Action{Verb: segmentbot.VerbResubscribe, SegmentID: 5, Segments: []int64{5, 8}, Arg: "a\"b", Sig: "AbC-_9"}
	for _, execute := range []bool{false, true} {
		t.Run(fmt.Sprintf("execute=%v", execute), func(t *testing.T) {
			a := want
			card := roundTrip(t, cards.Adaptive(segmentbot.Message{
				Buttons: []segmentbot.Button{{Title: "Resubscribe", Action: &a}}, Execute: execute,
			}))
			value, _ := json.Marshal(path(t, card, "actions", 0, "data"))
			var got segmentbot.Action
			if err := json.Unmarshal(value, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
			if !jsonEqual(t, json.RawMessage(value), want) {
				t.Errorf("data %s differs from the Action's JSON", value)
			}
		})
	}
}

func TestAdaptiveManyButtonsGoIntoActionSetsOfFive(t *testing.T) {
	var buttons []segmentbot.Button
	for i := range 12 {
		buttons = append(buttons, segmentbot.Button{Title: fmt.Sprint("S", i), Action: optIn(int64(i))})
	}
	card := roundTrip(t, cards.Adaptive(segmentbot.Message{Title: "Pick a segment", Buttons: buttons}))
	if actions := path(t, card, "actions"); actions != nil {
		t.Errorf("card actions = %v, want none", actions)
	}
	body := path(t, card, "body").([]any)
	if len(body) != 4 {
		t.Fatalf("body has %d elements, want title and 3 action sets", len(body))
	}
	seen := 0
	for i, wantLen := range []int{5, 5, 2} {
		set := body[i+1]
		if typ := path(t, set, "type"); typ != "ActionSet" {
			t.Fatalf("body[%d] is %v", i+1, typ)
		}
		actions := path(t, set, "actions").([]any)
		if len(actions) != wantLen {
			t.Errorf("action set %d has %d actions, want %d", i, len(actions), wantLen)
		}
		for _, a := range actions {
			if title := path(t, a, "title"); title != fmt.Sprint("S", seen) {
				t.Errorf("action %d is %v", seen, title)
			}
			seen++
		}
	}
}

func TestAdaptiveFiveButtonsStayCardActions(t *testing.T) {
	msg := segmentbot.Message{Buttons: make([]segmentbot.Button, 5)}
	for i := range msg.Buttons {
		msg.Buttons[i] = segmentbot.Button{Title: "b", Say: "x"}
	}
	if n := len(path(t, roundTrip(t, cards.Adaptive(msg)), "actions").([]any)); n != 5 {
		t.Errorf("%d card actions, want 5", n)
	}
}

func TestAttachments(t *testing.T) {
	t.Run("a plain message is one adaptive card", func(t *testing.T) {
		layout, atts := cards.Attachments(reportCard())
		if layout != "" || len(atts) != 1 {
			t.Fatalf("layout %q with %d attachments", layout, len(atts))
		}
		if atts[0].ContentType != "application/vnd.microsoft.card.adaptive" {
			t.Errorf("content type %q", atts[0].ContentType)
		}
		if !jsonEqual(t, atts[0].Content, cards.Adaptive(reportCard())) {
			t.Error("content differs from Adaptive(msg)")
		}
		if lead := cards.LeadText(reportCard()); lead != "" {
			t.Errorf("lead text %q for a message without carousel", lead)
		}
	})
	t.Run("a carousel is a card per entry with the outer text as lead text", func(t *testing.T) {
		msg := carousel()
		layout, atts := cards.Attachments(msg)
		if layout != "carousel" || len(atts) != 2 {
			t.Fatalf("layout %q with %d attachments", layout, len(atts))
		}
		for i, c := range msg.Carousel {
			if !jsonEqual(t, atts[i].Content, cards.Adaptive(c)) {
				t.Errorf("card %d differs from Adaptive of the entry", i)
			}
		}
		if lead := cards.LeadText(msg); lead != "Pick your segments\n\nJoin the ones you want news from." {
			t.Errorf("lead text %q", lead)
		}
	})
	t.Run("a carousel entry executes when the outer message does", func(t *testing.T) {
		msg := carousel()
		msg.Execute = true
		_, atts := cards.Attachments(msg)
		if typ := path(t, roundTrip(t, atts[1].Content), "actions", 0, "type"); typ != "Action.Execute" {
			t.Errorf("action type %v", typ)
		}
	})
	t.Run("outer buttons of a carousel form a last card", func(t *testing.T) {
		msg := carousel()
		msg.Buttons = []segmentbot.Button{{Title: "Done", Say: "done"}}
		msg.Facts = []segmentbot.Fact{{Name: "Segments", Value: "2"}}
		_, atts := cards.Attachments(msg)
		if len(atts) != 3 {
			t.Fatalf("%d attachments, want 3", len(atts))
		}
		last := roundTrip(t, atts[2].Content)
		if title := path(t, last, "actions", 0, "title"); title != "Done" {
			t.Errorf("last card action %v", title)
		}
		if body := path(t, last, "body").([]any); len(body) != 0 {
			t.Errorf("last card body %v, want empty", body)
		}
		if lead := cards.LeadText(msg); lead != "Pick your segments\n\nJoin the ones you want news from.\n\nSegments: 2" {
			t.Errorf("lead text %q", lead)
		}
	})
}
