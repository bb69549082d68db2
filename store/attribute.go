package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// attrBatch rows go in one statement: 6 parameters each stays far below
// the limits of both databases (SQLite 32766, PostgreSQL 65535).
const attrBatch = 1000

// SaveAttributes stores each (user, name) -> value with its source in one
// transaction (see upsertAttributes) and returns how many distinct users
// had an attribute added, changed or removed. EINVALID, nothing changed,
// for an empty or too long name, a too long value or a missing source.
func (db *DB) SaveAttributes(ctx context.Context, attrs []segmentbot.Attribute) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		n, err = db.upsertAttributes(ctx, tx, attrs)
		return err
	})
	return n, err
}

// upsertAttributes writes attrs inside tx, for the store's other writers
// (SaveAttributes, the import's apply, the directory's users): names
// lower-cased and trimmed, values trimmed and folded for comparison
// (segmentbot.FoldValue); an empty Value removes that attribute. Of
// several values for one (user, name) the last wins. A row whose value
// is unchanged is not rewritten (nor is its source). It returns how many
// distinct users had at least one attribute added, changed or removed.
// Rows go in batched multi-row statements, in (user, name) order so that
// concurrent writers lock rows in the same order.
func (db *DB) upsertAttributes(ctx context.Context, tx *sqlx.Tx, attrs []segmentbot.Attribute) (int64, error) {
	clean, err := cleanAttributes(attrs)
	if err != nil || len(clean) == 0 {
		return 0, err
	}
	now := db.now()
	changedUsers := make(map[int64]struct{})
	var set, del []segmentbot.Attribute
	for _, a := range clean {
		if a.Value == "" {
			del = append(del, a)
		} else {
			set = append(set, a)
		}
	}
	for batch := range slices.Chunk(set, attrBatch) {
		if err := upsertAttrBatch(ctx, tx, batch, now, changedUsers); err != nil {
			return 0, err
		}
	}
	for batch := range slices.Chunk(del, attrBatch) {
		if err := deleteAttrBatch(ctx, tx, batch, changedUsers); err != nil {
			return 0, err
		}
	}
	return int64(len(changedUsers)), nil
}

// cleanAttributes normalises attrs, checks them, keeps the last value of
// each (user, name) and sorts them by (user, name).
func cleanAttributes(attrs []segmentbot.Attribute) ([]segmentbot.Attribute, error) {
	clean := make([]segmentbot.Attribute, 0, len(attrs))
	for _, a := range attrs {
		a.Name = segmentbot.AttributeName(a.Name)
		a.Value = strings.TrimSpace(a.Value)
		switch {
		case a.UserID <= 0:
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "An attribute needs a user (got user %d).", a.UserID)
		case a.Name == "":
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "An attribute of user %d has no name.", a.UserID)
		case utf8.RuneCountInString(a.Name) > segmentbot.MaxAttributeName:
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "The attribute name %.40q… of user %d is longer than %d characters.",
				a.Name, a.UserID, segmentbot.MaxAttributeName)
		case utf8.RuneCountInString(a.Value) > segmentbot.MaxAttributeValue:
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "The value of %s of user %d is longer than %d characters.",
				a.Name, a.UserID, segmentbot.MaxAttributeValue)
		case a.Source == "":
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "The attribute %s of user %d has no source.", a.Name, a.UserID)
		}
		clean = append(clean, a)
	}
	// A stable sort keeps the given order among equal keys: the last one
	// of each (user, name) is the one kept.
	slices.SortStableFunc(clean, func(a, b segmentbot.Attribute) int {
		return cmp.Or(cmp.Compare(a.UserID, b.UserID), cmp.Compare(a.Name, b.Name))
	})
	out := clean[:0]
	for i, a := range clean {
		if i+1 < len(clean) && clean[i+1].UserID == a.UserID && clean[i+1].Name == a.Name {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// upsertAttrBatch inserts or updates one batch and adds the users whose
// rows it inserted or changed to changedUsers.
func upsertAttrBatch(ctx context.Context, tx *sqlx.Tx, batch []segmentbot.Attribute, now time.Time, changedUsers map[int64]struct{}) error {
	args := make([]any, 0, 6*len(batch))
	for _, a := range batch {
		args = append(args, a.UserID, a.Name, a.Value, segmentbot.FoldValue(a.Value), a.Source, now)
	}
	var ids []int64
	err := tx.SelectContext(ctx, &ids, tx.Rebind(`
		INSERT INTO user_attributes (user_id, name, value, value_fold, source, updated_at)
		VALUES `+valuesRows(len(batch), 6)+`
		ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value, value_fold = excluded.value_fold,
			source = excluded.source, updated_at = excluded.updated_at
		WHERE user_attributes.value <> excluded.value
		RETURNING user_id`), args...)
	if err != nil {
		return fmt.Errorf("save attributes: %w", err)
	}
	for _, id := range ids {
		changedUsers[id] = struct{}{}
	}
	return nil
}

// deleteAttrBatch removes one batch of (user, name) and adds the users
// who had one of them to changedUsers.
func deleteAttrBatch(ctx context.Context, tx *sqlx.Tx, batch []segmentbot.Attribute, changedUsers map[int64]struct{}) error {
	args := make([]any, 0, 2*len(batch))
	for _, a := range batch {
		args = append(args, a.UserID, a.Name)
	}
	row := "(CAST(? AS BIGINT), CAST(? AS TEXT))"
	rows := row + strings.Repeat(", "+row, len(batch)-1)
	var ids []int64
	err := tx.SelectContext(ctx, &ids, tx.Rebind(`
		DELETE FROM user_attributes WHERE (user_id, name) IN (VALUES `+rows+`)
		RETURNING user_id`), args...)
	if err != nil {
		return fmt.Errorf("remove attributes: %w", err)
	}
	for _, id := range ids {
		changedUsers[id] = struct{}{}
	}
	return nil
}

// FindAttributes returns a user's attributes by name.
func (db *DB) FindAttributes(ctx context.Context, userID int64) ([]segmentbot.Attribute, error) {
	attrs := []segmentbot.Attribute{}
	if err := db.read.SelectContext(ctx, &attrs, db.read.Rebind(`
		SELECT user_id, name, value, source FROM user_attributes WHERE user_id = ? ORDER BY name`), userID); err != nil {
		return nil, fmt.Errorf("attributes of user %d: %w", userID, err)
	}
	return attrs, nil
}

// CountAttributes lists every attribute name with how many users have it
// and its top commonest values, compared folded and shown as one of the
// spellings users have (the first in sort order), names in alphabetical
// order, values by count then value.
func (db *DB) CountAttributes(ctx context.Context, top int) ([]segmentbot.AttributeCount, error) {
	var names []struct {
		Name  string `db:"name"`
		Users int64  `db:"users"`
	}
	if err := db.read.SelectContext(ctx, &names, `
		SELECT name, count(*) AS users FROM user_attributes GROUP BY name ORDER BY name`); err != nil {
		return nil, fmt.Errorf("count attributes: %w", err)
	}
	counts := make([]segmentbot.AttributeCount, len(names))
	byName := make(map[string]*segmentbot.AttributeCount, len(names))
	for i, n := range names {
		counts[i] = segmentbot.AttributeCount{Name: n.Name, Users: n.Users, Values: []segmentbot.ValueCount{}}
		byName[n.Name] = &counts[i]
	}
	if top <= 0 || len(names) == 0 {
		return counts, nil
	}
	var values []struct {
		Name  string `db:"name"`
		Value string `db:"value"`
		Users int64  `db:"users"`
	}
	if err := db.read.SelectContext(ctx, &values, db.read.Rebind(`
		SELECT name, value, users FROM (
			SELECT name, min(value) AS value, count(*) AS users,
				row_number() OVER (PARTITION BY name ORDER BY count(*) DESC, value_fold) AS rank
			FROM user_attributes GROUP BY name, value_fold
		) v WHERE rank <= ? ORDER BY name, rank`), top); err != nil {
		return nil, fmt.Errorf("count attribute values: %w", err)
	}
	for _, v := range values {
		if c := byName[v.Name]; c != nil {
			c.Values = append(c.Values, segmentbot.ValueCount{Value: v.Value, Users: v.Users})
		}
	}
	return counts, nil
}
