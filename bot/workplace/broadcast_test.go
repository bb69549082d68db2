package workplace

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
	"github.com/segmentbot/segmentbot/cards"
)

// broadcastCopy is a broadcast as the broadcaster hands it to a channel.
func broadcastCopy(image string) segmentbot.Message {
	return segmentbot.Message{
		Title: "Launch", Text: "It is out.", ImageURL: image,
		Buttons: []segmentbot.Button{
			{Title: "Read", URL: "https://example.com/post"},
			{Title: "Opt out", Action: &segmentbot.Action{Verb: segmentbot.VerbOptOut, SegmentID: 7, Sig: "c2ln"}},
		},
		Note: "You get this because you joined News.",
	}
}

func TestSendBroadcast(t *testing.T) {
	ctx := context.Background()
	to := &segmentbot.User{Channel: segmentbot.ChannelWorkplace, ExternalID: "100", ConvRef: `{"recipient":{"id":"100"}}`}
	t.Run("a button template with the Opt out postback, messaging_type UPDATE", func(t *testing.T) {
		s := newSetup(t, "sqlite")
		if err := s.ch.SendBroadcast(ctx, to, broadcastCopy("")); err != nil {
			t.Fatal(err)
		}
		sent := s.graph.SentTo("100")
		if len(sent) != 1 || sent[0].MessagingType != "UPDATE" {
			t.Fatalf("sent %+v; want one UPDATE message", sent)
		}
		checkBroadcast(t, sent[0].Message, "button")
		if !strings.Contains(sent[0].Text(), "It is out.") {
			t.Fatalf("text %q", sent[0].Text())
		}
	})
	t.Run("with an image: the text, then a generic template", func(t *testing.T) {
		s := newSetup(t, "sqlite")
		if err := s.ch.SendBroadcast(ctx, to, broadcastCopy("https://example.com/i.png")); err != nil {
			t.Fatal(err)
		}
		sent := s.graph.SentTo("100")
		if len(sent) != 2 || sent[0].Message["text"] != "It is out." {
			t.Fatalf("sent %+v; want the text then the template", sent)
		}
		checkBroadcast(t, sent[1].Message, "generic")
	})
	t.Run("a user found by a lookup is reached by id", func(t *testing.T) {
		s := newSetup(t, "sqlite")
		if err := s.ch.SendBroadcast(ctx, &segmentbot.User{Channel: segmentbot.ChannelWorkplace, ExternalID: "200"}, broadcastCopy("")); err != nil {
			t.Fatal(err)
		}
		if len(s.graph.SentTo("200")) != 1 {
			t.Fatal("nothing sent to 200")
		}
	})
	t.Run("Markdown and names arrive as a reader sees them, with no escapes", func(t *testing.T) {
		s := newSetup(t, "sqlite")
		msg := broadcastCopy("")
		msg.Title, msg.Text, msg.Markdown = "R&D_news #1", "It is **out** for *R&D\\_team*.", true
		msg.Note = "You get this because you joined R&D_team [EU] #1."
		if err := s.ch.SendBroadcast(ctx, to, msg); err != nil {
			t.Fatal(err)
		}
		sent := s.graph.SentTo("100")
		if len(sent) != 1 {
			t.Fatalf("sent %+v", sent)
		}
		text := workplacetest.MessageText(sent[0].Message)
		for _, want := range []string{"R&D_news #1", "It is out for R&D_team.", "You get this because you joined R&D_team [EU] #1."} {
			if !strings.Contains(text, want) {
				t.Errorf("text %q lacks %q", text, want)
			}
		}
		if strings.ContainsAny(text, "\\*") {
			t.Errorf("text %q shows Markdown or its escapes", text)
		}
	})
	t.Run("a Teams user is not_reachable here", func(t *testing.T) {
		s := newSetup(t, "sqlite")
		err := s.ch.SendBroadcast(ctx, &segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: "29:x"}, broadcastCopy(""))
		wantDelivery(t, err, segmentbot.DeliveryNotReachable, false)
	})
}

// checkBroadcast checks a template of the kind carries the signed Opt out
// postback and the why-line, within the Send API's rules.
func checkBroadcast(t *testing.T, msg map[string]any, kind string) {
	t.Helper()
	if err := workplacetest.CheckMessage(msg); err != nil {
		t.Fatal(err)
	}
	att, _ := msg["attachment"].(map[string]any)
	payload, _ := att["payload"].(map[string]any)
	if payload["template_type"] != kind {
		t.Fatalf("template %v, want %s", payload["template_type"], kind)
	}
	if !strings.Contains(workplacetest.MessageText(msg), "You get this because you joined News.") {
		t.Fatalf("no why-line in %v", msg)
	}
	b := workplacetest.FindButton(msg, "Opt out")
	if b == nil || b["type"] != "postback" {
		t.Fatalf("no Opt out postback in %v", msg)
	}
	a, _, err := cards.DecodeMetaPayload(b["payload"].(string))
	if err != nil || a.Verb != segmentbot.VerbOptOut || a.SegmentID != 7 || a.Sig != "c2ln" {
		t.Fatalf("Opt out payload %v: %+v, %v", b["payload"], a, err)
	}
}

func TestSendBroadcastMapsErrorsToReasons(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    workplacetest.Error
		reason string
		retry  bool
	}{
		{"551 the person is not available", workplacetest.ErrPersonUnavailable, segmentbot.DeliveryNotReachable, false},
		{"100 no matching user", workplacetest.ErrNoMatchingUser, segmentbot.DeliveryNotReachable, false},
		{"4 application request limit", workplacetest.ErrTooManyCalls, segmentbot.DeliveryThrottled, true},
		{"4 as HTTP 429", workplacetest.ErrThrottled, segmentbot.DeliveryThrottled, true},
		{"17 user request limit", workplacetest.ErrUserRateLimit, segmentbot.DeliveryThrottled, true},
		{"32 page request limit", workplacetest.ErrPageRateLimit, segmentbot.DeliveryThrottled, true},
		{"613 calls exceeded", workplacetest.ErrCallsExceeded, segmentbot.DeliveryThrottled, true},
		{"10 permission denied", workplacetest.ErrPermission10, segmentbot.DeliveryError, false},
		{"200 not authorised", workplacetest.ErrPermission, segmentbot.DeliveryError, false},
		{"2 transient", workplacetest.ErrTransient, segmentbot.DeliveryError, true},
		{"190 bad token", workplacetest.ErrBadToken, segmentbot.DeliveryError, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t, "sqlite")
			s.graph.Fail["300"] = tc.err
			err := s.ch.SendBroadcast(context.Background(), &segmentbot.User{Channel: segmentbot.ChannelWorkplace, ExternalID: "300"}, broadcastCopy(""))
			wantDelivery(t, err, tc.reason, tc.retry)
			if !strings.Contains(err.Error(), tc.err.Message) {
				t.Fatalf("err %q does not keep Meta's message %q", err, tc.err.Message)
			}
			if n := len(s.graph.Requests()); n != 1 {
				t.Fatalf("%d Send API calls, want 1: the broadcaster retries, not the channel", n)
			}
		})
	}
	t.Run("a failure limited by FailTimes is served after", func(t *testing.T) {
		s := newSetup(t, "sqlite")
		s.graph.Fail["400"] = workplacetest.ErrCallsExceeded
		s.graph.FailTimes = map[string]int{"400": 2}
		to := &segmentbot.User{Channel: segmentbot.ChannelWorkplace, ExternalID: "400"}
		for range 2 {
			wantDelivery(t, s.ch.SendBroadcast(context.Background(), to, broadcastCopy("")), segmentbot.DeliveryThrottled, true)
		}
		if err := s.ch.SendBroadcast(context.Background(), to, broadcastCopy("")); err != nil || len(s.graph.SentTo("400")) != 1 {
			t.Fatalf("third send: %v, %d delivered", err, len(s.graph.SentTo("400")))
		}
	})
}

func wantDelivery(t *testing.T, err error, reason string, retry bool) {
	t.Helper()
	var f *segmentbot.DeliveryFailure
	if !errors.As(err, &f) || f.Reason != reason || f.Retry != retry {
		t.Fatalf("err = %#v (%v); want reason %q retry=%v", f, err, reason, retry)
	}
}
