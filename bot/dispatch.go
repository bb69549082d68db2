package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
)

// handleText runs typed text: unsubscribe keywords first (anyone), then
// the end-user commands, then admin commands.
func (b *Bot) handleText(ctx context.Context, ev segmentbot.Event) (*segmentbot.Response, error) {
	u := &ev.Sender
	if resp, ok, err := b.keywordOptOut(ctx, u, ev.Text); ok || err != nil {
		return resp, err
	}
	cmd, ok := parseCommand(ev.Text)
	if ok && cmd.verb == "my segments" {
		return b.mySegments(ctx, u)
	}
	admin, err := b.isAdmin(ctx, u)
	if err != nil {
		return nil, err
	}
	if !admin {
		if ok && cmd.verb == "segments" {
			return b.browse(ctx, u)
		}
		if ok && cmd.verb != "help" {
			return say(userHelp("Sorry, only admins can do that."))
		}
		return say(userHelp(""))
	}
	if !ok {
		return say(helpCard())
	}
	if !ev.Personal {
		return say(text("Let's do admin work in a personal chat with me, so the team isn't disturbed."))
	}
	return b.adminCommand(ctx, ev, cmd)
}

func (b *Bot) adminCommand(ctx context.Context, ev segmentbot.Event, cmd command) (*segmentbot.Response, error) {
	u := &ev.Sender
	switch cmd.verb {
	case "help":
		return say(helpCard())
	case "create segment":
		return b.createSegment(ctx, cleanName(cmd.arg))
	case "segments":
		return b.listSegments(ctx)
	case "rename segment":
		return b.renameSegment(ctx, cmd.arg)
	case "delete segment":
		return b.askDelete(ctx, cleanName(cmd.arg))
	case "add to":
		return b.addEmails(ctx, ev, cleanName(cmd.arg), cmd.body)
	case "remove from":
		return b.removeEmails(ctx, u, cleanName(cmd.arg), cmd.body)
	case "users":
		return b.usersLink(ctx, cleanName(cmd.arg))
	case "card":
		return b.showCard(ctx, cleanName(cmd.arg))
	case "set reply":
		return b.setReply(ctx, cmd.arg)
	case "set segment":
		return b.setVisibility(ctx, cmd.arg)
	case "history":
		return b.history(ctx, ev, cmd.arg)
	case "imports":
		return b.listImports(ctx, location(ev))
	case "import into":
		return b.importPending(ctx, ev, cleanName(cmd.arg))
	case "schedule":
		return b.schedule(ctx, ev, cmd.arg)
	case "broadcast":
		return b.compose(ctx, ev, cmd.arg)
	case "broadcasts":
		return b.listBroadcasts(ctx, location(ev))
	case "cancel broadcast":
		return b.cancelBroadcast(ctx, cleanName(cmd.arg))
	}
	return say(helpCard())
}

// adminOnly runs fn for admins and refuses everyone else politely.
func (b *Bot) adminOnly(ctx context.Context, u *segmentbot.User, fn func() (*segmentbot.Response, error)) (*segmentbot.Response, error) {
	admin, err := b.isAdmin(ctx, u)
	if err != nil {
		return nil, err
	}
	if !admin {
		return say(text("Sorry, only admins can do that."))
	}
	return fn()
}

// isAdmin matches the sender against SEGMENTBOT_ADMINS by AAD object id,
// channel id, email or UPN; an unknown email is looked up once through the
// channel's directory and cached.
func (b *Bot) isAdmin(ctx context.Context, u *segmentbot.User) (bool, error) {
	if len(b.admins) == 0 {
		return false, nil
	}
	for _, id := range []string{u.AADObjectID, u.ExternalID, u.Email, u.UPN} {
		if id != "" && b.admins[strings.ToLower(id)] {
			return true, nil
		}
	}
	b.mu.Lock()
	e, ok := b.adminCache[u.ID]
	b.mu.Unlock()
	if ok && b.now().Before(e.expires) {
		return e.admin, nil
	}
	dir := b.directories[u.Channel]
	if dir == nil || u.Email != "" {
		return false, nil
	}
	email, err := dir.Email(ctx, u)
	if err != nil {
		// Fail closed, but visibly: the sender is told, the log says why.
		b.cfg.Logger.Warn("cannot look up the sender's email for the admin check", "user", u.ID, "err", err)
		return false, nil
	}
	admin := email != "" && b.admins[strings.ToLower(email)]
	if email != "" {
		upd := *u
		upd.Email = strings.ToLower(email)
		if err := b.store.UpsertUser(ctx, &upd); err != nil {
			return false, fmt.Errorf("store the sender's email: %w", err)
		}
	}
	b.mu.Lock()
	b.adminCache[u.ID] = adminEntry{admin: admin, expires: b.now().Add(10 * time.Minute)}
	b.mu.Unlock()
	return admin, nil
}
