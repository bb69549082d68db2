package workplace

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// FuzzWebhookBody posts arbitrary bodies, correctly signed, to the
// channel: it never panics, a body that is not a webhook is EINVALID, and
// whatever else it answers leaves the channel working. The seeds are the
// recorded webhooks of the fixtures (testdata mirrors
// shared/fixtures/workplace).
func FuzzWebhookBody(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "send_") || strings.HasPrefix(base, "graph_") {
			continue // Send API requests and Graph errors, not webhooks
		}
		body, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Add([]byte(`{"object":"page","entry":[{"messaging":[{"sender":{"id":"1\u0000"},"message":{"mid":"m","text":"x"}}]}]}`))
	f.Add([]byte(`{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"postback":{"payload":"{\"verb\":\"opt_in\"}"}}]}]}`))
	f.Add([]byte(`[]`))

	g := workplacetest.NewGraph(f, testToken)
	db := storetest.Open(f, "sqlite")
	ch, err := New(Config{
		AppSecret: testSecret, VerifyToken: testVerify, AccessToken: testToken, GraphURL: g.URL,
		GraphRate: -1, Logger: slog.New(slog.DiscardHandler),
	}, bot.NewEntrance(&recorder{}, db, db), db)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := ch.ProcessWebhook(context.Background(), workplacetest.Sign(testSecret, body), "", body)
		switch segmentbot.ErrorCode(err) {
		case "", segmentbot.EINVALID:
		case segmentbot.EFORBIDDEN:
			t.Fatalf("a correctly signed body was refused: %v", err)
		}
		if err := ch.ProcessWebhook(context.Background(), "sha256=00", "", body); segmentbot.ErrorCode(err) != segmentbot.EFORBIDDEN {
			t.Fatalf("a wrongly signed body: %v, want EFORBIDDEN", err)
		}
	})
}
