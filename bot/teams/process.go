package teams

import (
	"cmp"
	"context"
	"fmt"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/segmentbot/segmentbot"
)

// ProcessActivity authenticates and handles one POST /api/messages body.
// It returns the JSON body to answer with (an invoke response) or nil for
// an empty 200. Errors: EUNAUTHORIZED for any authentication failure,
// EINVALID for a malformed activity, EUNAVAILABLE while the signing keys
// cannot be loaded, anything else when a change could not be stored (so
// the channel retries). An authenticated activity holding a NUL character
// anywhere is dropped with a log line and answered 200.
func (c *Channel) ProcessActivity(ctx context.Context, authorization string, body []byte) (any, error) {
	in, err := parseActivity(body)
	if err != nil {
		return nil, err
	}
	if err := c.authenticate(ctx, in, authorization); err != nil {
		return nil, err
	}
	if segmentbot.ContainsNUL(body) {
		// PostgreSQL stores no NUL; answering an error would make the
		// connector redeliver it forever. Handled: dropped, logged.
		c.log.Warn("teams: activity with a NUL character dropped", "activity", in.ID, "type", in.Type)
		return nil, nil
	}
	kind, err := classify(in)
	if err != nil || kind == "" {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	return c.handle(ctx, in, kind)
}

// classify says which event in is, "" for activities the bot ignores.
func classify(in *inbound) (string, error) {
	switch in.Type {
	case schema.Message:
		act, err := in.action()
		switch {
		case err != nil:
			return "", err
		case act != nil:
			return segmentbot.EventAction, nil
		case in.file() != nil:
			return segmentbot.EventFile, nil
		case in.text() != "":
			return segmentbot.EventMessage, nil
		}
	case schema.Invoke:
		if in.Name == invokeAdaptiveCard {
			return segmentbot.EventAction, nil
		}
	case schema.InstallationUpdate:
		if in.Action == "add" || in.Action == "add-upgrade" {
			if in.teamID() != "" {
				return segmentbot.EventTeam, nil
			}
			return segmentbot.EventInstalled, nil
		}
	case schema.ConversationUpdate:
		if in.botAdded() {
			if in.teamID() != "" {
				return segmentbot.EventTeam, nil
			}
			if in.personal() {
				return segmentbot.EventInstalled, nil
			}
		}
	}
	return "", nil
}

// handle hands the activity to the bot's entrance, which runs it exactly
// once; the replies are queued before it is recorded done, and an invoke
// is answered in the HTTP response.
func (c *Channel) handle(ctx context.Context, in *inbound, kind string) (any, error) {
	user := in.sender()
	user.LastSeen = in.Timestamp
	if user.LastSeen.IsZero() || kind == segmentbot.EventTeam {
		user.LastSeen = c.tokens.now().UTC()
	}
	ev, err := in.event(kind, *user)
	if err != nil {
		return nil, err
	}
	inb := segmentbot.Inbound{Event: ev, Reply: func(ctx context.Context, resp *segmentbot.Response) error {
		c.reply(ctx, in, resp)
		return nil
	}}
	// Both installationUpdate and conversationUpdate announce an install:
	// the first one claims it for the conversation (or team).
	switch kind {
	case segmentbot.EventInstalled:
		inb.Claims = []string{"installed:" + in.Conversation.ID}
	case segmentbot.EventTeam:
		inb.Claims = []string{"team-added:" + in.teamID()}
		inb.Prepare = func(ctx context.Context) error { return c.loadRoster(ctx, in) }
	}
	resp, err := c.receiver.Receive(ctx, inb)
	if err != nil || resp == nil {
		return nil, err
	}
	if in.Type == schema.Invoke {
		return invokeResponse(resp), nil
	}
	return nil, nil
}

// event is the activity as a segmentbot event of kind from sender.
func (in *inbound) event(kind string, sender segmentbot.User) (segmentbot.Event, error) {
	ev := segmentbot.Event{
		ID:       in.ID,
		Kind:     kind,
		Channel:  segmentbot.ChannelTeams,
		Sender:   sender,
		Personal: in.personal(),
		Invoke:   in.Type == schema.Invoke,
		TimeZone: sender.TimeZone,
	}
	switch kind {
	case segmentbot.EventMessage:
		ev.Text = in.text()
	case segmentbot.EventAction:
		act, err := in.action()
		if err != nil {
			return ev, err
		}
		if act == nil {
			return ev, segmentbot.Errorf(segmentbot.EINVALID, "The card action has no verb.")
		}
		ev.Action, ev.Text = act, in.text()
	case segmentbot.EventFile:
		ev.File, ev.Text = in.file(), in.text()
	}
	return ev, nil
}

// loadRoster stores every member of the team the bot was added to.
func (c *Channel) loadRoster(ctx context.Context, in *inbound) error {
	members, err := c.conn.TeamMembers(ctx, in.ServiceURL, in.teamID())
	if err != nil {
		return fmt.Errorf("teams: %w", err)
	}
	ref := in.ref()
	if err := c.storeRoster(ctx, in.teamID(), members, in.tenant(), ref); err != nil {
		return err
	}
	if teams, ok := c.users.(segmentbot.TeamService); ok {
		t := &segmentbot.Team{Channel: segmentbot.ChannelTeams, ID: in.teamID(), TenantID: in.tenant(), Name: in.teamName(), Ref: ref.encode()}
		if err := teams.SaveTeam(ctx, t); err != nil {
			return fmt.Errorf("teams: remembering team %s: %w", in.teamID(), err)
		}
	}
	return nil
}

func (c *Channel) storeRoster(ctx context.Context, teamID string, members []Member, tenant string, ref convRef) error {
	users := rosterUsers(members, tenant, ref)
	if len(users) == 0 {
		return nil
	}
	if err := c.users.UpsertUsers(ctx, users); err != nil {
		return fmt.Errorf("teams: storing the roster of team %s (%d members): %w", teamID, len(users), err)
	}
	return nil
}

// RefreshRosters reloads the roster of every team the bot was added to
// (the scheduler runs it daily), so people who joined a team since count
// as in the bot's groups. It needs a user service that is also a
// segmentbot.TeamService, as the store is. One team failing does not stop
// the others; the first error is returned.
func (c *Channel) RefreshRosters(ctx context.Context) error {
	store, ok := c.users.(segmentbot.TeamService)
	if !ok {
		return nil
	}
	teams, err := store.FindTeams(ctx, segmentbot.ChannelTeams)
	if err != nil {
		return fmt.Errorf("teams: %w", err)
	}
	var first error
	for _, t := range teams {
		ref, err := decodeRef(t.Ref)
		if err == nil {
			var members []Member
			if members, err = c.conn.TeamMembers(ctx, ref.ServiceURL, t.ID); err == nil {
				err = c.storeRoster(ctx, t.ID, members, t.TenantID, ref)
			}
		}
		if err != nil {
			c.log.Warn("roster refresh failed", "team", t.ID, "err", err)
			first = cmp.Or(first, fmt.Errorf("teams: refresh team %s: %w", t.ID, err))
		}
	}
	return first
}

// reply queues the handler's messages to the activity's conversation.
func (c *Channel) reply(ctx context.Context, in *inbound, resp *segmentbot.Response) {
	if resp == nil || len(resp.Messages) == 0 {
		return
	}
	acts := make([]schema.Activity, 0, len(resp.Messages))
	for _, msg := range resp.Messages {
		a := messageActivity(in.ref(), msg)
		if in.Type == schema.Message || in.Type == schema.Invoke {
			a.ReplyToID = in.ID
		}
		acts = append(acts, a)
	}
	if err := c.sender.enqueue(ctx, acts); err != nil {
		c.log.Error("teams: replies dropped", "activity", in.ID, "count", len(acts), "err", err)
	}
}
