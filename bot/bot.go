// Package bot is segmentbot's channel-neutral conversation logic: it turns
// an Event (typed text, a card button, a file, an installation) into domain
// changes through the store and answers with neutral Messages.
//
// It knows no wire format: Teams and Workplace live in bot/teams and
// bot/workplace, which hand it events and render its messages. An existing
// Go bot can use it the same way, as a plugin. It must not talk HTTP, SQL or
// card JSON itself.
package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/signer"
)

// Importer runs imports for the bot; importer.Runner implements it through
// a small adapter in cmd.
type Importer interface {
	// Wake tells the workers that a queued import is waiting.
	Wake()
	// ImportValues imports pasted values at once through the same pipeline
	// as files and returns the finished import with its rows.
	ImportValues(ctx context.Context, imp *segmentbot.Import, values []string) (*segmentbot.Import, []*segmentbot.ImportRow, error)
}

// Config is what the bot needs besides its collaborators.
type Config struct {
	Admins []string // tenant/objectid, emails/UPNs, AAD object ids, Workplace ids (see adminList)
	// HomeTenant is the Teams tenant of the bot (MicrosoftAppTenantId):
	// bare object ids in Admins name users of this tenant. Empty: any.
	HomeTenant string
	Keywords   []string // unsubscribe keywords
	PublicURL  string   // base of download links
	LinkTTL    time.Duration
	// ParseWhen turns "tomorrow 9:00" into a time (scheduler.ParseWhen).
	ParseWhen func(s string, now time.Time, loc *time.Location) (time.Time, error)
	// BroadcastChanged runs the lead-time check at once (optional).
	BroadcastChanged func(ctx context.Context, b *segmentbot.Broadcast)
	// MembershipChanged counts membership changes for metrics (optional).
	MembershipChanged func(source, action string)
	Now               func() time.Time
	Logger            *slog.Logger
}

// Bot implements segmentbot.Handler.
type Bot struct {
	cfg         Config
	store       segmentbot.Store // segments, wrapped
	segments    *segmentCache
	signer      *signer.Signer
	directories map[string]segmentbot.Directory
	messengers  map[string]segmentbot.Messenger
	importer    Importer
	door        *Entrance

	admins       adminList
	keywords     map[string]bool
	keywordWords [][]string // keywords as word lists, longest first

	mu          sync.Mutex
	adminCache  map[int64]adminEntry
	pendingFile map[int64]pendingFile // a file an admin sent without naming a segment
	attrNames   knownNames            // the attribute names users have, for a while
}

type adminEntry struct {
	admin   bool
	expires time.Time
}

type pendingFile struct {
	file    segmentbot.File
	expires time.Time
}

// New returns a Bot. directories and messengers are keyed by channel; either
// may be empty.
func New(cfg Config, store segmentbot.Store, s *signer.Signer, imp Importer, directories map[string]segmentbot.Directory, messengers map[string]segmentbot.Messenger) *Bot {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LinkTTL == 0 {
		cfg.LinkTTL = 24 * time.Hour
	}
	segments := &segmentCache{Store: store, now: cfg.Now, entries: map[int64]cachedSegment{}}
	b := &Bot{cfg: cfg, store: segments, segments: segments, signer: s, importer: imp, directories: directories, messengers: messengers,
		admins: parseAdmins(cfg.Admins, cfg.HomeTenant), keywords: map[string]bool{},
		adminCache: map[int64]adminEntry{}, pendingFile: map[int64]pendingFile{}}
	b.door = &Entrance{handler: b, users: segments, activities: segments, log: cfg.Logger, now: cfg.Now,
		senders: newSenderCache(10*time.Minute, 100_000), recordsOnce: isTap, profile: b.profile}
	for _, k := range cfg.Keywords {
		if k = normalize(k); k != "" {
			b.keywords[k] = true
		}
	}
	b.keywordWords = keywordList(b.keywords)
	return b
}

// Receive implements segmentbot.Receiver: the one entrance every channel
// and a plugin host hand inbound activities to (see Entrance).
func (b *Bot) Receive(ctx context.Context, in segmentbot.Inbound) (*segmentbot.Response, error) {
	return b.door.Receive(ctx, in)
}

// HandleEvent implements segmentbot.Handler: it decides one event whose
// sender is stored. Channels call Receive instead, which runs it once per
// activity.
func (b *Bot) HandleEvent(ctx context.Context, ev segmentbot.Event) (*segmentbot.Response, error) {
	if ev.Sender.ID == 0 {
		return nil, fmt.Errorf("bot: event %s from %q has no directory user", ev.Kind, ev.Sender.ExternalID)
	}
	switch ev.Kind {
	case segmentbot.EventInstalled:
		return b.welcome(ctx, &ev.Sender)
	case segmentbot.EventTeam:
		return &segmentbot.Response{}, nil
	case segmentbot.EventAction:
		return b.handleAction(ctx, ev)
	case segmentbot.EventFile:
		return b.handleFile(ctx, ev)
	case segmentbot.EventMessage:
		return b.handleText(ctx, ev)
	}
	return &segmentbot.Response{}, nil
}

// profile fills u's name and email from its channel, when the channel's
// messenger can tell (segmentbot.Profiler).
func (b *Bot) profile(ctx context.Context, u *segmentbot.User) error {
	p, ok := b.messengers[u.Channel].(segmentbot.Profiler)
	if !ok {
		return nil
	}
	return p.Profile(ctx, u)
}

// say is a one-message response.
func say(msgs ...segmentbot.Message) (*segmentbot.Response, error) {
	return &segmentbot.Response{Messages: msgs}, nil
}

// text is a plain text message.
func text(format string, args ...any) segmentbot.Message {
	return segmentbot.Message{Text: fmt.Sprintf(format, args...)}
}

// md is Markdown passed to markdown as an argument: it is not escaped.
type md string

// markdown is a Markdown message: the marks of format render (the
// _placeholders_ of a usage hint show in italics), while every string
// argument is escaped and shows as typed (an md argument is kept).
func markdown(format string, args ...any) segmentbot.Message {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = segmentbot.EscapeMarkdown(s)
		}
	}
	return segmentbot.Message{Text: fmt.Sprintf(format, args...), Markdown: true}
}

// friendly turns a user-facing error into a reply, and passes any other
// error up so the channel answers 500 and retries.
func friendly(err error) (*segmentbot.Response, error) {
	if segmentbot.ErrorCode(err) == segmentbot.EINTERNAL {
		return nil, err
	}
	return say(text("%s", segmentbot.ErrorMessage(err)))
}

func (b *Bot) now() time.Time { return b.cfg.Now() }

func (b *Bot) changed(source, action string) {
	if b.cfg.MembershipChanged != nil {
		b.cfg.MembershipChanged(source, action)
	}
}

// sign returns a signed copy of a.
func (b *Bot) sign(a segmentbot.Action) *segmentbot.Action {
	b.signer.SignAction(&a)
	return &a
}

// link returns a signed, expiring download link.
func (b *Bot) link(what string, id int64) string {
	return b.cfg.PublicURL + "/downloads/" + b.signer.DownloadToken(what, id, b.now().Add(b.cfg.LinkTTL))
}

// MembersURL is the signed link to a segment's member list.
func (b *Bot) MembersURL(segmentID int64) string { return b.link("members", segmentID) }

// ReportURL is the signed link to an import's per-row report.
func (b *Bot) ReportURL(importID int64) string { return b.link("report", importID) }
