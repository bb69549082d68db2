package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// FindChatUsers returns the users that have a chat with the bot and match
// one of identities (emails/UPNs, AAD object ids, channel ids, as
// SEGMENTBOT_ADMINS lists them), by id.
func (db *DB) FindChatUsers(ctx context.Context, identities []string) ([]*segmentbot.User, error) {
	var ids []string
	for _, id := range identities {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id, strings.ToLower(id))
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	query, args, err := sqlx.In(`SELECT `+userColumns+` FROM users
		WHERE conv_ref <> '' AND (email IN (?) OR upn IN (?) OR aad_object_id IN (?) OR external_id IN (?))
		ORDER BY id`, ids, ids, ids, ids)
	if err != nil {
		return nil, fmt.Errorf("find chat users: %w", err)
	}
	var users []*segmentbot.User
	if err := db.read.SelectContext(ctx, &users, db.read.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("find chat users: %w", err)
	}
	return users, nil
}
