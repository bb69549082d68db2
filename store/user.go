package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

const userColumns = `id, channel, tenant_id, external_id, aad_object_id, email, upn, name,
	active, in_bot_groups, conv_ref, time_zone, last_seen`

// mergeUser is the SET clause that folds new values (v) into a stored user:
// empty text keeps the stored value and last_seen only moves forward. A
// conversation reference that names a conversation is not replaced by one
// that names none (a roster entry, a message in a team): the personal
// chat it names, maybe opened by a broadcast, stays known.
// %s is how active and in_bot_groups are merged.
const mergeUser = `
	tenant_id = CASE WHEN v.tenant_id <> '' THEN v.tenant_id ELSE users.tenant_id END,
	aad_object_id = CASE WHEN v.aad_object_id <> '' THEN v.aad_object_id ELSE users.aad_object_id END,
	email = CASE WHEN v.email <> '' THEN v.email ELSE users.email END,
	upn = CASE WHEN v.upn <> '' THEN v.upn ELSE users.upn END,
	name = CASE WHEN v.name <> '' THEN v.name ELSE users.name END,
	conv_ref = CASE WHEN v.conv_ref = '' THEN users.conv_ref
		WHEN users.conv_ref LIKE '%%"conversationId"%%' AND v.conv_ref NOT LIKE '%%"conversationId"%%' THEN users.conv_ref
		ELSE v.conv_ref END,
	time_zone = CASE WHEN v.time_zone <> '' THEN v.time_zone ELSE users.time_zone END,
	last_seen = CASE WHEN v.last_seen > users.last_seen THEN v.last_seen ELSE users.last_seen END,
	%s`

// How the flags merge: an activity or roster only ever confirms a user
// (false means "not known"); a live lookup states whether the account is
// active, and may confirm that the user is in the bot's groups, but never
// takes that away: Graph knows no rosters, so a roster member it finds by
// employee id or mail would otherwise fall out of the bot's groups.
const (
	confirmFlags = `active = users.active OR v.active, in_bot_groups = users.in_bot_groups OR v.in_bot_groups`
	lookupFlags  = `active = v.active, in_bot_groups = users.in_bot_groups OR v.in_bot_groups`
)

// UpsertUser inserts or updates u by (Channel, ExternalID) and fills its ID.
// Empty fields of u, and false flags, do not overwrite stored ones. A user
// without ExternalID (found only by a live lookup) is matched by AAD object
// id or email instead.
func (db *DB) UpsertUser(ctx context.Context, u *segmentbot.User) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		return db.upsertUsers(ctx, tx, []*segmentbot.User{u}, confirmFlags)
	})
}

// UpsertUsers upserts a roster in one transaction, marking every user
// InBotGroups, and fills their IDs. It writes users in batches of
// multi-row statements, with the same result as UpsertUser on each in
// turn.
func (db *DB) UpsertUsers(ctx context.Context, users []*segmentbot.User) error {
	for _, u := range users {
		u.InBotGroups = true
	}
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		return db.upsertUsers(ctx, tx, users, confirmFlags)
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

// FindUsersByIdentity matches an email or UPN (case-insensitively), an AAD
// object id or a channel id, by id.
func (db *DB) FindUsersByIdentity(ctx context.Context, identity string) ([]*segmentbot.User, error) {
	if strings.TrimSpace(identity) == "" {
		return nil, nil
	}
	addr, id := storedAddress(identity), strings.TrimSpace(identity)
	var users []*segmentbot.User
	err := db.read.SelectContext(ctx, &users, db.read.Rebind(`
		SELECT `+userColumns+` FROM users
		WHERE email = ? OR upn = ? OR aad_object_id = ? OR external_id = ? ORDER BY id`), addr, addr, strings.ToLower(id), id)
	if err != nil {
		return nil, fmt.Errorf("find users by identity: %w", err)
	}
	return users, nil
}

// FindUsersByEmail matches email or UPN, case-insensitively, by id.
func (db *DB) FindUsersByEmail(ctx context.Context, email string) ([]*segmentbot.User, error) {
	email = storedAddress(email)
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
