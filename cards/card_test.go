package cards_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
	"github.com/segmentbot/segmentbot/cards"
)

const whyLine = "You get this because you joined News."

// broadcastCopy is a broadcast as every recipient gets it (what
// broadcaster.Copy builds): content, a link, Opt out and the why-line.
func broadcastCopy() segmentbot.Message {
	return segmentbot.Message{
		Title: "Launch day", Text: "It is **out**.\n\nRead all about it.", ImageURL: "https://bot.example.com/launch.png",
		Buttons: []segmentbot.Button{
			{Title: "Read the post", URL: "https://example.com/post"},
			{Title: "Opt out", Action: &segmentbot.Action{Verb: segmentbot.VerbOptOut, SegmentID: 7, Sig: "c2ln"}},
		},
		Note: whyLine, Markdown: true,
	}
}

// givenCardCopy is a broadcast that carries a whole Adaptive Card.
func givenCardCopy() segmentbot.Message {
	msg := broadcastCopy()
	msg.Card = json.RawMessage(`{"type":"AdaptiveCard","version":"1.4","body":[{"type":"TextBlock","text":"Given","size":"ExtraLarge"}],` +
		`"actions":[{"type":"Action.OpenUrl","title":"Theirs","url":"https://example.com/theirs"}]}`)
	return msg
}

func TestAdaptiveBroadcastCopy(t *testing.T) {
	card := asObject(t, cards.Adaptive(broadcastCopy()))
	body := card["body"].([]any)
	last := body[len(body)-1].(map[string]any)
	if last["text"] != whyLine || last["isSubtle"] != true {
		t.Fatalf("last block = %v, want the why-line", last)
	}
	actions := card["actions"].([]any)
	if len(actions) != 2 {
		t.Fatalf("actions = %v", actions)
	}
	optOut := actions[1].(map[string]any)
	data := optOut["data"].(map[string]any)
	if optOut["type"] != "Action.Submit" || data["verb"] != "opt_out" || data["segment_id"] != float64(7) || data["sig"] != "c2ln" {
		t.Fatalf("opt out action = %v", optOut)
	}
}

func TestAdaptiveGivenCard(t *testing.T) {
	card := asObject(t, cards.Adaptive(givenCardCopy()))
	if card["version"] != "1.4" {
		t.Fatalf("version = %v, want the given card's", card["version"])
	}
	body := card["body"].([]any)
	if len(body) != 2 || body[0].(map[string]any)["text"] != "Given" || body[1].(map[string]any)["text"] != whyLine {
		t.Fatalf("body = %v, want the given block then the why-line", body)
	}
	if strings.Contains(mustJSON(t, card), "Launch day") {
		t.Fatal("the fallback title was added to a given card")
	}
	actions := card["actions"].([]any)
	titles := []string{}
	for _, a := range actions {
		titles = append(titles, a.(map[string]any)["title"].(string))
	}
	if strings.Join(titles, ",") != "Theirs,Read the post,Opt out" {
		t.Fatalf("actions = %v, want theirs then ours", titles)
	}

	t.Run("a full action bar puts ours in the body", func(t *testing.T) {
		msg := givenCardCopy()
		msg.Card = json.RawMessage(`{"type":"AdaptiveCard","version":"1.5","actions":[` + strings.Repeat(`{"type":"Action.OpenUrl","title":"x","url":"https://e.com"},`, 4) +
			`{"type":"Action.OpenUrl","title":"y","url":"https://e.com"}]}`)
		card := asObject(t, cards.Adaptive(msg))
		if n := len(card["actions"].([]any)); n != 5 {
			t.Fatalf("%d actions, want the given 5", n)
		}
		set := card["body"].([]any)[0].(map[string]any)
		if set["type"] != "ActionSet" || len(set["actions"].([]any)) != 2 {
			t.Fatalf("body[0] = %v, want an ActionSet of our 2 buttons", set)
		}
	})
}

func TestMetaBroadcastCopy(t *testing.T) {
	t.Run("with an image: the text, then one generic template", func(t *testing.T) {
		msgs := metaMsgs(t, broadcastCopy())
		if len(msgs) != 2 {
			t.Fatalf("%d messages, want text + generic template: %v", len(msgs), msgs)
		}
		if msgs[0]["text"] != "It is out.\n\nRead all about it." { // Markdown as a reader sees it
			t.Fatalf("first = %v", msgs[0])
		}
		payload := msgs[1]["attachment"].(map[string]any)["payload"].(map[string]any)
		el := payload["elements"].([]any)[0].(map[string]any)
		if payload["template_type"] != "generic" || el["title"] != "Launch day" || el["subtitle"] != whyLine || el["image_url"] != "https://bot.example.com/launch.png" {
			t.Fatalf("template = %v", payload)
		}
		checkOptOut(t, msgs[1])
	})
	t.Run("without an image: a button template ending with the why-line", func(t *testing.T) {
		msg := broadcastCopy()
		msg.ImageURL = ""
		msgs := metaMsgs(t, msg)
		if len(msgs) != 1 {
			t.Fatalf("%d messages, want one button template", len(msgs))
		}
		payload := msgs[0]["attachment"].(map[string]any)["payload"].(map[string]any)
		if payload["template_type"] != "button" || !strings.HasSuffix(payload["text"].(string), "\n\n"+whyLine) ||
			!strings.HasPrefix(payload["text"].(string), "Launch day\n\nIt is out.") {
			t.Fatalf("template = %v", payload)
		}
		checkOptOut(t, msgs[0])
	})
	t.Run("a given card falls back to title and text", func(t *testing.T) {
		msg := givenCardCopy()
		msg.ImageURL = ""
		text := workplacetest.MessageText(metaMsgs(t, msg)[0])
		if !strings.Contains(text, "Launch day") || strings.Contains(text, "Given") || !strings.Contains(text, whyLine) {
			t.Fatalf("text = %q", text)
		}
	})
	t.Run("no image and no title: the why-line titles the element", func(t *testing.T) {
		msg := broadcastCopy()
		msg.Title = ""
		msgs := metaMsgs(t, msg)
		el := msgs[len(msgs)-1]["attachment"].(map[string]any)["payload"].(map[string]any)["elements"].([]any)[0].(map[string]any)
		if el["title"] != whyLine || el["subtitle"] != nil {
			t.Fatalf("element = %v", el)
		}
	})
}

// checkOptOut checks that the Send API message carries the Opt out
// postback with the signed action as its payload, and keeps the Send API's
// rules.
func checkOptOut(t *testing.T, msg map[string]any) {
	t.Helper()
	if err := workplacetest.CheckMessage(msg); err != nil {
		t.Fatal(err)
	}
	b := workplacetest.FindButton(msg, "Opt out")
	if b == nil || b["type"] != "postback" {
		t.Fatalf("no Opt out postback in %v", msg)
	}
	a, _, err := cards.DecodeMetaPayload(b["payload"].(string))
	if err != nil || a.Verb != segmentbot.VerbOptOut || a.SegmentID != 7 || a.Sig != "c2ln" {
		t.Fatalf("payload %v = %+v, %v", b["payload"], a, err)
	}
}

// asObject returns v as the generic JSON object a channel receives.
func asObject(t *testing.T, v any) map[string]any {
	t.Helper()
	out, _ := roundTrip(t, v).(map[string]any)
	return out
}

// metaMsgs renders msg with Meta as generic JSON message objects.
func metaMsgs(t *testing.T, msg segmentbot.Message) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range metaJSON(t, msg) {
		out = append(out, m.(map[string]any))
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
