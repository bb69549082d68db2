package teams_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
)

// knownUser delivers one message from name so the store holds a user
// with a conversation reference, and returns that user.
func knownUser(t *testing.T, kit *teamstest.Kit, store *memStore, deliverFn func(teamstest.Activity)) *segmentbot.User {
	t.Helper()
	u := teamstest.NewUser("Bob")
	deliverFn(kit.Message(u, "hi"))
	stored, err := store.FindUserByExternalID(context.Background(), segmentbot.ChannelTeams, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

func TestSend(t *testing.T) {
	t.Run("100 concurrent sends share one token request", func(t *testing.T) {
		kit, ch, store := setup(t, &fakeBot{})
		bob := knownUser(t, kit, store, func(a teamstest.Activity) { mustDeliver(t, kit, ch, a) })
		var wg sync.WaitGroup
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := ch.Send(context.Background(), bob, segmentbot.Message{Text: "report"}); err != nil {
					t.Errorf("Send: %v", err)
				}
			}()
		}
		wg.Wait()
		if n := kit.TokenRequests(); n != 1 {
			t.Fatalf("%d token requests, want 1", n)
		}
		if n := len(kit.Sent()); n != 100 {
			t.Fatalf("%d activities sent, want 100", n)
		}
	})
	t.Run("returns the new activity id and posts the card to the conversation", func(t *testing.T) {
		kit, ch, store := setup(t, &fakeBot{})
		bob := knownUser(t, kit, store, func(a teamstest.Activity) { mustDeliver(t, kit, ch, a) })
		id, err := ch.Send(context.Background(), bob, segmentbot.Message{Title: "Import", Text: "started"})
		if err != nil {
			t.Fatal(err)
		}
		sent := kit.Sent()
		if len(sent) != 1 || sent[0].ActivityID != id || id == "" {
			t.Fatalf("Send returned %q; sent %+v", id, sent)
		}
		if sent[0].ConversationID != teamstest.PersonalConversation(teamstest.NewUser("Bob")) {
			t.Fatalf("sent to conversation %q", sent[0].ConversationID)
		}
		if sent[0].Card() == nil || sent[0].Auth == "" {
			t.Fatalf("sent without a card or without a token: %s", sent[0].Body)
		}
		if _, ok := sent[0].Activity["timestamp"]; ok {
			t.Fatalf("outbound activity carries zero-valued fields: %s", sent[0].Body)
		}
	})
	t.Run("429 with Retry-After is waited out", func(t *testing.T) {
		kit, ch, store := setup(t, &fakeBot{})
		bob := knownUser(t, kit, store, func(a teamstest.Activity) { mustDeliver(t, kit, ch, a) })
		kit.FailNext(1, "1")
		start := time.Now()
		if _, err := ch.Send(context.Background(), bob, segmentbot.Message{Text: "x"}); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited < time.Second {
			t.Fatalf("retried after %s, want at least the 1 s of Retry-After", waited)
		}
		if len(kit.Sent()) != 1 {
			t.Fatalf("sent %d, want 1", len(kit.Sent()))
		}
	})
	t.Run("persistent 429 gives up with an error", func(t *testing.T) {
		kit, ch, store := setup(t, &fakeBot{})
		bob := knownUser(t, kit, store, func(a teamstest.Activity) { mustDeliver(t, kit, ch, a) })
		kit.FailNext(100, "0")
		before := kit.ConnectorCalls()
		if _, err := ch.Send(context.Background(), bob, segmentbot.Message{Text: "x"}); err == nil {
			t.Fatal("Send succeeded against a connector that always answers 429")
		}
		if calls := kit.ConnectorCalls() - before; calls < 2 || calls > 10 {
			t.Fatalf("%d attempts; want a bounded retry", calls)
		}
	})
	t.Run("a token past its expiry is renewed", func(t *testing.T) {
		kit, ch, store := setup(t, &fakeBot{})
		bob := knownUser(t, kit, store, func(a teamstest.Activity) { mustDeliver(t, kit, ch, a) })
		kit.SetTokenLifetime(time.Second)
		if _, err := ch.Send(context.Background(), bob, segmentbot.Message{Text: "1"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond)
		if _, err := ch.Send(context.Background(), bob, segmentbot.Message{Text: "2"}); err != nil {
			t.Fatal(err)
		}
		if n := kit.TokenRequests(); n != 2 {
			t.Fatalf("%d token requests, want 2", n)
		}
		asks := kit.TokenAsks()
		if asks[0].Tenant != teamstest.TenantID || asks[0].Scope != "https://api.botframework.com/.default" {
			t.Fatalf("token asked as %+v; want the bot's tenant and the Bot Framework scope", asks[0])
		}
	})
	t.Run("a user known only from a roster gets a new personal chat", func(t *testing.T) {
		kit, ch, _ := setup(t, &fakeBot{})
		kit.KnowMember("29:roster") // in one of the bot's teams
		ref := `{"serviceUrl":"` + kit.ServiceURL() + `","tenantId":"` + teamstest.TenantID + `","botId":"` + teamstest.BotID + `","userId":"29:roster"}`
		id, err := ch.Send(context.Background(), &segmentbot.User{ID: 9, ConvRef: ref}, segmentbot.Message{Text: "hi"})
		if err != nil || id == "" {
			t.Fatalf("Send = %q, %v", id, err)
		}
		if c := kit.Sent()[0].ConversationID; c == "" {
			t.Fatal("no conversation opened")
		}
	})
	t.Run("a user without a reference is EINVALID", func(t *testing.T) {
		_, ch, _ := setup(t, &fakeBot{})
		_, err := ch.Send(context.Background(), &segmentbot.User{ID: 3}, segmentbot.Message{Text: "hi"})
		if segmentbot.ErrorCode(err) != segmentbot.EINVALID {
			t.Fatalf("err = %v, want EINVALID", err)
		}
	})
}

func TestUpdateReplacesTheMessage(t *testing.T) {
	kit, ch, store := setup(t, &fakeBot{})
	bob := knownUser(t, kit, store, func(a teamstest.Activity) { mustDeliver(t, kit, ch, a) })
	id, err := ch.Send(context.Background(), bob, segmentbot.Message{Text: "10%"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Update(context.Background(), bob, id, segmentbot.Message{Text: "100%"}); err != nil {
		t.Fatal(err)
	}
	sent := kit.Sent()
	if len(sent) != 2 || sent[1].Method != "PUT" || sent[1].ActivityID != id {
		t.Fatalf("sent %+v; want a POST then a PUT of %s", sent, id)
	}
}

func mustDeliver(t *testing.T, kit *teamstest.Kit, ch interface {
	ProcessActivity(context.Context, string, []byte) (any, error)
}, a teamstest.Activity) any {
	t.Helper()
	resp, err := ch.ProcessActivity(context.Background(), kit.Sign(a), a.JSON())
	if err != nil {
		t.Fatalf("ProcessActivity(%s): %v", a["type"], err)
	}
	return resp
}
