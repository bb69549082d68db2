package teams

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
)

// Background sending: replies leave the HTTP request once the handler's
// changes are stored, through a bounded queue and a few workers.
const (
	sendQueueSize = 256
	sendWorkers   = 4
	sendTimeout   = 2 * time.Minute
)

var errSenderClosed = errors.New("teams: the reply sender is closed")

// sender posts replies in the background, in order per conversation
// (one conversation's replies go through one worker). It counts each
// conversation's replies not yet sent, so a proactive message can wait for
// them (see waitReplies).
type sender struct {
	conn   *Connector
	log    *slog.Logger
	queues []chan []schema.Activity

	mu     sync.RWMutex
	closed bool
	wg     sync.WaitGroup

	pendingMu sync.Mutex
	pending   map[string]*pendingReplies
}

// pendingReplies is how many queued replies of a conversation are not
// sent yet; done closes when none is left.
type pendingReplies struct {
	n    int
	done chan struct{}
}

func newSender(conn *Connector, log *slog.Logger) *sender {
	s := &sender{conn: conn, log: log, pending: map[string]*pendingReplies{}}
	for range sendWorkers {
		q := make(chan []schema.Activity, sendQueueSize/sendWorkers)
		s.queues = append(s.queues, q)
		s.wg.Add(1)
		go s.work(q)
	}
	return s
}

// enqueue queues the activities of one reply, waiting for room while ctx
// lasts.
func (s *sender) enqueue(ctx context.Context, acts []schema.Activity) error {
	if len(acts) == 0 {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errSenderClosed
	}
	conv := acts[0].Conversation.ID
	q := s.queues[shard(conv, len(s.queues))]
	s.track(conv, 1)
	select {
	case q <- acts:
		return nil
	case <-ctx.Done():
		s.track(conv, -1)
		return ctx.Err()
	}
}

// track adds d to the conversation's replies not yet sent.
func (s *sender) track(conv string, d int) {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	p := s.pending[conv]
	if p == nil {
		p = &pendingReplies{done: make(chan struct{})}
		s.pending[conv] = p
	}
	if p.n += d; p.n <= 0 {
		close(p.done)
		delete(s.pending, conv)
	}
}

// waitReplies waits until every reply queued for the conversation so far
// was sent (or given up on), or ctx ends: a proactive message (an import's
// progress card) then never overtakes the reply that announced it.
func (s *sender) waitReplies(ctx context.Context, conv string) error {
	s.pendingMu.Lock()
	p := s.pending[conv]
	s.pendingMu.Unlock()
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *sender) work(q chan []schema.Activity) {
	defer s.wg.Done()
	for acts := range q {
		for _, a := range acts {
			ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
			if _, err := s.conn.SendActivity(ctx, a); err != nil {
				s.log.Error("teams: reply not delivered", "conversation", a.Conversation.ID, "reply_to", a.ReplyToID, "err", err)
			}
			cancel()
		}
		s.track(acts[0].Conversation.ID, -1)
	}
}

// close stops taking replies and waits until the queued ones are sent or
// ctx ends.
func (s *sender) close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for _, q := range s.queues {
			close(q)
		}
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// shard spreads conversations over n workers (FNV-1a).
func shard(key string, n int) int {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return int(h % uint32(n))
}
