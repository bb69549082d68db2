package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
)

// fakeTeams answers every activity with resp or err and records what came.
type fakeTeams struct {
	resp  any
	err   error
	auth  string
	body  []byte
	calls int
}

func (f *fakeTeams) ProcessActivity(ctx context.Context, authorization string, body []byte) (any, error) {
	f.calls++
	f.auth, f.body = authorization, body
	return f.resp, f.err
}

// hookLog records hook calls.
type hookLog struct {
	mu         sync.Mutex
	broadcasts []*segmentbot.Broadcast
	deleted    []*segmentbot.Segment
	cancelled  [][]*segmentbot.Broadcast
}

func (h *hookLog) broadcastChanged(ctx context.Context, b *segmentbot.Broadcast) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.broadcasts = append(h.broadcasts, b)
}

func (h *hookLog) segmentDeleted(ctx context.Context, seg *segmentbot.Segment, cancelled []*segmentbot.Broadcast) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.deleted = append(h.deleted, seg)
	h.cancelled = append(h.cancelled, cancelled)
}

// fakeCards makes a two-button card for an existing segment.
type fakeCards struct{ db *store.DB }

func (c fakeCards) SegmentCard(ctx context.Context, segmentID int64) (segmentbot.Message, error) {
	seg, err := c.db.FindSegmentByID(ctx, segmentID)
	if err != nil {
		return segmentbot.Message{}, err
	}
	return segmentbot.Message{
		Title: seg.Name,
		Text:  "Get news about " + seg.Name,
		Buttons: []segmentbot.Button{
			{Title: "Opt in", Action: &segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: seg.ID, Sig: "sig-in"}},
			{Title: "Opt out", Action: &segmentbot.Action{Verb: segmentbot.VerbOptOut, SegmentID: seg.ID, Sig: "sig-out"}},
		},
	}, nil
}

// storeMembers edits memberships by email against the store, the way the
// bot's editor does, with one report row per email.
type storeMembers struct{ db *store.DB }

func (m storeMembers) AddEmails(ctx context.Context, segmentID int64, emails []string, source string, actorID int64) ([]segmentbot.ImportRow, error) {
	return m.each(ctx, segmentID, emails, func(u *segmentbot.User) (string, error) {
		added, err := m.db.Join(ctx, segmentID, u.ID, source, actorID)
		if added {
			return segmentbot.OutcomeAdded, err
		}
		return segmentbot.OutcomeAlreadyMember, err
	})
}

func (m storeMembers) RemoveEmails(ctx context.Context, segmentID int64, emails []string, source string, actorID int64) ([]segmentbot.ImportRow, error) {
	return m.each(ctx, segmentID, emails, func(u *segmentbot.User) (string, error) {
		removed, err := m.db.Leave(ctx, segmentID, u.ID, source, actorID, false)
		if removed {
			return "removed", err
		}
		return "not_member", err
	})
}

func (m storeMembers) each(ctx context.Context, segmentID int64, emails []string, change func(*segmentbot.User) (string, error)) ([]segmentbot.ImportRow, error) {
	if _, err := m.db.FindSegmentByID(ctx, segmentID); err != nil {
		return nil, err
	}
	rows := make([]segmentbot.ImportRow, 0, len(emails))
	for i, e := range emails {
		row := segmentbot.ImportRow{Row: int64(i + 1), Value: e}
		users, err := m.db.FindUsersByEmail(ctx, e)
		if err != nil {
			return nil, err
		}
		if len(users) == 0 {
			row.Outcome, row.Reason = segmentbot.OutcomeFailed, segmentbot.ReasonNotFound
		} else if row.Outcome, err = change(users[0]); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// storeUploader queues an import for the uploaded file after reading it
// whole, as the importer does before it answers.
type storeUploader struct {
	db   *store.DB
	mu   sync.Mutex
	name string
	body string
}

func (u *storeUploader) StartUpload(ctx context.Context, segmentID int64, body io.Reader, fileName string) (*segmentbot.Import, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	u.mu.Lock()
	u.name, u.body = fileName, string(b)
	u.mu.Unlock()
	imp := &segmentbot.Import{SegmentID: segmentID, Channel: "api", FileName: fileName}
	if err := u.db.CreateImport(ctx, imp); err != nil {
		return nil, err
	}
	return imp, nil
}

func (u *storeUploader) last() (string, string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.name, u.body
}

var errBoom = errors.New("boom: connection reset")

// panicTeams panics on every activity.
type panicTeams struct{}

func (panicTeams) ProcessActivity(ctx context.Context, authorization string, body []byte) (any, error) {
	panic("kaboom")
}
