package bot

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// Outcomes of removing an email from a segment.
const (
	RemoveRemoved   = "removed"
	RemoveNotMember = "not_member"
	RemoveNotFound  = "not_found"
	RemoveInvalid   = "invalid"
)

// AddEmails adds a small list of emails to a segment through the import
// pipeline (REST POST /v1/segments/{id}/members) and returns one row per
// email. ERULESEGMENT for a rule segment.
func (b *Bot) AddEmails(ctx context.Context, segmentID int64, emails []string, source string, actorID int64) ([]segmentbot.ImportRow, error) {
	if err := b.manualSegment(ctx, segmentID); err != nil {
		return nil, err
	}
	if len(emails) == 0 {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "emails must list at least one address")
	}
	imp := &segmentbot.Import{SegmentID: segmentID, Channel: b.primaryChannel(), Source: source, FileName: "added through the API", UploadedBy: actorID}
	done, rows, err := b.importer.ImportValues(ctx, imp, emails)
	if err != nil {
		return nil, err
	}
	b.changedBy(source, segmentbot.ActionJoin, done.Added)
	out := make([]segmentbot.ImportRow, len(rows))
	for i, r := range rows {
		out[i] = *r
	}
	return out, nil
}

// RemoveEmails removes a small list of emails from a segment (REST DELETE
// /v1/segments/{id}/members). ERULESEGMENT for a rule segment.
func (b *Bot) RemoveEmails(ctx context.Context, segmentID int64, emails []string, source string, actorID int64) ([]segmentbot.ImportRow, error) {
	if err := b.manualSegment(ctx, segmentID); err != nil {
		return nil, err
	}
	rows, err := RemoveEmails(ctx, b.store, segmentID, emails, source, actorID)
	for _, r := range rows {
		if r.Outcome == RemoveRemoved {
			b.changed(source, segmentbot.ActionLeave)
		}
	}
	return rows, err
}

// RemoveEmails takes every directory user with one of the emails out of the
// segment, without a sticky opt-out (an admin's removal is not the user's
// choice). Each email gets a row saying what happened.
func RemoveEmails(ctx context.Context, store segmentbot.Store, segmentID int64, emails []string, source string, actorID int64) ([]segmentbot.ImportRow, error) {
	rows := make([]segmentbot.ImportRow, 0, len(emails))
	for i, raw := range emails {
		row := segmentbot.ImportRow{Row: int64(i + 1), Value: strings.TrimSpace(raw)}
		addr, err := mail.ParseAddress(row.Value)
		if err != nil || addr.Address != row.Value {
			row.Outcome, row.Detail = RemoveInvalid, "not an email address"
			rows = append(rows, row)
			continue
		}
		users, err := store.FindUsersByEmail(ctx, strings.ToLower(row.Value))
		if err != nil {
			return rows, fmt.Errorf("find %q: %w", row.Value, err)
		}
		row.Outcome, row.Detail = RemoveNotFound, "no such user"
		for _, u := range users {
			left, err := store.Leave(ctx, segmentID, u.ID, source, actorID, false)
			if err != nil {
				return rows, fmt.Errorf("remove user %d: %w", u.ID, err)
			}
			if left {
				row.Outcome, row.Detail = RemoveRemoved, ""
			} else if row.Outcome != RemoveRemoved {
				row.Outcome, row.Detail = RemoveNotMember, "was not a member"
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// manualSegment checks that the members of segment segmentID may be
// changed by hand: ENOTFOUND, or ERULESEGMENT for a rule segment.
func (b *Bot) manualSegment(ctx context.Context, segmentID int64) error {
	seg, err := b.store.FindSegmentByID(ctx, segmentID)
	if err != nil {
		return err
	}
	return seg.CheckManual()
}

// primaryChannel is the channel whose directory resolves emails that came
// from outside chat (the REST API): Teams first, then Workplace.
func (b *Bot) primaryChannel() string {
	for _, ch := range []string{segmentbot.ChannelTeams, segmentbot.ChannelWorkplace} {
		if b.directories[ch] != nil {
			return ch
		}
	}
	return segmentbot.ChannelTeams
}
