package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot"
	"github.com/segmentbot/segmentbot/signer"
	"github.com/segmentbot/segmentbot/store"
)

// world is a bot on a real store with one admin and helpers that make
// "user X says Y" one line.
type world struct {
	t        *testing.T
	ctx      context.Context
	db       *store.DB
	bot      *bot.Bot
	signer   *signer.Signer
	imports  *fakeImporter
	admin    *segmentbot.User
	sent     *recorder
	now      time.Time
	schedule []*segmentbot.Broadcast
}

type fakeImporter struct {
	mu    sync.Mutex
	woken int
}

func (f *fakeImporter) Wake() { f.mu.Lock(); f.woken++; f.mu.Unlock() }

func (f *fakeImporter) ImportValues(ctx context.Context, imp *segmentbot.Import, values []string) (*segmentbot.Import, []*segmentbot.ImportRow, error) {
	return nil, nil, segmentbot.Errorf(segmentbot.EINVALID, "not in this test")
}

// vouchingDirectory confirms every sender's own email, as a directory of
// the home tenant does.
type vouchingDirectory struct{}

func (vouchingDirectory) Lookup(context.Context, string, []segmentbot.Miss) ([]segmentbot.LookupResult, error) {
	return nil, nil
}

func (vouchingDirectory) Email(_ context.Context, u *segmentbot.User) (string, error) {
	if u.Email == "" {
		return "", segmentbot.Errorf(segmentbot.ENOTFOUND, "no email")
	}
	return strings.ToLower(u.Email), nil
}

func vouching() map[string]segmentbot.Directory {
	return map[string]segmentbot.Directory{segmentbot.ChannelTeams: vouchingDirectory{}}
}

// recorder is a Messenger that keeps what it sends.
type recorder struct {
	mu   sync.Mutex
	msgs []segmentbot.Message
}

func (r *recorder) Send(_ context.Context, _ *segmentbot.User, msg segmentbot.Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msg)
	return "m1", nil
}

func (r *recorder) Update(context.Context, *segmentbot.User, string, segmentbot.Message) error {
	return nil
}

func newWorld(t *testing.T, db *store.DB) *world {
	w := &world{t: t, ctx: context.Background(), db: db, signer: signer.New([]byte("test-key-0123456789")), imports: &fakeImporter{},
		sent: &recorder{}, now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	w.bot = bot.New(bot.Config{
		Admins:    []string{"admin@contoso.com"},
		Keywords:  []string{"unsubscribe", "stop", "opt out", "optout"},
		PublicURL: "https://bot.example.com",
		ParseWhen: func(s string, now time.Time, loc *time.Location) (time.Time, error) {
			return time.Parse(time.RFC3339, s)
		},
		BroadcastChanged: func(_ context.Context, b *segmentbot.Broadcast) { w.schedule = append(w.schedule, b) },
		Now:              func() time.Time { return w.now },
	}, db, w.signer, w.imports, vouching(), map[string]segmentbot.Messenger{segmentbot.ChannelTeams: w.sent})
	w.admin = w.user("admin", "admin@contoso.com")
	return w
}

// user puts a Teams user in the directory.
func (w *world) user(id, email string) *segmentbot.User {
	w.t.Helper()
	u := &segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: "29:" + id, AADObjectID: "aad-" + id, Email: email,
		Name: strings.ToUpper(id[:1]) + id[1:], Active: true, InBotGroups: true, ConvRef: `{"conversation":"c-` + id + `"}`}
	if err := w.db.UpsertUser(w.ctx, u); err != nil {
		w.t.Fatal(err)
	}
	return u
}

func (w *world) segment(name string) *segmentbot.Segment {
	w.t.Helper()
	s := &segmentbot.Segment{Name: name}
	if err := w.db.CreateSegment(w.ctx, s); err != nil {
		w.t.Fatal(err)
	}
	return s
}

func (w *world) send(ev segmentbot.Event) *segmentbot.Response {
	w.t.Helper()
	ev.Channel, ev.Personal = segmentbot.ChannelTeams, true
	resp, err := w.bot.HandleEvent(w.ctx, ev)
	if err != nil {
		w.t.Fatalf("%s %q: %v", ev.Kind, ev.Text, err)
	}
	return resp
}

// say sends typed text and returns the reply as one string.
func (w *world) say(u *segmentbot.User, text string) string {
	w.t.Helper()
	return render(w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *u, Text: text}))
}

// tap presses a button: as Action.Submit, or as Action.Execute (invoke).
func (w *world) tap(u *segmentbot.User, a *segmentbot.Action, invoke bool) *segmentbot.Response {
	w.t.Helper()
	return w.send(segmentbot.Event{Kind: segmentbot.EventAction, Sender: *u, Action: a, Invoke: invoke})
}

func (w *world) member(seg *segmentbot.Segment, u *segmentbot.User) bool {
	w.t.Helper()
	ok, err := w.db.IsMember(w.ctx, seg.ID, u.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return ok
}

func render(resp *segmentbot.Response) string {
	var parts []string
	for _, m := range resp.Messages {
		parts = append(parts, flatten(m))
	}
	if resp.Card != nil {
		parts = append(parts, flatten(*resp.Card))
	}
	return strings.Join(parts, "\n")
}

func flatten(m segmentbot.Message) string {
	parts := []string{m.Title, m.Text}
	for _, f := range m.Facts {
		parts = append(parts, f.Name+": "+f.Value)
	}
	for _, b := range m.Buttons {
		parts = append(parts, "["+b.Title+"]")
	}
	for _, c := range m.Carousel {
		parts = append(parts, flatten(c))
	}
	return strings.Join(parts, "\n")
}

// button finds a button by title in a response.
func button(t *testing.T, resp *segmentbot.Response, title string) *segmentbot.Action {
	t.Helper()
	var msgs []segmentbot.Message
	msgs = append(msgs, resp.Messages...)
	if resp.Card != nil {
		msgs = append(msgs, *resp.Card)
	}
	for len(msgs) > 0 {
		m := msgs[0]
		msgs = append(msgs[1:], m.Carousel...)
		for _, b := range m.Buttons {
			if b.Title == title && b.Action != nil {
				return b.Action
			}
		}
	}
	t.Fatalf("no button %q in %s", title, render(resp))
	return nil
}

func wantContains(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("reply %q does not contain %q", got, want)
		}
	}
}
