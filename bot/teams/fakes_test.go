package teams_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	segbot "github.com/segmentbot/segmentbot/bot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
)

// memStore is an in-memory UserService and ActivityService with the
// semantics the store documents.
type memStore struct {
	mu         sync.Mutex
	users      map[string]*segmentbot.User // by external id
	nextID     int64
	activities map[string]memClaim
	upserts    int // UpsertUser calls
}

type memClaim struct {
	done bool
	at   time.Time
}

func newMemStore() *memStore {
	return &memStore{users: map[string]*segmentbot.User{}, activities: map[string]memClaim{}}
}

func (s *memStore) UpsertUser(_ context.Context, u *segmentbot.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upserts++
	s.upsert(u)
	return nil
}

func (s *memStore) upsert(u *segmentbot.User) {
	old, ok := s.users[u.ExternalID]
	if !ok {
		s.nextID++
		c := *u
		c.ID = s.nextID
		s.users[u.ExternalID] = &c
		u.ID = c.ID
		return
	}
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&old.TenantID, u.TenantID}, {&old.AADObjectID, u.AADObjectID}, {&old.Email, u.Email},
		{&old.UPN, u.UPN}, {&old.Name, u.Name}, {&old.ConvRef, u.ConvRef}, {&old.TimeZone, u.TimeZone},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	old.Active = old.Active || u.Active
	old.InBotGroups = old.InBotGroups || u.InBotGroups
	if !u.LastSeen.IsZero() {
		old.LastSeen = u.LastSeen
	}
	u.ID = old.ID
}

func (s *memStore) UpsertUsers(_ context.Context, users []*segmentbot.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range users {
		u.InBotGroups = true
		s.upsert(u)
	}
	return nil
}

func (s *memStore) FindUserByID(_ context.Context, id int64) (*segmentbot.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.ID == id {
			c := *u
			return &c, nil
		}
	}
	return nil, segmentbot.Errorf(segmentbot.ENOTFOUND, "no user %d", id)
}

func (s *memStore) FindUserByExternalID(_ context.Context, _, ext string) (*segmentbot.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[ext]; ok {
		c := *u
		return &c, nil
	}
	return nil, segmentbot.Errorf(segmentbot.ENOTFOUND, "no user %s", ext)
}

func (s *memStore) FindUsersByIdentity(_ context.Context, id string) ([]*segmentbot.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*segmentbot.User
	for _, u := range s.users {
		if strings.EqualFold(u.Email, id) || strings.EqualFold(u.UPN, id) || strings.EqualFold(u.AADObjectID, id) || u.ExternalID == id {
			c := *u
			out = append(out, &c)
		}
	}
	return out, nil
}

func (s *memStore) FindUsersByEmail(_ context.Context, email string) ([]*segmentbot.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*segmentbot.User
	for _, u := range s.users {
		if strings.EqualFold(u.Email, email) || strings.EqualFold(u.UPN, email) {
			c := *u
			out = append(out, &c)
		}
	}
	return out, nil
}

func (s *memStore) countUsers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users)
}

func (s *memStore) BeginActivity(_ context.Context, channel, id string, stale time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := channel + "/" + id
	if c, ok := s.activities[key]; ok && (c.done || time.Since(c.at) < stale) {
		return false, nil
	}
	s.activities[key] = memClaim{at: time.Now()}
	return true, nil
}

func (s *memStore) FinishActivity(_ context.Context, channel, id string, ok bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := channel + "/" + id
	if ok {
		s.activities[key] = memClaim{done: true, at: time.Now()}
	} else {
		delete(s.activities, key)
	}
	return nil
}

func (s *memStore) DeleteActivitiesBefore(_ context.Context, t time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for key, c := range s.activities {
		if c.at.Before(t) {
			delete(s.activities, key)
			n++
		}
	}
	return n, nil
}

// fakeBot records events and answers each with a fixed response.
type fakeBot struct {
	mu     sync.Mutex
	events []segmentbot.Event
	resp   *segmentbot.Response
	err    error
}

func (b *fakeBot) HandleEvent(_ context.Context, ev segmentbot.Event) (*segmentbot.Response, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, ev)
	return b.resp, b.err
}

func (b *fakeBot) Events() []segmentbot.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]segmentbot.Event(nil), b.events...)
}

// echo answers every event with one plain message.
func echo(text string) *fakeBot {
	return &fakeBot{resp: &segmentbot.Response{Messages: []segmentbot.Message{{Text: text}}}}
}

// setup starts a kit and a channel talking to it.
func setup(t *testing.T, bot *fakeBot) (*teamstest.Kit, *teams.Channel, *memStore) {
	t.Helper()
	kit := teamstest.New(t)
	store := newMemStore()
	ch, err := teams.New(kit.Config(), segbot.NewEntrance(bot, store, store), store)
	if err != nil {
		t.Fatalf("teams.New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ch.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return kit, ch, store
}

// deliver signs and processes a, as the Bot Connector would post it.
func deliver(t *testing.T, kit *teamstest.Kit, ch *teams.Channel, a teamstest.Activity, opts ...teamstest.SignOption) (any, error) {
	t.Helper()
	return ch.ProcessActivity(context.Background(), kit.Sign(a, opts...), a.JSON())
}

func newChannel(cfg teams.Config, bot *fakeBot, store *memStore) (*teams.Channel, error) {
	return teams.New(cfg, segbot.NewEntrance(bot, store, store), store)
}
