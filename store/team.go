package store

import (
	"context"
	"fmt"

	"github.com/segmentbot/segmentbot"
)

// SaveTeam inserts or updates t by (Channel, ID).
func (db *DB) SaveTeam(ctx context.Context, t *segmentbot.Team) error {
	t.UpdatedAt = db.now()
	_, err := db.db.ExecContext(ctx, db.db.Rebind(`
		INSERT INTO teams (channel, id, tenant_id, name, ref, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel, id) DO UPDATE SET tenant_id = excluded.tenant_id, name = excluded.name,
			ref = excluded.ref, updated_at = excluded.updated_at`),
		t.Channel, t.ID, t.TenantID, t.Name, t.Ref, t.UpdatedAt)
	if err != nil {
		return fmt.Errorf("save team %s: %w", t.ID, err)
	}
	return nil
}

// FindTeams lists the teams of a channel by id.
func (db *DB) FindTeams(ctx context.Context, channel string) ([]*segmentbot.Team, error) {
	var teams []*segmentbot.Team
	err := db.read.SelectContext(ctx, &teams, db.read.Rebind(`
		SELECT channel, id, tenant_id, name, ref, updated_at FROM teams WHERE channel = ? ORDER BY id`), channel)
	if err != nil {
		return nil, fmt.Errorf("find teams: %w", err)
	}
	for _, t := range teams {
		t.UpdatedAt = t.UpdatedAt.UTC()
	}
	return teams, nil
}
