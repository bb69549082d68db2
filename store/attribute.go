package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
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
// (SaveAttributes and the directory's users; the import's apply writes
// its cells set-based, see pgCellsSQL and sqliteCellsSQL): names
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
	var set, del, delDirectory []segmentbot.Attribute
	for _, a := range clean {
		switch {
		case a.Value != "":
			set = append(set, a)
		case a.Source == segmentbot.AttributeDirectory:
			delDirectory = append(delDirectory, a)
		default:
			del = append(del, a)
		}
	}
	if err := eachBatch(ctx, tx, set, upsertAttrSQL, 6, func(a segmentbot.Attribute) []any {
		return []any{a.UserID, a.Name, a.Value, segmentbot.FoldValue(a.Value), a.Source, now}
	}, changedUsers); err != nil {
		return 0, fmt.Errorf("save attributes: %w", err)
	}
	for _, d := range []struct {
		attrs []segmentbot.Attribute
		query func(rows int) string
	}{{del, deleteAttrSQL}, {delDirectory, deleteDirectoryAttrSQL}} {
		if err := eachBatch(ctx, tx, d.attrs, d.query, 2, func(a segmentbot.Attribute) []any {
			return []any{a.UserID, a.Name}
		}, changedUsers); err != nil {
			return 0, fmt.Errorf("remove attributes: %w", err)
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
		case !segmentbot.AttributeValueFits(a.Value):
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "The value of %s of user %d is longer than %d characters or %d bytes.",
				a.Name, a.UserID, segmentbot.MaxAttributeValue, segmentbot.MaxAttributeBytes)
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

// upsertAttrSQL inserts or updates rows (user_id, name, value,
// value_fold, source, updated_at) and returns the user of each row it
// inserted or changed.
func upsertAttrSQL(rows int) string {
	return `INSERT INTO user_attributes (user_id, name, value, value_fold, source, updated_at)
		VALUES ` + valuesRows(rows, 6) + `
		` + attrConflictSQL + `
		RETURNING user_id`
}

// attrConflictSQL ends every INSERT of attributes (here and in the
// import's apply): a changed value replaces the row, an unchanged one is
// left alone (and so not counted), and the directory never replaces what
// an import set.
const attrConflictSQL = `ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value, value_fold = excluded.value_fold,
			source = excluded.source, updated_at = excluded.updated_at
		WHERE user_attributes.value <> excluded.value
			AND (excluded.source <> '` + segmentbot.AttributeDirectory + `' OR user_attributes.source = '` + segmentbot.AttributeDirectory + `')`

// deleteAttrSQL removes rows (user_id, name) and returns the user of each
// row it removed.
func deleteAttrSQL(rows int) string { return deleteAttrWhere(rows, "") }

// deleteDirectoryAttrSQL is deleteAttrSQL for the directory: it removes
// only what the directory set. An admin's imported column is the admin's
// word: the directory neither replaces it (see upsertAttrSQL) nor removes
// it because its own field is empty; a later import does.
func deleteDirectoryAttrSQL(rows int) string {
	return deleteAttrWhere(rows, " AND source = '"+segmentbot.AttributeDirectory+"'")
}

func deleteAttrWhere(rows int, and string) string {
	row := "(CAST(? AS BIGINT), CAST(? AS TEXT))"
	return `DELETE FROM user_attributes WHERE (user_id, name) IN (VALUES ` + row + strings.Repeat(", "+row, rows-1) + `)` + and + `
		RETURNING user_id`
}

// eachBatch runs the statement query(n) on attrs, attrBatch rows at a
// time (the statement of a full batch prepared once), each row's
// parameters from args, and adds the user ids it returns to
// changedUsers.
func eachBatch(ctx context.Context, tx *sqlx.Tx, attrs []segmentbot.Attribute, query func(rows int) string, cols int,
	args func(segmentbot.Attribute) []any, changedUsers map[int64]struct{}) error {
	if len(attrs) == 0 {
		return nil
	}
	var full *sqlx.Stmt
	if len(attrs) >= attrBatch {
		var err error
		if full, err = tx.PreparexContext(ctx, tx.Rebind(query(attrBatch))); err != nil {
			return err
		}
		defer full.Close()
	}
	params := make([]any, 0, cols*attrBatch)
	for batch := range slices.Chunk(attrs, attrBatch) {
		params = params[:0]
		for _, a := range batch {
			params = append(params, args(a)...)
		}
		var ids []int64
		var err error
		if len(batch) == attrBatch {
			err = full.SelectContext(ctx, &ids, params...)
		} else {
			err = tx.SelectContext(ctx, &ids, tx.Rebind(query(len(batch))), params...)
		}
		if err != nil {
			return err
		}
		for _, id := range ids {
			changedUsers[id] = struct{}{}
		}
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
// and its top commonest values, compared folded and shown as the
// spelling of the first user who has it, names in alphabetical order,
// values by count then folded value. The counts come from the index
// alone; only the shown spellings read rows (a min(value) per group read
// every row: 23 s for 8,000,000 on SQLite, 1.5 s this way).
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
		SELECT v.name, v.users, (
			SELECT ua.value FROM user_attributes ua WHERE ua.name = v.name AND ua.value_fold = v.value_fold
			ORDER BY ua.user_id LIMIT 1) AS value
		FROM (
			SELECT name, value_fold, count(*) AS users,
				row_number() OVER (PARTITION BY name ORDER BY count(*) DESC, value_fold) AS rank
			FROM user_attributes GROUP BY name, value_fold
		) v WHERE v.rank <= ? ORDER BY v.name, v.rank`), top); err != nil {
		return nil, fmt.Errorf("count attribute values: %w", err)
	}
	for _, v := range values {
		if c := byName[v.Name]; c != nil {
			c.Values = append(c.Values, segmentbot.ValueCount{Value: v.Value, Users: v.Users})
		}
	}
	return counts, nil
}
