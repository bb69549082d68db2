package teams_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
)

func TestActivitiesBecomeEvents(t *testing.T) {
	alice := teamstest.NewUser("Alice")
	optIn := segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: 7, Sig: "s1"}
	tests := []struct {
		name  string
		build func(k *teamstest.Kit) teamstest.Activity
		want  segmentbot.Event
	}{
		{"typed text without the bot mention is a message", func(k *teamstest.Kit) teamstest.Activity {
			a := k.Message(alice, "<at>Segment Bot</at>  list segments ")
			a["entities"] = []any{map[string]any{"type": "mention", "text": "<at>Segment Bot</at>", "mentioned": map[string]any{"id": teamstest.BotID}}}
			return a
		}, segmentbot.Event{Kind: segmentbot.EventMessage, Text: "list segments", Personal: true}},
		{"Action.Submit data is a card action", func(k *teamstest.Kit) teamstest.Activity {
			return k.Submit(alice, optIn)
		}, segmentbot.Event{Kind: segmentbot.EventAction, Action: &optIn, Personal: true}},
		{"a sent file is a file event", func(k *teamstest.Kit) teamstest.Activity {
			return k.File(alice, "https://download.example/abc", "people.csv")
		}, segmentbot.Event{Kind: segmentbot.EventFile, File: &segmentbot.File{URL: "https://download.example/abc", Name: "people.csv", Type: "csv"}, Personal: true}},
		{"adding the bot to a personal chat is an install", func(k *teamstest.Kit) teamstest.Activity {
			return k.InstallPersonal(alice)
		}, segmentbot.Event{Kind: segmentbot.EventInstalled, Personal: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot := &fakeBot{}
			kit, ch, _ := setup(t, bot)
			a := tt.build(kit)
			mustDeliver(t, kit, ch, a)
			evs := bot.Events()
			if len(evs) != 1 {
				t.Fatalf("%d events, want 1", len(evs))
			}
			got := evs[0]
			if got.Kind != tt.want.Kind || got.Text != tt.want.Text || got.Personal != tt.want.Personal || got.ID != a.ID() {
				t.Fatalf("event = %+v, want %+v", got, tt.want)
			}
			if !reflect.DeepEqual(got.Action, tt.want.Action) {
				t.Fatalf("action = %+v, want %+v", got.Action, tt.want.Action)
			}
			if (got.File == nil) != (tt.want.File == nil) || got.File != nil && *got.File != *tt.want.File {
				t.Fatalf("file = %+v, want %+v", got.File, tt.want.File)
			}
			if got.Sender.ID == 0 || got.Sender.ExternalID != alice.ID || got.Sender.Channel != segmentbot.ChannelTeams {
				t.Fatalf("sender = %+v", got.Sender)
			}
		})
	}
}

func TestSenderIsStoredWithAConversationReference(t *testing.T) {
	kit, ch, store := setup(t, &fakeBot{})
	alice := teamstest.NewUser("Alice")
	mustDeliver(t, kit, ch, kit.Message(alice, "hi"))
	u, err := store.FindUserByExternalID(context.Background(), segmentbot.ChannelTeams, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.TenantID != teamstest.TenantID || u.AADObjectID != alice.AADObjectID || u.Name != "Alice" ||
		u.TimeZone != "Europe/Berlin" || !u.InBotGroups || !u.Active || u.LastSeen.IsZero() {
		t.Fatalf("stored %+v", u)
	}
	var ref map[string]string
	if err := json.Unmarshal([]byte(u.ConvRef), &ref); err != nil {
		t.Fatalf("ConvRef %q: %v", u.ConvRef, err)
	}
	if ref["serviceUrl"] != kit.ServiceURL() || ref["conversationId"] != teamstest.PersonalConversation(alice) ||
		ref["tenantId"] != teamstest.TenantID || ref["botId"] != teamstest.BotID || ref["userId"] != alice.ID {
		t.Fatalf("ConvRef = %v", ref)
	}
}

func TestRedeliveredActivityIsHandledOnce(t *testing.T) {
	bot := echo("Done.")
	kit, ch, _ := setup(t, bot)
	a := kit.Message(teamstest.NewUser("Alice"), "join news")
	for range 3 {
		mustDeliver(t, kit, ch, a)
	}
	sent := kit.WaitSent(t, 1)
	time.Sleep(100 * time.Millisecond) // a second reply would be queued by now
	if n := len(bot.Events()); n != 1 {
		t.Fatalf("%d HandleEvent calls, want 1", n)
	}
	if n := len(kit.Sent()); n != 1 {
		t.Fatalf("%d replies, want 1", n)
	}
	if sent[0].Activity["replyToId"] != a.ID() {
		t.Fatalf("reply to %v, want %s", sent[0].Activity["replyToId"], a.ID())
	}
}

func TestFailedHandlingIsRetriedByTheChannel(t *testing.T) {
	bot := &fakeBot{err: fmt.Errorf("database down")}
	kit, ch, _ := setup(t, bot)
	a := kit.Message(teamstest.NewUser("Alice"), "join news")
	if _, err := deliver(t, kit, ch, a); segmentbot.ErrorCode(err) != segmentbot.EINTERNAL {
		t.Fatalf("err = %v, want an internal error (500, so the channel retries)", err)
	}
	bot.mu.Lock()
	bot.err = nil
	bot.mu.Unlock()
	mustDeliver(t, kit, ch, a)
	if n := len(bot.Events()); n != 2 {
		t.Fatalf("%d HandleEvent calls, want 2 (the retry runs again)", n)
	}
}

func TestWelcomeIsSentOncePerInstall(t *testing.T) {
	bot := echo("Welcome!")
	kit, ch, _ := setup(t, bot)
	alice := teamstest.NewUser("Alice")
	mustDeliver(t, kit, ch, kit.InstallUpdate(alice))
	mustDeliver(t, kit, ch, kit.InstallPersonal(alice))
	kit.WaitSent(t, 1)
	time.Sleep(100 * time.Millisecond)
	if n := len(bot.Events()); n != 1 || bot.Events()[0].Kind != segmentbot.EventInstalled {
		t.Fatalf("events %+v, want one install", bot.Events())
	}
	if n := len(kit.Sent()); n != 1 {
		t.Fatalf("%d welcomes, want 1", n)
	}
}

func TestTeamInstallLoadsTheWholeRoster(t *testing.T) {
	bot := &fakeBot{}
	kit, ch, store := setup(t, bot)
	var members []teams.Member
	for i := range 7 {
		u := teamstest.NewUser(fmt.Sprintf("Member %d", i))
		members = append(members, u.Member(fmt.Sprintf("Member%d@Contoso.com", i)))
	}
	const team = "19:kit-team@thread.tacv2"
	kit.SetRoster(team, members, 3) // pages of 3, 3, 1
	mustDeliver(t, kit, ch, kit.InstallTeam(team))
	for _, m := range members {
		u, err := store.FindUserByExternalID(context.Background(), segmentbot.ChannelTeams, m.ID)
		if err != nil {
			t.Fatalf("member %s not stored: %v", m.ID, err)
		}
		if !u.InBotGroups || u.AADObjectID != m.ObjectID || u.Email != strings.ToLower(m.Email) || u.TenantID != teamstest.TenantID {
			t.Fatalf("stored %+v from %+v", u, m)
		}
	}
	evs := bot.Events()
	if len(evs) != 1 || evs[0].Kind != segmentbot.EventTeam {
		t.Fatalf("events %+v, want one team_added", evs)
	}
}

func TestInvokeIsAnsweredInTheResponse(t *testing.T) {
	card := segmentbot.Message{Title: "News", Text: "You joined."}
	bot := &fakeBot{resp: &segmentbot.Response{Card: &card}}
	kit, ch, _ := setup(t, bot)
	act := segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: 3, Sig: "x"}
	resp := mustDeliver(t, kit, ch, kit.Invoke(teamstest.NewUser("Alice"), act))
	b, _ := json.Marshal(resp)
	var got struct {
		StatusCode int            `json:"statusCode"`
		Type       string         `json:"type"`
		Value      map[string]any `json:"value"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("response %s: %v", b, err)
	}
	if got.StatusCode != 200 || got.Type != "application/vnd.microsoft.card.adaptive" || got.Value["type"] != "AdaptiveCard" {
		t.Fatalf("invoke response %s", b)
	}
	ev := bot.Events()[0]
	if !ev.Invoke || !reflect.DeepEqual(ev.Action, &act) {
		t.Fatalf("event %+v", ev)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(kit.Sent()); n != 0 {
		t.Fatalf("invoke result also posted %d times to the conversation", n)
	}
}

func TestMalformedActivities(t *testing.T) {
	kit, ch, _ := setup(t, &fakeBot{})
	tests := []struct {
		name string
		body []byte
		auth string
		code string
	}{
		{"invalid JSON is EINVALID", []byte(`{"type":`), "Bearer x.y.z", segmentbot.EINVALID},
		{"a message without an id is EINVALID", nil, "", segmentbot.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, auth := tt.body, tt.auth
			if body == nil {
				a := kit.Message(teamstest.NewUser("Alice"), "hi")
				delete(a, "id")
				body, auth = a.JSON(), kit.Sign(a)
			}
			_, err := ch.ProcessActivity(context.Background(), auth, body)
			if segmentbot.ErrorCode(err) != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
		})
	}
}

func TestIgnoredActivitiesAreAnsweredEmpty(t *testing.T) {
	bot := &fakeBot{}
	kit, ch, store := setup(t, bot)
	a := kit.Message(teamstest.NewUser("Alice"), "")
	a["type"] = "typing"
	resp, err := deliver(t, kit, ch, a)
	if err != nil || resp != nil || len(bot.Events()) != 0 || store.countUsers() != 0 {
		t.Fatalf("typing: resp %v err %v events %d users %d", resp, err, len(bot.Events()), store.countUsers())
	}
}
