package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/net/idna"

	"github.com/segmentbot/segmentbot"
)

// userBatch users go in one multi-row statement: 12 parameters each stays
// below SQLite's limit of 32766 and PostgreSQL's of 65535.
const userBatch = 1000

// upsertUsers stores many users in tx with a few statements per batch
// instead of two per user, with the same result as upsertUser called on
// each in turn: a batch never holds two users that could be the same
// stored user (same channel id, AAD id, email or UPN), since the second
// must see what the first stored.
//
// The directory attributes users carry (User.Attributes) are stored with
// them, in tx.
func (db *DB) upsertUsers(ctx context.Context, tx *sqlx.Tx, users []*segmentbot.User, flags string) error {
	if err := db.upsertUserBatches(ctx, tx, users, flags); err != nil {
		return err
	}
	var attrs []segmentbot.Attribute
	for _, u := range users {
		attrs = appendDirectoryAttributes(attrs, u.ID, u.Attributes)
	}
	if _, err := db.upsertAttributes(ctx, tx, attrs); err != nil {
		return fmt.Errorf("save the directory attributes of %d users: %w", len(users), err)
	}
	return nil
}

// upsertUserBatches writes the users, a batch per statement.
func (db *DB) upsertUserBatches(ctx context.Context, tx *sqlx.Tx, users []*segmentbot.User, flags string) error {
	batch := make([]*segmentbot.User, 0, userBatch)
	keys := map[string]bool{}
	for _, u := range users {
		if err := normaliseUser(u); err != nil {
			return err
		}
		uk := userKeys(u)
		clash := len(batch) == userBatch
		for _, k := range uk {
			clash = clash || keys[k]
		}
		if clash {
			if err := db.upsertUserBatch(ctx, tx, batch, flags); err != nil {
				return err
			}
			batch, keys = batch[:0], map[string]bool{}
		}
		batch = append(batch, u)
		for _, k := range uk {
			keys[k] = true
		}
	}
	return db.upsertUserBatch(ctx, tx, batch, flags)
}

// normaliseUser checks u's channel and brings its ids to their stored form.
func normaliseUser(u *segmentbot.User) error {
	if u.Channel == "" {
		return segmentbot.Errorf(segmentbot.EINVALID, "A user needs a channel.")
	}
	u.Email, u.UPN = storedAddress(u.Email), storedAddress(u.UPN)
	u.AADObjectID = strings.ToLower(strings.TrimSpace(u.AADObjectID))
	u.LastSeen = u.LastSeen.UTC().Truncate(time.Microsecond)
	if u.ExternalID == "" && u.AADObjectID == "" && u.Email == "" && u.UPN == "" {
		return segmentbot.Errorf(segmentbot.EINVALID, "A user needs an id, an AAD object id or an email.")
	}
	return nil
}

// storedAddress is an email or UPN as stored and matched: lower case,
// with an internationalised domain in its ASCII form, as imports
// normalise addresses, so "anna@müller.de" and "anna@xn--mller-kva.de"
// are one user.
func storedAddress(addr string) string {
	addr = strings.ToLower(strings.TrimSpace(addr))
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || isASCII(domain) {
		return addr
	}
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return addr
	}
	return local + "@" + strings.ToLower(ascii)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// userKeys are the values by which u may meet another stored user.
func userKeys(u *segmentbot.User) []string {
	var keys []string
	for _, k := range []struct{ kind, v string }{{"x", u.ExternalID}, {"a", u.AADObjectID}, {"e", u.Email}, {"u", u.UPN}} {
		if k.v != "" {
			keys = append(keys, u.Channel+"\x00"+k.kind+"\x00"+k.v)
		}
	}
	return keys
}

// upsertUserBatch stores a batch of users that cannot meet each other.
func (db *DB) upsertUserBatch(ctx context.Context, tx *sqlx.Tx, batch []*segmentbot.User, flags string) error {
	var withID, lookedUp []*segmentbot.User
	for _, u := range batch {
		if u.ExternalID != "" {
			withID = append(withID, u)
		} else {
			lookedUp = append(lookedUp, u)
		}
	}
	if err := adoptLookedUpUsers(ctx, tx, withID); err != nil {
		return err
	}
	if err := insertUsers(ctx, tx, withID, flags); err != nil {
		return err
	}
	return db.storeLookedUpUsers(ctx, tx, lookedUp, flags)
}

// adoptLookedUpUsers gives users first known from a live lookup (no
// channel id) the channel id of the users that now arrive with one.
func adoptLookedUpUsers(ctx context.Context, tx *sqlx.Tx, users []*segmentbot.User) error {
	var rows []string
	var args []any
	for _, u := range users {
		if u.AADObjectID != "" {
			rows = append(rows, "(?, ?, ?)")
			args = append(args, u.Channel, u.ExternalID, u.AADObjectID)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`
		WITH v (channel, external_id, aad_object_id) AS (VALUES `+strings.Join(rows, ", ")+`)
		UPDATE users SET external_id = (SELECT v.external_id FROM v
			WHERE v.channel = users.channel AND v.aad_object_id = users.aad_object_id LIMIT 1)
		WHERE external_id = '' AND EXISTS (SELECT 1 FROM v
			WHERE v.channel = users.channel AND v.aad_object_id = users.aad_object_id
			AND NOT EXISTS (SELECT 1 FROM users o WHERE o.channel = v.channel AND o.external_id = v.external_id))`),
		args...)
	if err != nil {
		return fmt.Errorf("adopt looked-up users: %w", err)
	}
	return nil
}

// insertUsers upserts users that have a channel id by (channel, external
// id) in one statement and fills their IDs.
func insertUsers(ctx context.Context, tx *sqlx.Tx, users []*segmentbot.User, flags string) error {
	if len(users) == 0 {
		return nil
	}
	var got []struct {
		ID         int64  `db:"id"`
		Channel    string `db:"channel"`
		ExternalID string `db:"external_id"`
	}
	err := tx.SelectContext(ctx, &got, tx.Rebind(insertUsersSQL(len(users))+`
		ON CONFLICT (channel, external_id) WHERE external_id <> '' DO UPDATE SET `+
		strings.ReplaceAll(fmt.Sprintf(mergeUser, flags), "v.", "excluded.")+`
		RETURNING id, channel, external_id`), userValues(users)...)
	if err != nil {
		return fmt.Errorf("upsert %d users: %w", len(users), err)
	}
	ids := make(map[string]int64, len(got))
	for _, g := range got {
		ids[g.Channel+"\x00"+g.ExternalID] = g.ID
	}
	for _, u := range users {
		if u.ID = ids[u.Channel+"\x00"+u.ExternalID]; u.ID == 0 {
			return fmt.Errorf("upsert user %s/%s: no id returned", u.Channel, u.ExternalID)
		}
	}
	return nil
}

func insertUsersSQL(n int) string {
	return `INSERT INTO users (channel, tenant_id, external_id, aad_object_id, email, upn, name,
		active, in_bot_groups, conv_ref, time_zone, last_seen) VALUES ` +
		valuesRows(n, 12)
}

func userValues(users []*segmentbot.User) []any {
	args := make([]any, 0, 12*len(users))
	for _, u := range users {
		args = append(args, u.Channel, u.TenantID, u.ExternalID, u.AADObjectID, u.Email, u.UPN, u.Name,
			u.Active, u.InBotGroups, u.ConvRef, u.TimeZone, u.LastSeen)
	}
	return args
}

// storeLookedUpUsers stores users without a channel id (from a live
// lookup): each is matched to a stored user of its channel by AAD object
// id, else email, else UPN; matched ones are updated one by one (rare: a
// lookup asks only about values the directory lacks), the rest inserted
// in one statement.
func (db *DB) storeLookedUpUsers(ctx context.Context, tx *sqlx.Tx, users []*segmentbot.User, flags string) error {
	if len(users) == 0 {
		return nil
	}
	rows := make([]string, len(users))
	args := make([]any, 0, 5*len(users))
	for i, u := range users {
		rows[i] = "(CAST(? AS BIGINT), ?, ?, ?, ?)"
		args = append(args, i, u.Channel, u.AADObjectID, u.Email, u.UPN)
	}
	var found []struct {
		I  int   `db:"i"`
		ID int64 `db:"id"`
	}
	err := tx.SelectContext(ctx, &found, tx.Rebind(`
		WITH v (i, channel, aad_object_id, email, upn) AS (VALUES `+strings.Join(rows, ", ")+`)
		SELECT v.i, CASE
			WHEN v.aad_object_id <> '' THEN (SELECT id FROM users u WHERE u.channel = v.channel AND u.aad_object_id = v.aad_object_id ORDER BY id LIMIT 1)
			WHEN v.email <> '' THEN (SELECT id FROM users u WHERE u.channel = v.channel AND u.email = v.email ORDER BY id LIMIT 1)
			ELSE (SELECT id FROM users u WHERE u.channel = v.channel AND u.upn = v.upn ORDER BY id LIMIT 1) END AS id
		FROM v WHERE CASE
			WHEN v.aad_object_id <> '' THEN EXISTS (SELECT 1 FROM users u WHERE u.channel = v.channel AND u.aad_object_id = v.aad_object_id)
			WHEN v.email <> '' THEN EXISTS (SELECT 1 FROM users u WHERE u.channel = v.channel AND u.email = v.email)
			ELSE EXISTS (SELECT 1 FROM users u WHERE u.channel = v.channel AND u.upn = v.upn) END`), args...)
	if err != nil {
		return fmt.Errorf("find looked-up users: %w", err)
	}
	known := map[int]bool{}
	for _, f := range found {
		known[f.I] = true
		users[f.I].ID = f.ID
		if err := updateUser(ctx, tx, users[f.I], flags); err != nil {
			return err
		}
	}
	var fresh []*segmentbot.User
	for i, u := range users {
		if !known[i] {
			fresh = append(fresh, u)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(insertUsersSQL(len(fresh))+` RETURNING id`), userValues(fresh)...); err != nil {
		return fmt.Errorf("insert %d looked-up users: %w", len(fresh), err)
	}
	if len(ids) != len(fresh) {
		return fmt.Errorf("insert %d looked-up users: %d ids returned", len(fresh), len(ids))
	}
	// Fresh ids are increasing in the order of the VALUES list, on both
	// databases; sorting makes that explicit rather than trusting the
	// order of RETURNING.
	slices.Sort(ids)
	for i, u := range fresh {
		u.ID = ids[i]
	}
	return nil
}

// updateUser merges u into the stored user u.ID.
func updateUser(ctx context.Context, tx *sqlx.Tx, u *segmentbot.User, flags string) error {
	// Named parameters, so PostgreSQL infers each one's type from the
	// column it meets.
	set := fmt.Sprintf(mergeUser, flags)
	q, args, err := sqlx.Named(`UPDATE users SET `+strings.ReplaceAll(set, "v.", ":")+` WHERE id = :id`, map[string]any{
		"id": u.ID, "tenant_id": u.TenantID, "aad_object_id": u.AADObjectID, "email": u.Email, "upn": u.UPN,
		"name": u.Name, "active": u.Active, "in_bot_groups": u.InBotGroups, "conv_ref": u.ConvRef,
		"time_zone": u.TimeZone, "last_seen": u.LastSeen,
	})
	if err == nil {
		_, err = tx.ExecContext(ctx, tx.Rebind(q), args...)
	}
	if err != nil {
		return fmt.Errorf("update user %d: %w", u.ID, err)
	}
	return nil
}
