package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

const userColumns = `id, channel, tenant_id, external_id, aad_object_id, email, upn, name,
	active, in_bot_groups, conv_ref, time_zone, last_seen`

// mergeUser is the SET clause that folds new values (v) into a stored user:
// empty text keeps the stored value and last_seen only moves forward.
// %s is how active and in_bot_groups are merged.
const mergeUser = `
	tenant_id = CASE WHEN v.tenant_id <> '' THEN v.tenant_id ELSE users.tenant_id END,
	aad_object_id = CASE WHEN v.aad_object_id <> '' THEN v.aad_object_id ELSE users.aad_object_id END,
	email = CASE WHEN v.email <> '' THEN v.email ELSE users.email END,
	upn = CASE WHEN v.upn <> '' THEN v.upn ELSE users.upn END,
	name = CASE WHEN v.name <> '' THEN v.name ELSE users.name END,
	conv_ref = CASE WHEN v.conv_ref <> '' THEN v.conv_ref ELSE users.conv_ref END,
	time_zone = CASE WHEN v.time_zone <> '' THEN v.time_zone ELSE users.time_zone END,
	last_seen = CASE WHEN v.last_seen > users.last_seen THEN v.last_seen ELSE users.last_seen END,
	%s`

// How the flags merge: an activity or roster only ever confirms a user
// (false means "not known"), a live lookup states both.
const (
	confirmFlags = `active = users.active OR v.active, in_bot_groups = users.in_bot_groups OR v.in_bot_groups`
	replaceFlags = `active = v.active, in_bot_groups = v.in_bot_groups`
)

// UpsertUser inserts or updates u by (Channel, ExternalID) and fills its ID.
// Empty fields of u, and false flags, do not overwrite stored ones. A user
// without ExternalID (found only by a live lookup) is matched by AAD object
// id or email instead.
func (db *DB) UpsertUser(ctx context.Context, u *segmentbot.User) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		return db.upsertUser(ctx, tx, u, confirmFlags)
	})
}

// UpsertUsers upserts a roster in one transaction, marking every user
// InBotGroups.
func (db *DB) UpsertUsers(ctx context.Context, users []*segmentbot.User) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, u := range users {
			u.InBotGroups = true
			if err := db.upsertUser(ctx, tx, u, confirmFlags); err != nil {
				return err
			}
		}
		return nil
	})
}

// FindUserByID returns ENOTFOUND if there is none.
func (db *DB) FindUserByID(ctx context.Context, id int64) (*segmentbot.User, error) {
	var u segmentbot.User
	err := db.read.GetContext(ctx, &u, db.read.Rebind(`SELECT `+userColumns+` FROM users WHERE id = ?`), id)
	if err != nil {
		return nil, notFound(fmt.Errorf("find user %d: %w", id, err), "There is no user %d.", id)
	}
	return &u, nil
}

// FindUserByExternalID returns ENOTFOUND if there is none.
func (db *DB) FindUserByExternalID(ctx context.Context, channel, externalID string) (*segmentbot.User, error) {
	var u segmentbot.User
	err := db.read.GetContext(ctx, &u, db.read.Rebind(`
		SELECT `+userColumns+` FROM users WHERE channel = ? AND external_id = ? AND external_id <> ''`),
		channel, externalID)
	if err != nil {
		return nil, notFound(fmt.Errorf("find user %s/%s: %w", channel, externalID, err), "There is no user %s on %s.", externalID, channel)
	}
	return &u, nil
}

// FindUsersByEmail matches email or UPN, case-insensitively, by id.
func (db *DB) FindUsersByEmail(ctx context.Context, email string) ([]*segmentbot.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, nil
	}
	var users []*segmentbot.User
	err := db.read.SelectContext(ctx, &users, db.read.Rebind(`
		SELECT `+userColumns+` FROM users WHERE email = ? OR upn = ? ORDER BY id`), email, email)
	if err != nil {
		return nil, fmt.Errorf("find users by email: %w", err)
	}
	return users, nil
}

// upsertUser stores u in tx and fills u.ID; flags is confirmFlags or
// replaceFlags.
func (db *DB) upsertUser(ctx context.Context, tx *sqlx.Tx, u *segmentbot.User, flags string) error {
	if u.Channel == "" {
		return segmentbot.Errorf(segmentbot.EINVALID, "A user needs a channel.")
	}
	u.Email, u.UPN = strings.ToLower(strings.TrimSpace(u.Email)), strings.ToLower(strings.TrimSpace(u.UPN))
	u.AADObjectID = strings.ToLower(strings.TrimSpace(u.AADObjectID))
	u.LastSeen = u.LastSeen.UTC().Truncate(time.Microsecond)
	set := fmt.Sprintf(mergeUser, flags)
	values := []any{u.Channel, u.TenantID, u.ExternalID, u.AADObjectID, u.Email, u.UPN, u.Name,
		u.Active, u.InBotGroups, u.ConvRef, u.TimeZone, u.LastSeen}

	if u.ExternalID == "" {
		id, err := findDirectoryUser(ctx, tx, u)
		if err != nil {
			return err
		}
		if id != 0 {
			u.ID = id
			// Named parameters, so PostgreSQL infers each one's type from
			// the column it meets.
			q, args, err := sqlx.Named(`UPDATE users SET `+strings.ReplaceAll(set, "v.", ":")+` WHERE id = :id`, map[string]any{
				"id": id, "tenant_id": u.TenantID, "aad_object_id": u.AADObjectID, "email": u.Email, "upn": u.UPN,
				"name": u.Name, "active": u.Active, "in_bot_groups": u.InBotGroups, "conv_ref": u.ConvRef,
				"time_zone": u.TimeZone, "last_seen": u.LastSeen,
			})
			if err == nil {
				_, err = tx.ExecContext(ctx, tx.Rebind(q), args...)
			}
			if err != nil {
				return fmt.Errorf("update user %d: %w", id, err)
			}
			return nil
		}
	} else if u.AADObjectID != "" {
		// A user first known from a live lookup gets its channel id now.
		if _, err := tx.ExecContext(ctx, tx.Rebind(`
			UPDATE users SET external_id = ?
			WHERE channel = ? AND external_id = '' AND aad_object_id = ?
			AND NOT EXISTS (SELECT 1 FROM users o WHERE o.channel = ? AND o.external_id = ?)`),
			u.ExternalID, u.Channel, u.AADObjectID, u.Channel, u.ExternalID); err != nil {
			return fmt.Errorf("adopt looked-up user: %w", err)
		}
	}
	conflict := `ON CONFLICT (channel, external_id) WHERE external_id <> '' DO UPDATE SET ` +
		strings.ReplaceAll(set, "v.", "excluded.")
	if u.ExternalID == "" {
		conflict = ""
	}
	err := tx.GetContext(ctx, &u.ID, tx.Rebind(`
		INSERT INTO users (channel, tenant_id, external_id, aad_object_id, email, upn, name,
			active, in_bot_groups, conv_ref, time_zone, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) `+conflict+`
		RETURNING id`), values...)
	if err != nil {
		return fmt.Errorf("upsert user %s/%s: %w", u.Channel, u.ExternalID, err)
	}
	return nil
}

// findDirectoryUser finds the stored user a channel-less user (from a live
// lookup) stands for: same channel and AAD object id, else same email.
func findDirectoryUser(ctx context.Context, tx *sqlx.Tx, u *segmentbot.User) (int64, error) {
	var id int64
	var err error
	switch {
	case u.AADObjectID != "":
		err = tx.GetContext(ctx, &id, tx.Rebind(`
			SELECT id FROM users WHERE channel = ? AND aad_object_id = ? ORDER BY id LIMIT 1`), u.Channel, u.AADObjectID)
	case u.Email != "":
		err = tx.GetContext(ctx, &id, tx.Rebind(`
			SELECT id FROM users WHERE channel = ? AND email = ? ORDER BY id LIMIT 1`), u.Channel, u.Email)
	case u.UPN != "":
		err = tx.GetContext(ctx, &id, tx.Rebind(`
			SELECT id FROM users WHERE channel = ? AND upn = ? ORDER BY id LIMIT 1`), u.Channel, u.UPN)
	default:
		return 0, segmentbot.Errorf(segmentbot.EINVALID, "A user needs an id, an AAD object id or an email.")
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("find directory user: %w", err)
	}
	return id, nil
}
