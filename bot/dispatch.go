package bot

import (
	"context"

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
		return b.createSegment(ctx, cmd.arg)
	case "segments":
		return b.listSegments(ctx)
	case "rename segment":
		return b.renameSegment(ctx, cmd.arg)
	case "change segment":
		return b.changeRuleSegment(ctx, cmd.arg)
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
	case "audience":
		return b.audience(ctx, cmd.arg)
	case "attributes":
		return b.listAttributes(ctx)
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
