package teams_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/infracloudio/msbotbuilder-go/core/activity"
	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
)

// decoded is a kit activity as a host bot on msbotbuilder-go holds it.
func decoded(t *testing.T, a teamstest.Activity) schema.Activity {
	t.Helper()
	var out schema.Activity
	if err := json.Unmarshal(a.JSON(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEventFromMapsActivitiesLikeTheChannel(t *testing.T) {
	kit := teamstest.New(t)
	alice := teamstest.NewUser("Alice")
	optIn := segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: 7, Sig: "s1"}
	tests := []struct {
		name string
		a    teamstest.Activity
		ok   bool
		want segmentbot.Event
	}{
		{"typed text loses the bot's mention", kit.Message(alice, "<at>Segment Bot</at> my segments"), true,
			segmentbot.Event{Kind: segmentbot.EventMessage, Text: "my segments", Personal: true}},
		{"Action.Submit data is a card action", kit.Submit(alice, optIn), true,
			segmentbot.Event{Kind: segmentbot.EventAction, Action: &optIn, Personal: true}},
		{"Action.Execute is a card action answered in the response", kit.Invoke(alice, optIn), true,
			segmentbot.Event{Kind: segmentbot.EventAction, Action: &optIn, Personal: true, Invoke: true}},
		{"a sent file is a file event", kit.File(alice, "https://download.example/abc", "people.csv"), true,
			segmentbot.Event{Kind: segmentbot.EventFile, File: &segmentbot.File{URL: "https://download.example/abc", Name: "people.csv", Type: "csv"}, Personal: true}},
		{"adding the bot to a personal chat is an install", kit.InstallPersonal(alice), true,
			segmentbot.Event{Kind: segmentbot.EventInstalled, Personal: true}},
		{"card data without a verb is no event", kit.Submit(alice, map[string]any{"item": "vegan"}), false, segmentbot.Event{}},
		{"malformed card data is no event", kit.Submit(alice, map[string]any{"verb": 5}), false, segmentbot.Event{}},
		{"an empty message is no event", kit.Message(alice, "  "), false, segmentbot.Event{}},
		{"typing is no event", func() teamstest.Activity { a := kit.Message(alice, ""); a["type"] = "typing"; return a }(), false, segmentbot.Event{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := decoded(t, tt.a)
			sender := teams.Sender(a)
			sender.ID = 42
			got, ok := teams.EventFrom(a, sender)
			if ok != tt.ok {
				t.Fatalf("EventFrom ok = %v, want %v (%+v)", ok, tt.ok, got)
			}
			if !ok {
				return
			}
			if got.Kind != tt.want.Kind || got.Text != tt.want.Text || got.Personal != tt.want.Personal ||
				got.Invoke != tt.want.Invoke || got.ID != tt.a.ID() || got.Channel != segmentbot.ChannelTeams {
				t.Fatalf("event = %+v, want %+v", got, tt.want)
			}
			if !reflect.DeepEqual(got.Action, tt.want.Action) || !reflect.DeepEqual(got.File, tt.want.File) {
				t.Fatalf("action %+v file %+v, want %+v %+v", got.Action, got.File, tt.want.Action, tt.want.File)
			}
			if got.Sender.ID != 42 || got.Sender.ExternalID != alice.ID {
				t.Fatalf("sender = %+v, want the one passed in", got.Sender)
			}
		})
	}
}

func TestSenderIsReachableLater(t *testing.T) {
	kit := teamstest.New(t)
	alice := teamstest.NewUser("Alice")
	u := teams.Sender(decoded(t, kit.Message(alice, "hi")))
	if u.Channel != segmentbot.ChannelTeams || u.ExternalID != alice.ID || u.AADObjectID != alice.AADObjectID ||
		u.TenantID != teamstest.TenantID || u.Name != "Alice" || !u.InBotGroups || !u.Active || u.LastSeen.IsZero() {
		t.Fatalf("sender = %+v", u)
	}
	var ref map[string]string
	if err := json.Unmarshal([]byte(u.ConvRef), &ref); err != nil {
		t.Fatalf("conversation reference %q: %v", u.ConvRef, err)
	}
	for _, v := range []string{kit.ServiceURL(), teamstest.PersonalConversation(alice), teamstest.BotID} {
		if !containsValue(ref, v) {
			t.Errorf("conversation reference %v lacks %q", ref, v)
		}
	}
}

func containsValue(m map[string]string, v string) bool {
	for _, x := range m {
		if x == v {
			return true
		}
	}
	return false
}

func TestReplyRendersLikeTheChannel(t *testing.T) {
	tests := []struct {
		name      string
		msg       segmentbot.Message
		text      string
		cards     int
		cardTitle string
	}{
		{"plain text stays a text message", segmentbot.Message{Text: "You're in: Sales."}, "You're in: Sales.", 0, ""},
		{"a message with buttons is an Adaptive Card", segmentbot.Message{Title: "You're unsubscribed", Text: "You left: Sales.",
			Buttons: []segmentbot.Button{{Title: "Resubscribe", Action: &segmentbot.Action{Verb: segmentbot.VerbResubscribe, Segments: []int64{1}}}}},
			"", 1, "You're unsubscribed"},
		// Agents Playground runs the lines of a plain text message together.
		{"text of several lines is a card, a line each", segmentbot.Message{Text: "This is the card.\nNow: You're in: Sales."}, "", 1, ""},
		// A plain message would show the underscores of the placeholder.
		{"Markdown text is a card", segmentbot.Message{Text: "Type create segment _name_.", Markdown: true}, "", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := teams.Reply(tt.msg)
			if a.Type != schema.Message || len(a.Attachments) != tt.cards {
				t.Fatalf("reply = %+v", a)
			}
			if tt.cards == 0 && (a.Text != tt.text || a.TextFormat != "plain") {
				t.Fatalf("text %q (%s), want %q", a.Text, a.TextFormat, tt.text)
			}
			if tt.cards > 0 {
				if a.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" || a.Summary != tt.cardTitle {
					t.Fatalf("attachment %s, summary %q", a.Attachments[0].ContentType, a.Summary)
				}
				body, _ := json.Marshal(a.Attachments[0].Content)
				want := map[bool]string{true: "Resubscribe", false: tt.msg.Text}[len(tt.msg.Buttons) > 0]
				if tt.msg.Markdown {
					want = `"text":"Type create segment _name_."`
				} else if strings.Contains(want, "\n") {
					want = strings.ReplaceAll(want, "\n", `\n\n`) // a Markdown hard break in the text block
				}
				if !strings.Contains(string(body), want) {
					t.Fatalf("card %s lacks %q", body, want)
				}
			}
			// The host addresses it with the library's own helper.
			in := schema.Activity{ID: "1", ServiceURL: "https://smba.example/", Conversation: schema.ConversationAccount{ID: "a:1"}}
			out := activity.ApplyConversationReference(a, activity.GetCoversationReference(in), false)
			if out.ServiceURL != in.ServiceURL || out.Conversation.ID != "a:1" || out.ReplyToID != "1" {
				t.Fatalf("addressed reply = %+v", out)
			}
		})
	}
}

func TestInvokeReplyAnswersAnExecuteInTheResponse(t *testing.T) {
	card := segmentbot.Message{Title: "Sales", Text: "You're out: Sales."}
	tests := []struct {
		name     string
		resp     *segmentbot.Response
		wantType string
	}{
		{"a refreshed card replaces the tapped one", &segmentbot.Response{Card: &card}, "application/vnd.microsoft.card.adaptive"},
		{"a text answer is a message", &segmentbot.Response{Messages: []segmentbot.Message{{Text: "That button is not valid."}}}, "application/vnd.microsoft.activity.message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := teams.InvokeReply(tt.resp)
			if got.StatusCode != 200 || got.Type != tt.wantType || got.Value == nil {
				t.Fatalf("invoke reply = %+v", got)
			}
		})
	}
}

func TestValidatorAcceptsOnlyTheConnectorsTokens(t *testing.T) {
	kit := teamstest.New(t)
	v, err := teams.NewValidator(kit.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close(context.Background()) })
	msg := kit.Message(teamstest.NewUser("Alice"), "hi")
	tests := []struct {
		name string
		auth string
		ok   bool
	}{
		{"a token signed by the connector", kit.Sign(msg), true},
		{"a token signed by another key", kit.Sign(msg, teamstest.BadSignature()), false},
		{"a token for another bot", kit.Sign(msg, teamstest.Audience("someone-else")), false},
		{"no token", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.AuthenticateRequest(context.Background(), decoded(t, msg), tt.auth, nil, "")
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	t.Run("a validator needs an app id", func(t *testing.T) {
		if _, err := teams.NewValidator(teams.Config{}); segmentbot.ErrorCode(err) != segmentbot.EINVALID {
			t.Fatalf("err = %v, want EINVALID", err)
		}
	})
}

func TestConnectorSendsWithTheBotsToken(t *testing.T) {
	kit := teamstest.New(t)
	conn, err := teams.NewConnector(kit.Config())
	if err != nil {
		t.Fatal(err)
	}
	reply := teams.Reply(segmentbot.Message{Text: "hello"})
	reply.ServiceURL, reply.Conversation = kit.ServiceURL(), schema.ConversationAccount{ID: "a:1"}
	id, err := conn.SendActivity(context.Background(), reply)
	if err != nil {
		t.Fatal(err)
	}
	sent := kit.Sent()
	if len(sent) != 1 || sent[0].ActivityID != id || sent[0].Text() != "hello" || sent[0].ConversationID != "a:1" {
		t.Fatalf("sent %+v, id %q", sent, id)
	}
}
