package bot

import (
	"context"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
)

// wantsTimeout bounds the store look-ups Wants makes.
const wantsTimeout = 2 * time.Second

// Wants reports whether the bot handles ev, for a host bot that offers it
// its events first and keeps the rest: a card action with one of
// segmentbot's verbs, an unsubscribe keyword (alone, or before an existing
// segment's name), "my segments" and "segments", a CSV file, and the admin
// commands of an admin. Everything else is the host's: its own cards, its
// own "help", welcome messages, and any text a non-admin types, so a
// "schedule a meeting" from a user never reaches segmentbot.
//
// ev.Sender need not be stored yet: a sender without an id is matched by
// the identities it carries and the directory's record of it.
func (b *Bot) Wants(ev segmentbot.Event) bool {
	switch ev.Kind {
	case segmentbot.EventAction:
		return ev.Action != nil && ownVerb(ev.Action.Verb)
	case segmentbot.EventFile:
		return ev.File != nil && csvFile(ev.File)
	case segmentbot.EventMessage:
		ctx, cancel := context.WithTimeout(context.Background(), wantsTimeout)
		defer cancel()
		return b.wantsText(ctx, ev.Sender, ev.Text)
	}
	return false
}

func ownVerb(verb string) bool {
	switch verb {
	case segmentbot.VerbOptIn, segmentbot.VerbOptOut, segmentbot.VerbResubscribe,
		segmentbot.VerbConfirmDelete, segmentbot.VerbPickSegment, segmentbot.VerbCreateImport,
		segmentbot.VerbMoreSegments, segmentbot.VerbMoreHistory,
		segmentbot.VerbSendDraft, segmentbot.VerbScheduleDraft, segmentbot.VerbDiscardDraft:
		return true
	}
	return false
}

func csvFile(f *segmentbot.File) bool {
	t := strings.ToLower(f.Type)
	if t == "" {
		t = strings.ToLower(f.Name[strings.LastIndex(f.Name, ".")+1:])
	}
	return t == "csv" || t == "txt"
}

func (b *Bot) wantsText(ctx context.Context, u segmentbot.User, raw string) bool {
	if b.isKeyword(ctx, raw) {
		return true
	}
	cmd, ok := parseCommand(raw)
	switch {
	case !ok || cmd.verb == "help":
		return false
	case cmd.verb == "my segments" || cmd.verb == "segments":
		return true
	}
	return b.wantsAdmin(ctx, u)
}

// isKeyword matches what keywordOptOut acts on, without acting.
func (b *Bot) isKeyword(ctx context.Context, raw string) bool {
	_, ok, err := b.optOutTarget(ctx, raw)
	return ok && err == nil
}

// wantsAdmin is the admin check of a sender who may not be stored yet.
func (b *Bot) wantsAdmin(ctx context.Context, u segmentbot.User) bool {
	if u.ID == 0 && u.ExternalID != "" {
		if known, err := b.store.FindUserByExternalID(ctx, u.Channel, u.ExternalID); err == nil {
			u = *known
		}
	}
	if u.ID == 0 {
		// Unknown to the directory: only the listed identities count, and
		// nothing is cached or looked up for a user without an id.
		// Routing only: HandleEvent checks again, strictly.
		ok, _ := b.admins.byID(&u)
		return ok || b.admins.claimed(&u) != ""
	}
	admin, err := b.isAdmin(ctx, &u)
	return err == nil && admin
}
