package handlers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestBroadcastWithMessageValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		seg := f.createSegment("Launch list")
		future := testNow.Add(time.Hour).Format(time.RFC3339)
		body := func(fields string) string { return fmt.Sprintf(`{"segment_id":%d,%s}`, seg.ID, fields) }
		bad := []struct{ name, body, says string }{
			{"a message that is a string", body(`"message":"hi"`), `Field "message" must be an object`},
			{"a message without text or card", body(`"message":{"title":"T"}`), "needs text"},
			{"an unknown message field", body(`"message":{"text":"x","colour":"red"}`), `Unknown field "colour"`},
			{"an http image", body(`"message":{"text":"x","image_url":"http://example.com/a.png"}`), `Field "message": The image URL must be an https:// link`},
			{"an image without a host", body(`"message":{"text":"x","image_url":"https:///a.png"}`), "The image URL must be an https:// link"},
			{"a button to a javascript link", body(`"message":{"text":"x","buttons":[{"title":"Go","url":"javascript:alert(1)"}]}`), "The link of button Go must be an https:// link"},
			{"a button without a title", body(`"message":{"text":"x","buttons":[{"url":"https://example.com"}]}`), "Button 1 has no title"},
			{"six buttons", body(`"message":{"text":"x","buttons":[` + strings.TrimSuffix(strings.Repeat(`{"title":"a","url":"https://e.com"},`, 6), ",") + `]}`), "at most 5"},
			{"a text over the cap", body(`"message":{"text":"` + strings.Repeat("x", segmentbot.MaxBroadcastText+1) + `"}`), "keep it to 10000"},
			{"a title over the cap", body(`"message":{"text":"x","title":"` + strings.Repeat("t", 201) + `"}`), "keep it to 200"},
			{"a card that is a string", body(`"message":{"card":"<b>hi</b>"}`), "The card must be a JSON object"},
			{"a card that is a list", body(`"message":{"card":[1,2]}`), "The card must be a JSON object"},
			{"a card of another type", body(`"message":{"card":{"type":"MessageCard"}}`), `its "type" must be "AdaptiveCard", not "MessageCard"`},
			{"a card without a type", body(`"message":{"card":{"body":[]}}`), "not missing"},
			{"a card with a body that is no list", body(`"message":{"card":{"type":"AdaptiveCard","body":"x"}}`), `"body" must be a list`},
			{"a card with a javascript link", body(`"message":{"card":{"type":"AdaptiveCard","actions":[{"type":"Action.OpenUrl","title":"x","url":"javascript:alert(1)"}]}}`), `The card's "url" must be an https:// link`},
			{"a card with an http image deep inside", body(`"message":{"card":{"type":"AdaptiveCard","body":[{"type":"Container","items":[{"type":"Image","url":"http://example.com/a.png"}]}]}}`), `The card's "url" must be an https:// link`},
			{"a card with actions that are no list", body(`"message":{"card":{"type":"AdaptiveCard","actions":{}}}`), `"actions" must be a list`},
			{"a card over the cap", body(`"message":{"card":{"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"` + strings.Repeat("x", segmentbot.MaxBroadcastCard) + `"}]}}`), "keep it to 24576"},
			{"a past time", body(`"message":{"text":"x"},"scheduled_at":"2020-01-01T00:00:00Z"`), "in the past"},
			{"a time that is not RFC 3339", body(`"message":{"text":"x"},"scheduled_at":"tomorrow"`), "RFC 3339"},
			{"a filter without a message", body(`"name":"x","scheduled_at":"` + future + `","filter":{"all":[{"attribute":"a","op":"exists"}]}`), "needs a \"message\""},
			{"an empty filter", body(`"message":{"text":"x"},"filter":{"all":[]}`), `Field "filter": The filter has no condition: give at least one, or no filter.`},
			{"a filter op that is unknown", body(`"message":{"text":"x"},"filter":{"all":[{"attribute":"dept","op":"like","values":["a"]}]}`), `Field "filter": Condition 1 of the filter: unknown op "like" for dept: use in, not_in, exists or missing.`},
			{"an in without values", body(`"message":{"text":"x"},"filter":{"all":[{"attribute":"dept","op":"in"}]}`), `Field "filter": Condition 1 of the filter: dept in needs at least one value.`},
			{"an exists with values", body(`"message":{"text":"x"},"filter":{"all":[{"attribute":"dept","op":"exists","values":["a"]}]}`), `Field "filter": Condition 1 of the filter: dept exists takes no values.`},
			{"a condition without attribute", body(`"message":{"text":"x"},"filter":{"all":[{"op":"exists"}]}`), `Field "filter": Condition 1 of the filter: the attribute name is missing.`},
			{"a name over the cap", body(`"message":{"text":"x"},"name":"` + strings.Repeat("n", 201) + `"`), `Field "name": The name can have at most 200 characters; this one has 201.`},
			{"a bidi override in the name", body(`"message":{"text":"x"},"name":"Pay\u202egnp.exe"`), `Field "name": The name contains an invisible or control character (U+202E)`},
			{"a zero-width space in a placeholder's name", body(`"scheduled_at":"` + future + `","name":"Wee\u200bkly"`), `Field "name": The name contains an invisible or control character (U+200B)`},
			{"a web address in the name", body(`"message":{"text":"x"},"name":"see https://evil.example"`), `Field "name": The name can't contain a web address`},
			{"a control character in the title", body(`"message":{"text":"x","title":"Launch\u001b[31m"}`), `Field "message": The title contains an invisible or control character (U+001B)`},
			{"a zero-width space in the text", body(`"message":{"text":"Hel\u200blo"}`), `Field "message": The text contains an invisible or control character (U+200B)`},
			{"a bidi override in a button title", body(`"message":{"text":"x","buttons":[{"title":"Re\u202ead","url":"https://e.com"}]}`), `Field "message": The title of button 1 contains`},
			{"no segment", `{"message":{"text":"x"}}`, `Field "segment_id"`},
		}
		for _, tt := range bad {
			t.Run(tt.name+" is 400 and says why", func(t *testing.T) {
				e := f.wantError("POST", "/v1/broadcasts", tt.body, 400, "invalid")
				if !strings.Contains(e.Error.Message, tt.says) {
					t.Errorf("message %q does not say %q", e.Error.Message, tt.says)
				}
			})
		}
		t.Run("nothing was created by the refused requests", func(t *testing.T) {
			if list, _ := db.FindBroadcasts(t.Context(), testNow, false); len(list) != 0 {
				t.Fatalf("%d broadcasts after refused requests", len(list))
			}
		})
		t.Run("a message without a time is due now and named after its title", func(t *testing.T) {
			var b segmentbot.Broadcast
			if st := f.call("POST", "/v1/broadcasts", body(`"message":{"title":"Launch","text":"It is **out**.","image_url":"https://example.com/a.png","buttons":[{"title":"Read","url":"https://example.com/post"}]}`), &b); st != 201 {
				t.Fatalf("status %d", st)
			}
			if !b.ScheduledAt.Equal(testNow) || b.Name != "Launch" || b.Status != segmentbot.BroadcastScheduled || b.Message == nil || len(b.Message.Buttons) != 1 {
				t.Fatalf("broadcast %+v", b)
			}
		})
		t.Run("a whole Adaptive Card is accepted, named after the segment", func(t *testing.T) {
			var b segmentbot.Broadcast
			if st := f.call("POST", "/v1/broadcasts", body(`"scheduled_at":"`+future+`","message":{"card":{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"Hi"},{"type":"Image","url":"https://example.com/a.png"}],"actions":[{"type":"Action.OpenUrl","title":"Go","url":"https://example.com"}]}}`), &b); st != 201 {
				t.Fatalf("status %d", st)
			}
			if b.Name != "Launch list broadcast" || !strings.Contains(string(b.Message.Card), "AdaptiveCard") {
				t.Fatalf("broadcast %+v", b)
			}
		})
		t.Run("name, title, text and button titles are stored NFC-normalised", func(t *testing.T) {
			var b segmentbot.Broadcast
			if st := f.call("POST", "/v1/broadcasts", body(`"name":" Cafe\u0301  week ","message":{"title":"Cafe\u0301","text":"Cafe\u0301\r\n\tat 9","buttons":[{"title":"Cafe\u0301","url":"https://example.com"}]}`), &b); st != 201 {
				t.Fatalf("status %d", st)
			}
			if b.Name != "Café week" || b.Message.Title != "Café" || b.Message.Text != "Café\n\tat 9" || b.Message.Buttons[0].Title != "Café" {
				t.Fatalf("broadcast %q, message %+v", b.Name, b.Message)
			}
		})
	})
}
