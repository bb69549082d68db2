package store

import (
	"context"
	"fmt"

	"github.com/segmentbot/segmentbot"
)

// FindUserEvents returns one page of userID's membership events after
// event p.After, oldest first, with the segment's name (empty once it is
// deleted) and the name and email of the admin who caused each, if any.
// It reads the log's one index, (user_id, id).
func (db *DB) FindUserEvents(ctx context.Context, userID int64, p segmentbot.Page) ([]*segmentbot.UserEvent, error) {
	var events []*segmentbot.UserEvent
	err := db.read.SelectContext(ctx, &events, db.read.Rebind(`
		SELECT e.id, e.segment_id, e.user_id, e.action, e.source, e.actor_id, e.at, e.import_id,
			COALESCE(s.name, '') AS segment_name,
			COALESCE(a.name, '') AS actor_name,
			COALESCE(CASE WHEN a.email <> '' THEN a.email ELSE a.upn END, '') AS actor_email
		FROM membership_events e
		LEFT JOIN segments s ON s.id = e.segment_id
		LEFT JOIN users a ON a.id = e.actor_id AND e.actor_id <> e.user_id
		WHERE e.user_id = ? AND e.id > ?
		ORDER BY e.id LIMIT ?`), userID, p.After, pageLimit(p.Limit))
	if err != nil {
		return nil, fmt.Errorf("find events of user %d: %w", userID, err)
	}
	for _, e := range events {
		e.At = e.At.UTC()
	}
	return events, nil
}
