package workplace

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
	"github.com/segmentbot/segmentbot/cards"
)

// fixture reads a testdata file; wrap puts a messaging[] event or an
// entry[] element into a whole webhook body, as Meta posts it.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wrapEntry(entry []byte) []byte {
	return []byte(`{"object":"page","entry":[` + string(entry) + `]}`)
}

func wrapMessaging(event []byte) []byte {
	return wrapEntry([]byte(`{"id":"PAGE_ID","time":1458692752478,"messaging":[` + string(event) + `]}`))
}

// withPayload replaces a fixture's developer-defined payload value.
func withPayload(body []byte, old, payload string) []byte {
	quoted, _ := json.Marshal(payload)
	return bytes.Replace(body, []byte(`"payload": "`+old+`"`), append([]byte(`"payload": `), quoted...), 1)
}

func TestWebhookEvents(t *testing.T) {
	action := segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: 7, Sig: "c2lnbmVk"}
	actionJSON, _ := json.Marshal(action)
	tests := []struct {
		name       string
		body       func(t *testing.T) []byte
		want       segmentbot.Event // Sender checked through wantSender
		wantSender string
		wantTenant string
	}{
		{
			name:       "Workplace text message is a message event",
			body:       func(t *testing.T) []byte { return fixture(t, "message_text.json") },
			want:       segmentbot.Event{ID: "mid", Kind: segmentbot.EventMessage, Text: "text"},
			wantSender: "sender_id", wantTenant: "community_id",
		},
		{
			name: "postback with an action payload is an action event keyed by sender and time",
			body: func(t *testing.T) []byte {
				return withPayload(fixture(t, "postback.json"), "payload", string(actionJSON))
			},
			want:       segmentbot.Event{ID: "sender_id@123", Kind: segmentbot.EventAction, Action: &action},
			wantSender: "sender_id", wantTenant: "community_id",
		},
		{
			name:       "postback with a foreign payload reads as the button's title",
			body:       func(t *testing.T) []byte { return fixture(t, "postback.json") },
			want:       segmentbot.Event{ID: "sender_id@123", Kind: segmentbot.EventMessage, Text: "postback_title"},
			wantSender: "sender_id", wantTenant: "community_id",
		},
		{
			name: "quick reply with an action payload is an action event",
			body: func(t *testing.T) []byte {
				return wrapMessaging(withPayload(fixture(t, "quick_reply.json"), "<DEVELOPER_DEFINED_PAYLOAD>", string(actionJSON)))
			},
			want:       segmentbot.Event{ID: "mid.1457764197618:41d102a3e1ae206a38", Kind: segmentbot.EventAction, Action: &action},
			wantSender: "<PSID>", wantTenant: "<PAGE_ID>",
		},
		{
			name: "quick reply with a say payload is a message of that text",
			body: func(t *testing.T) []byte {
				return wrapMessaging(withPayload(fixture(t, "quick_reply.json"), "<DEVELOPER_DEFINED_PAYLOAD>", `{"say":"unsubscribe"}`))
			},
			want:       segmentbot.Event{ID: "mid.1457764197618:41d102a3e1ae206a38", Kind: segmentbot.EventMessage, Text: "unsubscribe"},
			wantSender: "<PSID>", wantTenant: "<PAGE_ID>",
		},
		{
			name:       "quick reply with a foreign payload reads as the text shown",
			body:       func(t *testing.T) []byte { return wrapMessaging(fixture(t, "quick_reply.json")) },
			want:       segmentbot.Event{ID: "mid.1457764197618:41d102a3e1ae206a38", Kind: segmentbot.EventMessage, Text: "hello, world!"},
			wantSender: "<PSID>", wantTenant: "<PAGE_ID>",
		},
		{
			name: "Messenger file attachment is a file event",
			body: func(t *testing.T) []byte { return fixture(t, "message_file_attachment_full_body.json") },
			want: segmentbot.Event{ID: "mid.1472672934017:db566db5104b5b5c08", Kind: segmentbot.EventFile,
				File: &segmentbot.File{URL: "http://facebookfile.com/file.pdf", Name: "file.pdf", Type: "pdf"}},
			wantSender: "USER_ID", wantTenant: "PAGE_ID",
		},
		{
			name: "file attachment entry from the Messenger docs is a file event",
			body: func(t *testing.T) []byte { return wrapEntry(fixture(t, "message_file_attachment.json")) },
			want: segmentbot.Event{ID: "mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c", Kind: segmentbot.EventFile,
				File: &segmentbot.File{URL: "<ATTACHMENT_URL>", Name: "<ATTACHMENT_URL>"}},
			wantSender: "<PSID>", wantTenant: "<PAGE_ID>",
		},
		{
			name: "Workplace file with a CSV name is a csv file event",
			body: func(t *testing.T) []byte {
				return workplacetest.Body(workplacetest.Event{Sender: "100042", Community: "c1", Page: "bot", MID: "m.csv",
					FileURL: "https://cdn.fbsbx.com/v/t59.2708-21/123_Members%20List.CSV?_nc_cat=1&oh=x"})
			},
			want: segmentbot.Event{ID: "m.csv", Kind: segmentbot.EventFile,
				File: &segmentbot.File{URL: "https://cdn.fbsbx.com/v/t59.2708-21/123_Members%20List.CSV?_nc_cat=1&oh=x", Name: "123_Members List.CSV", Type: "csv"}},
			wantSender: "100042", wantTenant: "c1",
		},
	}
	eachStore(t, func(t *testing.T, dialect string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := newSetup(t, dialect)
				if err := s.deliver(t, tt.body(t)); err != nil {
					t.Fatalf("ProcessWebhook: %v", err)
				}
				events := s.bot.Events()
				if len(events) != 1 {
					t.Fatalf("bot saw %d events; want 1", len(events))
				}
				got := events[0]
				if got.Sender.ExternalID != tt.wantSender || got.Sender.TenantID != tt.wantTenant || got.Sender.Channel != segmentbot.ChannelWorkplace || got.Sender.ID == 0 {
					t.Errorf("sender = %+v; want stored workplace user %s of tenant %s", got.Sender, tt.wantSender, tt.wantTenant)
				}
				want := tt.want
				want.Channel, want.Personal, want.Sender = segmentbot.ChannelWorkplace, true, got.Sender
				if !reflect.DeepEqual(got, want) {
					t.Errorf("event =\n%+v\nwant\n%+v", got, want)
				}
				stored := s.stored(t, tt.wantSender)
				if stored == nil {
					t.Fatal("sender not in the directory")
				}
				var ref any
				if err := json.Unmarshal([]byte(stored.ConvRef), &ref); err != nil || !sameJSON(t, ref, map[string]any{"recipient": map[string]any{"id": tt.wantSender}}) || !stored.InBotGroups {
					t.Errorf("stored sender ConvRef %s InBotGroups %v; want recipient %s, true", stored.ConvRef, stored.InBotGroups, tt.wantSender)
				}
				assertReplies(t, s.graph.Sent(), tt.wantSender, "RESPONSE", segmentbot.Message{Text: "ok: " + tt.want.Kind})
			})
		}
	})
}

// assertReplies checks the Send API got msg, rendered by cards.Meta, for
// recipient id.
func assertReplies(t *testing.T, sent []workplacetest.Sent, id, messagingType string, msg segmentbot.Message) {
	t.Helper()
	want := cards.Meta(msg)
	if len(sent) != len(want) {
		t.Fatalf("Send API got %d messages; want %d", len(sent), len(want))
	}
	for i, s := range sent {
		if s.Recipient["id"] != id || s.MessagingType != messagingType {
			t.Errorf("message %d went to %v as %q; want id %s as %q", i, s.Recipient, s.MessagingType, id, messagingType)
		}
		if !sameJSON(t, s.Message, want[i]) {
			t.Errorf("message %d = %v; want %v", i, s.Message, want[i])
		}
	}
}

// sameJSON compares two values as the JSON they encode to.
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	norm := func(v any) any {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		json.Unmarshal(raw, &out)
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func TestWebhookRepliesWithButtons(t *testing.T) {
	s := newSetup(t, "sqlite")
	reply := segmentbot.Message{Text: "Join the segment?", Buttons: []segmentbot.Button{
		{Title: "Opt in", Action: &segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: 3, Sig: "x"}},
		{Title: "Help", Say: "help"},
	}}
	s.bot.reply = func(segmentbot.Event) []segmentbot.Message { return []segmentbot.Message{reply} }
	if err := s.deliver(t, fixture(t, "message_text.json")); err != nil {
		t.Fatal(err)
	}
	sent := s.graph.Sent()
	assertReplies(t, sent, "sender_id", "RESPONSE", reply)
	payload := sent[0].Message["attachment"].(map[string]any)["payload"].(map[string]any)
	if payload["template_type"] != "button" {
		t.Fatalf("reply is %v; want a button template", sent[0].Message)
	}
}

func TestWebhookIgnoresEchoesReceiptsAndReads(t *testing.T) {
	bodies := map[string][]byte{
		"echo of the bot's message": workplacetest.Body(workplacetest.Event{Sender: "bot", Page: "u1", MID: "m1", Text: "hi", Echo: true}),
		"delivery receipt":          wrapMessaging([]byte(`{"sender":{"id":"u1"},"recipient":{"id":"p"},"delivery":{"mids":["m1"],"watermark":1458668856253}}`)),
		"read receipt":              wrapMessaging([]byte(`{"sender":{"id":"u1"},"recipient":{"id":"p"},"timestamp":1,"read":{"watermark":1458668856253}}`)),
		"image without text":        wrapMessaging([]byte(`{"sender":{"id":"u1"},"recipient":{"id":"p"},"timestamp":1,"message":{"mid":"m2","attachments":[{"type":"image","payload":{"url":"https://x/y.png"}}]}}`)),
		"group post change":         []byte(`{"object":"group","entry":[{"id":"g1","time":1,"changes":[{"field":"posts","value":{}}]}]}`),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			s := newSetup(t, "sqlite")
			if err := s.deliver(t, body); err != nil {
				t.Fatalf("ProcessWebhook: %v", err)
			}
			if n := len(s.bot.Events()); n != 0 || len(s.graph.Sent()) != 0 || s.stored(t, "u1") != nil || s.stored(t, "bot") != nil {
				t.Fatalf("ignored event reached the bot (%d), the Send API (%d) or the directory", n, len(s.graph.Sent()))
			}
		})
	}
}

func TestWebhookRedelivery(t *testing.T) {
	eachStore(t, func(t *testing.T, dialect string) {
		t.Run("the same webhook twice is handled once", func(t *testing.T) {
			s := newSetup(t, dialect)
			body := fixture(t, "message_text.json")
			for range 2 {
				if err := s.deliver(t, body); err != nil {
					t.Fatal(err)
				}
			}
			if n, m := len(s.bot.Events()), len(s.graph.Sent()); n != 1 || m != 1 {
				t.Fatalf("handled %d times, replied %d times; want once each", n, m)
			}
		})
		t.Run("a bot failure asks Meta to retry and the retry is handled", func(t *testing.T) {
			s := newSetup(t, dialect)
			s.bot.err = errors.New("database is down")
			body := fixture(t, "message_text.json")
			if err := s.deliver(t, body); err == nil || segmentbot.ErrorCode(err) != segmentbot.EINTERNAL {
				t.Fatalf("first delivery error = %v; want an internal error so Meta retries", err)
			}
			if err := s.deliver(t, body); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if n := len(s.bot.Events()); n != 1 || len(s.graph.Sent()) != 1 {
				t.Fatalf("retry handled %d events, sent %d; want 1, 1", n, len(s.graph.Sent()))
			}
		})
		t.Run("a Send API outage asks Meta to retry", func(t *testing.T) {
			s := newSetup(t, dialect)
			s.graph.Throttle = []workplacetest.Error{workplacetest.ErrThrottled, workplacetest.ErrThrottled, workplacetest.ErrThrottled, workplacetest.ErrThrottled}
			body := fixture(t, "message_text.json")
			if err := s.deliver(t, body); err == nil {
				t.Fatal("first delivery succeeded; want an error after the retries ran out")
			}
			if err := s.deliver(t, body); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if n := len(s.graph.Sent()); n != 1 {
				t.Fatalf("sent %d replies; want 1", n)
			}
		})
		t.Run("a recipient who cannot be messaged does not block the other events", func(t *testing.T) {
			s := newSetup(t, dialect)
			s.graph.Fail["gone"] = workplacetest.ErrPersonUnavailable
			body := workplacetest.Body(
				workplacetest.Event{Sender: "gone", Community: "c", Page: "b", MID: "m1", Text: "hi"},
				workplacetest.Event{Sender: "here", Community: "c", Page: "b", MID: "m2", Text: "hi"},
			)
			if err := s.deliver(t, body); err != nil {
				t.Fatalf("ProcessWebhook: %v; want the unreachable recipient dropped", err)
			}
			if err := s.deliver(t, body); err != nil {
				t.Fatal(err)
			}
			if n := len(s.bot.Events()); n != 2 {
				t.Fatalf("bot saw %d events; want 2, once each", n)
			}
			assertReplies(t, s.graph.Sent(), "here", "RESPONSE", segmentbot.Message{Text: "ok: message"})
		})
	})
}
