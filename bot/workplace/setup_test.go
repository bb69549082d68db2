package workplace

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

const (
	testSecret = "test-secret" // the app secret of the SOURCES.md vector
	testToken  = "page-token"
	testVerify = "verify-me"
)

// recorder is a bot that records events and answers each with one message.
type recorder struct {
	mu     sync.Mutex
	events []segmentbot.Event
	reply  func(ev segmentbot.Event) []segmentbot.Message
	err    error // returned once, then cleared
}

func (r *recorder) HandleEvent(ctx context.Context, ev segmentbot.Event) (*segmentbot.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.err; err != nil {
		r.err = nil
		return nil, err
	}
	r.events = append(r.events, ev)
	if r.reply == nil {
		return &segmentbot.Response{Messages: []segmentbot.Message{{Text: "ok: " + ev.Kind}}}, nil
	}
	return &segmentbot.Response{Messages: r.reply(ev)}, nil
}

func (r *recorder) Events() []segmentbot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]segmentbot.Event(nil), r.events...)
}

// setup is a Channel on a fake Graph with a real store and a recorder.
type setup struct {
	ch    *Channel
	graph *workplacetest.Graph
	users *store.DB
	bot   *recorder
}

// newSetup builds the channel on a fresh database of the dialect.
func newSetup(t *testing.T, dialect string, groups ...string) *setup {
	t.Helper()
	g := workplacetest.NewGraph(t, testToken)
	s := &setup{graph: g, users: storetest.Open(t, dialect), bot: &recorder{}}
	ch, err := New(Config{
		AppSecret:   testSecret,
		VerifyToken: testVerify,
		AccessToken: testToken,
		GraphURL:    g.URL,
		Groups:      groups,
		GraphRate:   -1,
		Logger:      slog.New(slog.DiscardHandler),
	}, bot.NewEntrance(s.bot, s.users, s.users), s.users)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ch.graph.backoff = time.Millisecond
	s.ch = ch
	return s
}

// deliver posts body to the channel signed as Meta signs it.
func (s *setup) deliver(t *testing.T, body []byte) error {
	t.Helper()
	return s.ch.ProcessWebhook(context.Background(), workplacetest.Sign(testSecret, body), "", body)
}

// eachStore runs fn on every database the tests may use.
func eachStore(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// stored returns the directory entry of a Workplace id, or nil.
func (s *setup) stored(t *testing.T, externalID string) *segmentbot.User {
	t.Helper()
	u, err := s.users.FindUserByExternalID(context.Background(), segmentbot.ChannelWorkplace, externalID)
	if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
		return nil
	} else if err != nil {
		t.Fatalf("find user %s: %v", externalID, err)
	}
	return u
}
