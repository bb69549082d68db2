package teams_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	segbot "github.com/segmentbot/segmentbot/bot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
)

// news is a broadcast copy as the broadcaster hands it to a channel.
func news() segmentbot.Message {
	return segmentbot.Message{
		Title: "Launch", Text: "It is **out**.",
		Buttons: []segmentbot.Button{
			{Title: "Read", URL: "https://example.com/post"},
			{Title: "Opt out", Action: &segmentbot.Action{Verb: segmentbot.VerbOptOut, SegmentID: 7, Sig: "c2ln"}},
		},
		Note: "You get this because you joined News.",
	}
}

// broadcastSetup is a kit and a channel that may install the app.
func broadcastSetup(t testing.TB) (*teamstest.Kit, *teams.Channel, *memStore) {
	t.Helper()
	kit := teamstest.New(t)
	store := newMemStore()
	cfg := kit.Config()
	cfg.CatalogAppID = teamstest.CatalogAppID
	ch, err := teams.New(cfg, segbot.NewEntrance(&fakeBot{}, store, store), store)
	if err != nil {
		t.Fatal(err)
	}
	return kit, ch, store
}

// rosterUser is a member of one of the bot's teams who never talked to
// it: a reference to the team's serviceUrl without a conversation.
func rosterUser(kit *teamstest.Kit, name string) *segmentbot.User {
	u := teamstest.NewUser(name)
	kit.KnowMember(u.ID)
	ref, _ := json.Marshal(map[string]string{"serviceUrl": kit.ServiceURL(), "tenantId": teamstest.TenantID, "botId": teamstest.BotID, "userId": u.ID})
	return &segmentbot.User{ID: 1, Channel: segmentbot.ChannelTeams, TenantID: teamstest.TenantID, ExternalID: u.ID,
		AADObjectID: u.AADObjectID, Name: name, ConvRef: string(ref)}
}

// chatUser has talked to the bot in their personal chat.
func chatUser(kit *teamstest.Kit, name string) *segmentbot.User {
	u := rosterUser(kit, name)
	var ref map[string]string
	_ = json.Unmarshal([]byte(u.ConvRef), &ref)
	ref["conversationId"] = teamstest.PersonalConversation(teamstest.NewUser(name))
	b, _ := json.Marshal(ref)
	u.ConvRef = string(b)
	return u
}

// graphUser is known only through Graph: an AAD object id and an email.
func graphUser(kit *teamstest.Kit, name string) *segmentbot.User {
	u := teamstest.NewUser(name)
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@contoso.com"
	kit.AddGraphUser(teamstest.GraphUser{ID: u.AADObjectID, UPN: email, Mail: email, Name: name})
	return &segmentbot.User{ID: 2, Channel: segmentbot.ChannelTeams, TenantID: teamstest.TenantID, AADObjectID: u.AADObjectID, Email: email, Name: name}
}

func TestSendBroadcastConversationPaths(t *testing.T) {
	ctx := context.Background()
	t.Run("a known personal chat is used as it is", func(t *testing.T) {
		kit, ch, _ := broadcastSetup(t)
		u := chatUser(kit, "Ann")
		if err := ch.SendBroadcast(ctx, u, news()); err != nil {
			t.Fatal(err)
		}
		sent := kit.SentTo(teamstest.PersonalConversation(teamstest.NewUser("Ann")))
		if len(sent) != 1 || len(kit.Opened()) != 0 || kit.Installs() != 0 {
			t.Fatalf("%d sent, %d opened, %d installs; want 1, 0, 0", len(sent), len(kit.Opened()), kit.Installs())
		}
		card := sent[0].Card()
		if card == nil || !strings.Contains(string(sent[0].Body), "You get this because you joined News.") || !strings.Contains(string(sent[0].Body), `"verb":"opt_out"`) {
			t.Fatalf("sent %s; want the card with the why-line and Opt out", sent[0].Body)
		}
	})
	t.Run("a roster member gets a chat opened with POST /v3/conversations", func(t *testing.T) {
		kit, ch, store := broadcastSetup(t)
		u := rosterUser(kit, "Ben")
		if err := ch.SendBroadcast(ctx, u, news()); err != nil {
			t.Fatal(err)
		}
		opened := kit.Opened()
		if len(opened) != 1 || opened[0].BotID != teamstest.BotID || opened[0].MemberID != u.ExternalID || opened[0].TenantID != teamstest.TenantID || opened[0].IsGroup {
			t.Fatalf("opened %+v; want one personal chat of the bot 28:<app id> with the 29: id in the tenant", opened)
		}
		if n := len(kit.SentTo(opened[0].ConversationID)); n != 1 {
			t.Fatalf("%d sent to the opened chat, want 1", n)
		}
		stored, err := store.FindUserByExternalID(ctx, segmentbot.ChannelTeams, u.ExternalID)
		if err != nil || !strings.Contains(stored.ConvRef, opened[0].ConversationID) || !strings.Contains(u.ConvRef, opened[0].ConversationID) {
			t.Fatalf("kept ref %+v, %v; want the opened chat", stored, err)
		}
	})
	for _, pre := range []bool{false, true} {
		name := "a user known only through Graph gets the app installed"
		if pre {
			name += ", a 409 on the way"
		}
		t.Run(name, func(t *testing.T) {
			kit, ch, store := broadcastSetup(t)
			u := graphUser(kit, "Cat Graph")
			if pre {
				kit.PreinstallApp(u.AADObjectID)
			}
			if err := ch.SendBroadcast(ctx, u, news()); err != nil {
				t.Fatal(err)
			}
			chat := teamstest.InstalledChat(u.AADObjectID)
			if kit.Installs() != 1 || len(kit.SentTo(chat)) != 1 || len(kit.Opened()) != 0 {
				t.Fatalf("%d installs, %d sent to %s, %d opened; want 1, 1, 0", kit.Installs(), len(kit.SentTo(chat)), chat, len(kit.Opened()))
			}
			if !strings.Contains(u.ConvRef, chat) || store.upserts != 1 {
				t.Fatalf("ref %q after %d upserts; want the chat kept", u.ConvRef, store.upserts)
			}
		})
	}
	t.Run("a Graph user with no serviceUrl to be found is not_reachable", func(t *testing.T) {
		kit := teamstest.New(t)
		cfg := kit.Config()
		cfg.CatalogAppID, cfg.ServiceURL = teamstest.CatalogAppID, ""
		store := newMemStore() // knows no team
		ch, err := teams.New(cfg, segbot.NewEntrance(&fakeBot{}, store, store), store)
		if err != nil {
			t.Fatal(err)
		}
		err = ch.SendBroadcast(ctx, graphUser(kit, "Nia"), news())
		wantFailure(t, err, segmentbot.DeliveryNotReachable, false)
		if len(kit.Calls()) != 0 || kit.Installs() != 0 {
			t.Fatalf("%d connector calls, %d installs; want none", len(kit.Calls()), kit.Installs())
		}
	})
	t.Run("a 29: id outside the bot's teams falls through to the install", func(t *testing.T) {
		kit, ch, _ := broadcastSetup(t)
		u := graphUser(kit, "Dan")
		u.ExternalID = "29:not-in-any-team"
		if err := ch.SendBroadcast(ctx, u, news()); err != nil {
			t.Fatal(err)
		}
		calls := kit.Calls()
		if calls[0].Path != "/v3/conversations" || calls[0].Status != http.StatusForbidden || len(kit.SentTo(teamstest.InstalledChat(u.AADObjectID))) != 1 {
			t.Fatalf("calls %+v; want a refused opening, then the installed chat", calls)
		}
	})
	t.Run("without an app catalog id a user the bot cannot open a chat with is not_reachable", func(t *testing.T) {
		kit, ch, _ := setup(t, &fakeBot{})
		for _, u := range []*segmentbot.User{graphUser(kit, "Eve"), func() *segmentbot.User {
			u := graphUser(kit, "Fay")
			u.ExternalID = "29:not-in-any-team"
			return u
		}()} {
			err := ch.SendBroadcast(ctx, u, news())
			wantFailure(t, err, segmentbot.DeliveryNotReachable, false)
		}
		if len(kit.Sent()) != 0 || kit.Installs() != 0 {
			t.Fatalf("%d sent, %d installs; want none", len(kit.Sent()), kit.Installs())
		}
	})
}

func TestSendBroadcastMapsErrorsToReasons(t *testing.T) {
	ctx := context.Background()
	status := func(code int, c string) teamstest.Failure { return teamstest.Failure{Status: code, Code: c} }
	for _, tc := range []struct {
		name       string
		arrange    func(kit *teamstest.Kit, u *segmentbot.User) // u: a roster member
		reason     string
		retry      bool
		retryAfter time.Duration
	}{
		{"post: blocked by the user", failPost(teamstest.Blocked), segmentbot.DeliveryBlocked, false, 0},
		{"post: the bot was removed", failPost(teamstest.BotGone), segmentbot.DeliveryNotReachable, false, 0},
		{"post: the conversation is gone", failPost(teamstest.ConversationGone), segmentbot.DeliveryNotReachable, false, 0},
		{"post: 429 with Retry-After", failPost(teamstest.Failure{Status: 429, Code: "TooManyRequests", RetryAfter: "3"}), segmentbot.DeliveryThrottled, true, 3 * time.Second},
		{"post: 412", failPost(status(412, "PreconditionFailed")), segmentbot.DeliveryError, true, 0},
		{"post: 502", failPost(status(502, "BadGateway")), segmentbot.DeliveryError, true, 0},
		{"post: 503 with Retry-After", failPost(teamstest.Failure{Status: 503, Code: "ServiceUnavailable", RetryAfter: "2"}), segmentbot.DeliveryError, true, 2 * time.Second},
		{"post: 504", failPost(status(504, "GatewayTimeout")), segmentbot.DeliveryError, true, 0},
		{"post: 500", failPost(status(500, "InternalServerError")), segmentbot.DeliveryError, false, 0},
		{"post: 400", failPost(status(400, "BadArgument")), segmentbot.DeliveryError, false, 0},
		{"opening: blocked by the user", func(kit *teamstest.Kit, u *segmentbot.User) { kit.FailOpen(u.ExternalID, teamstest.Blocked) }, segmentbot.DeliveryBlocked, false, 0},
		{"opening: 429", func(kit *teamstest.Kit, u *segmentbot.User) { kit.FailOpen(u.ExternalID, teamstest.Throttled) }, segmentbot.DeliveryThrottled, true, time.Second},
		{"install: 429", failInstall(teamstest.Failure{Status: 429, Code: "TooManyRequests", RetryAfter: "5"}), segmentbot.DeliveryThrottled, true, 5 * time.Second},
		{"install: 503", failInstall(status(503, "serviceNotAvailable")), segmentbot.DeliveryError, true, 0},
		{"install: 403 (a missing permission)", failInstall(status(403, "Forbidden")), segmentbot.DeliveryError, false, 0},
		{"install: the user is gone from the directory", func(kit *teamstest.Kit, u *segmentbot.User) {
			u.AADObjectID = "00000000-dead-4000-8000-000000000000"
			kit.KnowMember() // u's 29: id stays unknown to the connector
		}, segmentbot.DeliveryLeftTenant, false, 0},
		{"install: the account is disabled", func(kit *teamstest.Kit, u *segmentbot.User) {
			kit.AddGraphUser(teamstest.GraphUser{ID: u.AADObjectID, Name: u.Name, Disabled: true})
		}, segmentbot.DeliveryLeftTenant, false, 0},
		{"install: 404 for an app id not in the catalog, the user still there", func(kit *teamstest.Kit, u *segmentbot.User) {
			kit.FailInstall(u.AADObjectID, teamstest.Failure{Status: 404, Code: "NotFound"})
		}, segmentbot.DeliveryError, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kit, ch, _ := broadcastSetup(t)
			u := rosterUser(kit, "Gil")
			if strings.HasPrefix(tc.name, "post:") {
				u = chatUser(kit, "Gil")
			}
			if strings.HasPrefix(tc.name, "install:") {
				u.ExternalID, u.ConvRef = "29:not-in-any-team", "" // reached only through Graph
				kit.AddGraphUser(teamstest.GraphUser{ID: u.AADObjectID, Name: u.Name})
			}
			tc.arrange(kit, u)
			err := ch.SendBroadcast(ctx, u, news())
			f := wantFailure(t, err, tc.reason, tc.retry)
			if f.RetryAfter != tc.retryAfter {
				t.Fatalf("RetryAfter = %s, want %s", f.RetryAfter, tc.retryAfter)
			}
			if len(kit.Sent()) != 0 {
				t.Fatalf("%d sent", len(kit.Sent()))
			}
			for _, c := range kit.Calls() { // one attempt: no call is repeated
				if c.Status >= 300 && countCalls(kit.Calls(), c.Path) > 1 {
					t.Fatalf("%s was called %d times; the broadcaster retries, not the channel", c.Path, countCalls(kit.Calls(), c.Path))
				}
			}
			if kit.Installs() > 1 {
				t.Fatalf("%d installs, want at most 1", kit.Installs())
			}
		})
	}
	t.Run("the upstream message is kept for the log", func(t *testing.T) {
		kit, ch, _ := broadcastSetup(t)
		u := chatUser(kit, "Hal")
		failPost(teamstest.Failure{Status: 400, Code: "BadSyntax"})(kit, u)
		err := ch.SendBroadcast(ctx, u, news())
		if err == nil || !strings.Contains(err.Error(), "BadSyntax") || !strings.Contains(err.Error(), "status 400") {
			t.Fatalf("err = %v; want the upstream status and code in it", err)
		}
	})
	t.Run("a card that is not an Adaptive Card is refused before anything is sent", func(t *testing.T) {
		kit, ch, _ := broadcastSetup(t)
		msg := news()
		msg.Card = json.RawMessage(`{"type":"HeroCard"}`)
		err := ch.SendBroadcast(ctx, chatUser(kit, "Ivy"), msg)
		wantFailure(t, err, segmentbot.DeliveryError, false)
		if segmentbot.ErrorCode(err) != segmentbot.EINVALID || len(kit.Calls()) != 0 {
			t.Fatalf("err %v after %d calls; want EINVALID and no call", err, len(kit.Calls()))
		}
	})
	t.Run("a given card goes out with our buttons and the why-line", func(t *testing.T) {
		kit, ch, _ := broadcastSetup(t)
		msg := news()
		msg.Card = json.RawMessage(`{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"Given"}]}`)
		if err := ch.SendBroadcast(ctx, chatUser(kit, "Jo"), msg); err != nil {
			t.Fatal(err)
		}
		card := kit.Sent()[0].Card()
		body, _ := json.Marshal(card)
		if !strings.Contains(string(body), `"Given"`) || !strings.Contains(string(body), "You get this because") || !strings.Contains(string(body), `"Opt out"`) || strings.Contains(string(body), "Launch") {
			t.Fatalf("card %s", body)
		}
	})
}

func failPost(f teamstest.Failure) func(*teamstest.Kit, *segmentbot.User) {
	return func(kit *teamstest.Kit, u *segmentbot.User) {
		kit.FailConversation(teamstest.PersonalConversation(teamstest.User{ID: u.ExternalID}), f)
	}
}

func failInstall(f teamstest.Failure) func(*teamstest.Kit, *segmentbot.User) {
	return func(kit *teamstest.Kit, u *segmentbot.User) { kit.FailInstall(u.AADObjectID, f) }
}

func countCalls(calls []teamstest.Call, path string) int {
	n := 0
	for _, c := range calls {
		if c.Path == path {
			n++
		}
	}
	return n
}

// wantFailure checks err is a DeliveryFailure with reason and retry.
func wantFailure(t *testing.T, err error, reason string, retry bool) *segmentbot.DeliveryFailure {
	t.Helper()
	var f *segmentbot.DeliveryFailure
	if !errors.As(err, &f) {
		t.Fatalf("err = %v, want a DeliveryFailure", err)
	}
	if f.Reason != reason || f.Retry != retry {
		t.Fatalf("failure %q retry=%v (%v), want %q retry=%v", f.Reason, f.Retry, f.Err, reason, retry)
	}
	return f
}

// The kit's storm and pace helpers, as the broadcaster's tests use them.
func TestKitBurstsAndPace(t *testing.T) {
	ctx := context.Background()
	kit, ch, _ := broadcastSetup(t)
	u := chatUser(kit, "Kim")
	kit.FailAll(teamstest.Failure{Status: http.StatusBadGateway, Code: "BadGateway", Times: 2})
	for range 2 {
		wantFailure(t, ch.SendBroadcast(ctx, u, news()), segmentbot.DeliveryError, true)
	}
	for range 4 {
		if err := ch.SendBroadcast(ctx, u, news()); err != nil {
			t.Fatalf("after the burst: %v", err)
		}
	}
	if n := len(kit.SentTo(teamstest.PersonalConversation(teamstest.NewUser("Kim")))); n != 4 {
		t.Fatalf("%d delivered after the burst, want 4", n)
	}
	if most := kit.MaxPerWindow(time.Minute); most != 4 {
		t.Fatalf("MaxPerWindow(1m) = %d, want the 4 posts", most)
	}
	if most := kit.MaxPerWindow(time.Nanosecond); most != 1 {
		t.Fatalf("MaxPerWindow(1ns) = %d, want 1", most)
	}
	calls := kit.Calls()
	if len(calls) != 6 || calls[0].Status != http.StatusBadGateway || calls[2].Status != http.StatusCreated {
		t.Fatalf("calls %+v; want 2 refused then 4 served", calls)
	}
}

// A broadcast's card is rendered once and reused for its copies; each
// copy still goes to its own conversation, and a message that differs in
// anything, even changed in place after a send, is rendered anew.
func TestEachCopyCarriesItsOwnMessageAndConversation(t *testing.T) {
	ctx := context.Background()
	kit, ch, _ := broadcastSetup(t)
	second := news()
	second.Title, second.Text = "Second", "Another story."
	changed := news()
	sends := []struct {
		user string
		msg  func() segmentbot.Message
		want []string
		not  []string
	}{
		{"Ann", news, []string{"Launch", "It is", `"Read"`}, []string{"Second"}},
		{"Ben", func() segmentbot.Message { return second }, []string{"Second", "Another story."}, []string{"Launch"}},
		{"Dee", func() segmentbot.Message { return changed }, []string{"Launch", `"Read"`}, nil},
		{"Eve", func() segmentbot.Message { changed.Buttons[0].Title = "Read more"; return changed }, []string{"Launch", `"Read more"`}, []string{`"Read"`}},
		{"Cy", news, []string{"Launch", `"Read"`}, []string{"Second"}},
	}
	for _, s := range sends {
		if err := ch.SendBroadcast(ctx, chatUser(kit, s.user), s.msg()); err != nil {
			t.Fatalf("%s: %v", s.user, err)
		}
	}
	for _, s := range sends {
		conv := teamstest.PersonalConversation(teamstest.NewUser(s.user))
		sent := kit.SentTo(conv)
		if len(sent) != 1 {
			t.Fatalf("%s's chat got %d posts, want 1", s.user, len(sent))
		}
		body := string(sent[0].Body)
		if !strings.Contains(body, `"conversation":{"id":"`+conv+`"`) {
			t.Errorf("%s's copy names another conversation: %s", s.user, body)
		}
		for _, w := range s.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s's copy lacks %s: %s", s.user, w, body)
			}
		}
		for _, n := range s.not {
			if strings.Contains(body, n) {
				t.Errorf("%s's copy has %s: %s", s.user, n, body)
			}
		}
	}
}
