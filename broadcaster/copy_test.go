package broadcaster_test

import (
	"encoding/json"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/broadcaster"
	"github.com/segmentbot/segmentbot/signer"
)

func TestCopy(t *testing.T) {
	s := signer.New([]byte("test key"))
	seg := &segmentbot.Segment{ID: 7, Name: "News"}

	t.Run("carries the message, a signed Opt out and the why-line", func(t *testing.T) {
		b := &segmentbot.Broadcast{SegmentID: 7, Message: &segmentbot.BroadcastMessage{
			Title: "Launch", Text: "It is **out**.", ImageURL: "https://example.test/a.png",
			Buttons: []segmentbot.LinkButton{{Title: "Read", URL: "https://example.test/post"}},
		}}
		msg := broadcaster.Copy(b, seg, s)
		if msg.Title != "Launch" || msg.Text != "It is **out**." || !msg.Markdown || msg.ImageURL != "https://example.test/a.png" {
			t.Fatalf("content = %q %q %q", msg.Title, msg.Text, msg.ImageURL)
		}
		if msg.Note != "You get this because you joined News." {
			t.Fatalf("note = %q", msg.Note)
		}
		if len(msg.Buttons) != 2 || msg.Buttons[0].URL != "https://example.test/post" || msg.Buttons[0].Title != "Read" {
			t.Fatalf("buttons = %+v", msg.Buttons)
		}
		out := msg.Buttons[1]
		if out.Title != "Opt out" || out.Action == nil || out.Action.Verb != segmentbot.VerbOptOut || out.Action.SegmentID != 7 {
			t.Fatalf("opt out button = %+v", out)
		}
		if err := s.VerifyAction(*out.Action); err != nil {
			t.Fatalf("opt out not verifiable: %v", err)
		}
		forged := *out.Action
		forged.SegmentID = 8
		if s.VerifyAction(forged) == nil {
			t.Fatal("the signature passes for another segment")
		}
		if signer.New([]byte("other key")).VerifyAction(*out.Action) == nil {
			t.Fatal("the signature passes under another key")
		}
	})

	t.Run("passes a whole Adaptive Card through", func(t *testing.T) {
		card := json.RawMessage(`{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"Hi"}]}`)
		b := &segmentbot.Broadcast{Message: &segmentbot.BroadcastMessage{Title: "Fallback", Card: card}}
		msg := broadcaster.Copy(b, seg, s)
		if string(msg.Card) != string(card) || msg.Title != "Fallback" {
			t.Fatalf("card = %s, title = %q", msg.Card, msg.Title)
		}
		if len(msg.Buttons) != 1 || msg.Buttons[0].Action == nil || msg.Note == "" {
			t.Fatalf("opt out or note missing: %+v", msg)
		}
	})

	t.Run("a placeholder still gets the opt out and the why-line", func(t *testing.T) {
		msg := broadcaster.Copy(&segmentbot.Broadcast{}, seg, s)
		if len(msg.Buttons) != 1 || msg.Note == "" {
			t.Fatalf("msg = %+v", msg)
		}
	})
}
