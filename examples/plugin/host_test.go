package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/config"
)

// TestSegmentbotTakesItsActivitiesAndTheHostKeepsTheRest drives the echo
// bot through its real /api/messages with activities signed as the Bot
// Connector signs them; the fake connector records the replies.
func TestSegmentbotTakesItsActivitiesAndTheHostKeepsTheRest(t *testing.T) {
	kit, h, srv := startHost(t)
	ctx := context.Background()
	seg := &segmentbot.Segment{Name: "Lunch club"}
	if err := h.store.CreateSegment(ctx, seg); err != nil {
		t.Fatal(err)
	}
	card, err := h.segments.SegmentCard(ctx, seg.ID)
	if err != nil {
		t.Fatal(err)
	}
	optIn := card.Buttons[0].Action
	ben := teamstest.NewUser("Ben")

	steps := []struct {
		name   string
		a      teamstest.Activity
		reply  string
		member bool
	}{
		{"an opt-in button is segmentbot's: Ben joins", kit.Submit(ben, optIn), "You're in: Lunch club", true},
		{"small talk is the host's: it echoes", kit.Message(ben, "hello"), "echo: hello", true},
		{"unsubscribe is segmentbot's: Ben leaves", kit.Message(ben, "unsubscribe"), "You're unsubscribed", false},
		{"a button of the host's own card is the host's", kit.Submit(ben, map[string]any{"verb": "order_lunch"}), "echo: ", false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := len(kit.Sent())
			if code := post(t, srv.URL, kit, st.a); code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			sent := kit.Sent()
			if len(sent) != before+1 {
				t.Fatalf("%d replies, want 1", len(sent)-before)
			}
			if got := string(sent[before].Body); !strings.Contains(got, st.reply) {
				t.Fatalf("reply %s, want %q", got, st.reply)
			}
			u, err := h.store.FindUserByExternalID(ctx, segmentbot.ChannelTeams, ben.ID)
			if err != nil {
				t.Fatal(err)
			}
			if in, _ := h.store.IsMember(ctx, seg.ID, u.ID); in != st.member {
				t.Fatalf("Ben in Lunch club: %v, want %v", in, st.member)
			}
		})
	}
	t.Run("an unsigned request changes nothing", func(t *testing.T) {
		before := len(kit.Sent())
		a := kit.Submit(ben, optIn)
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(a.JSON()))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || len(kit.Sent()) != before {
			t.Fatalf("status %d, %d replies", resp.StatusCode, len(kit.Sent())-before)
		}
	})
}

// TestARedeliveredActivityIsHandledOnce: the Bot Connector delivers an
// activity again when it missed the answer; through the host's one
// entrance the second delivery changes nothing and is not answered.
func TestARedeliveredActivityIsHandledOnce(t *testing.T) {
	kit, h, srv := startHost(t)
	ctx := context.Background()
	seg := &segmentbot.Segment{Name: "Book club"}
	if err := h.store.CreateSegment(ctx, seg); err != nil {
		t.Fatal(err)
	}
	card, err := h.segments.SegmentCard(ctx, seg.ID)
	if err != nil {
		t.Fatal(err)
	}
	ann := teamstest.NewUser("Ann")
	for _, a := range []teamstest.Activity{kit.Submit(ann, card.Buttons[0].Action), kit.Message(ann, "unsubscribe")} {
		before := len(kit.Sent())
		for range 3 {
			if code := post(t, srv.URL, kit, a); code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
		}
		if n := len(kit.Sent()) - before; n != 1 {
			t.Fatalf("%d replies to one activity delivered three times, want 1", n)
		}
	}
	u, err := h.store.FindUserByExternalID(ctx, segmentbot.ChannelTeams, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	events, err := h.store.FindEvents(ctx, seg.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Action == events[1].Action {
		t.Fatalf("membership events %+v, want one join and one leave", events)
	}
}

// startHost runs the echo bot on a fresh SQLite database against the fake
// Microsoft side.
func startHost(t *testing.T) (*teamstest.Kit, *host, *httptest.Server) {
	t.Helper()
	kit := teamstest.New(t)
	kc := kit.Config()
	env := map[string]string{
		"DATABASE_URL":            "sqlite:" + filepath.Join(t.TempDir(), "plugin.db"),
		"MicrosoftAppId":          kc.AppID,
		"MicrosoftAppPassword":    kc.AppPassword,
		"MicrosoftAppTenantId":    kc.TenantID,
		"BOT_OPENID_METADATA_URL": kc.OpenIDMetadataURL,
		"BOT_TOKEN_URL":           kc.TokenURL,
		"SEGMENTBOT_SIGNING_KEY":  "plugin-test-signing-key",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHost(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.close)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return kit, h, srv
}

func post(t *testing.T, url string, kit *teamstest.Kit, a teamstest.Activity) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(a.JSON()))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", kit.Sign(a))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
