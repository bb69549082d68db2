package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// maxSample bounds the users FindAudience returns with its count.
const maxSample = 100

// walkSample is the count from which FindAudience finds its sample by
// walking the members (see FindAudience); tests lower it.
var walkSample int64 = 1000

// audienceWhere is the rule of a broadcast's audience (DESIGN §7, §8), as
// a condition on the memberships row "m" with ? placeholders and their
// arguments: a member of the segment who has not opted out of it and
// matches every condition of f (nil: everyone). FixAudience writes the
// delivery rows of exactly these users and FindAudience counts them.
//
// A global opt-out is not tested here: it removed the user from every
// segment (OptOutAll), and only the user's own Opt in tap has made them
// a member since, which they meant. Inactive users (gone from the
// directory) stay in the audience, as they always have: their delivery
// fails with left_tenant and the report says so.
func (d *dialect) audienceWhere(segmentID int64, f *segmentbot.Filter) (string, []any, error) {
	return d.audienceCond(segmentID, f, false)
}

// audienceCond is audienceWhere with the filter's conditions written
// per member when walk is set (see filterSQL).
func (d *dialect) audienceCond(segmentID int64, f *segmentbot.Filter, walk bool) (string, []any, error) {
	where := `m.segment_id = ? AND NOT EXISTS (
		SELECT 1 FROM opt_outs o WHERE o.segment_id = m.segment_id AND o.user_id = m.user_id)`
	args := []any{segmentID}
	if f != nil {
		cond, fargs, err := d.filterSQL(f, "m.user_id", walk)
		if err != nil {
			return "", nil, err
		}
		where, args = where+" AND "+cond, append(args, fargs...)
	}
	return where, args, nil
}

// audienceFilter turns a broadcast's Filter (DESIGN §8) into a condition
// on the memberships row "m" (m.user_id is the recipient), with ?
// placeholders and their arguments. EINVALID for a filter that does not
// pass segmentbot.Filter.Validate.
func (d *dialect) audienceFilter(f *segmentbot.Filter) (string, []any, error) {
	return d.filterSQL(f, "m.user_id", false)
}

// filterSQL turns f into a condition on the user id column userCol, each
// condition of f one test of user_attributes whose index (name,
// value_fold, user_id) gives the matching user ids alone. Names and
// values compare folded (segmentbot.FoldValue), the form value_fold
// keeps:
//
//   - in: the user has the attribute with one of the values;
//   - not_in: the user does not have it with one of the values; a user
//     without the attribute at all matches (country not_in US includes
//     users whose country is unknown; add "country exists" to leave them
//     out);
//   - exists: the user has the attribute (any value);
//   - missing: the user does not have it.
//
// in and exists are "userCol IN (ids)": PostgreSQL joins the ids,
// SQLite walks them and probes the other side's key. not_in and missing
// are NOT EXISTS on PostgreSQL (an anti-join; its NOT IN (subquery) is a
// hashed subplan that turns into a probe per row once the ids outgrow
// work_mem), and NOT IN (ids) on SQLite (the ids in a temporary index,
// built once; a correlated NOT EXISTS reruns per row).
//
// With walk, every condition is a correlated EXISTS or NOT EXISTS that
// probes the primary key (user_id, name) for the one user: the form for
// a query that walks users in order and stops after a few, where
// building the id lists first would cost as much as counting them all.
func (d *dialect) filterSQL(f *segmentbot.Filter, userCol string, walk bool) (string, []any, error) {
	if err := f.Validate(); err != nil {
		return "", nil, err
	}
	f = f.Normalize()
	conds := make([]string, 0, len(f.All))
	var args []any
	for _, c := range f.All {
		ids := "SELECT ua.user_id FROM user_attributes ua WHERE ua.name = ?"
		args = append(args, c.Attribute)
		if c.Op == segmentbot.OpIn || c.Op == segmentbot.OpNotIn {
			ids += " AND ua.value_fold IN (?" + strings.Repeat(", ?", len(c.Values)-1) + ")"
			for _, v := range c.Values {
				args = append(args, segmentbot.FoldValue(v))
			}
		}
		positive := c.Op == segmentbot.OpIn || c.Op == segmentbot.OpExists
		switch {
		case walk && positive:
			conds = append(conds, "EXISTS ("+ids+" AND ua.user_id = "+userCol+")")
		case positive:
			conds = append(conds, userCol+" IN ("+ids+")")
		case d.notInList && !walk:
			conds = append(conds, userCol+" NOT IN ("+ids+")")
		default:
			conds = append(conds, "NOT EXISTS ("+ids+" AND ua.user_id = "+userCol+")")
		}
	}
	return strings.Join(conds, " AND "), args, nil
}

// FindAudience counts the members of segmentID a broadcast with filter f
// would reach now (audienceWhere: the very rule FixAudience applies) and
// returns up to sample of them (at most 100; any of them) in user id
// order.
// ENOTFOUND for a missing segment, EINVALID for a bad filter.
func (db *DB) FindAudience(ctx context.Context, segmentID int64, f *segmentbot.Filter, sample int) (*segmentbot.Audience, error) {
	where, args, err := db.dialect.audienceWhere(segmentID, f)
	if err != nil {
		return nil, err
	}
	var found []int64
	if err := db.read.SelectContext(ctx, &found, db.read.Rebind(`SELECT id FROM segments WHERE id = ?`), segmentID); err != nil {
		return nil, fmt.Errorf("audience of segment %d: %w", segmentID, err)
	} else if len(found) == 0 {
		return nil, segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no segment %d.", segmentID)
	}
	a := &segmentbot.Audience{Sample: []*segmentbot.User{}}
	err = db.readWith(ctx, db.dialect.countSettings, func(q queryer) error {
		return sqlx.GetContext(ctx, q, &a.Count, q.Rebind(`SELECT count(*) FROM memberships m WHERE `+where), args...)
	})
	if err != nil {
		return nil, fmt.Errorf("count audience of segment %d: %w", segmentID, err)
	}
	// Its own statement, and the first users found, whichever they are
	// (then put in id order): the plan stops at the sample, where the
	// count's reads every member, and where an order would make SQLite
	// sort every match first. With walkSample matches or more, the
	// members are walked in order and tested one by one (audienceCond):
	// at worst one in a thousand matches and the walk stops after some
	// thousands of members per user sampled.
	if sample = min(sample, maxSample); sample > 0 && a.Count > 0 {
		if a.Count >= walkSample {
			if where, args, err = db.dialect.audienceCond(segmentID, f, true); err != nil {
				return nil, err
			}
		}
		if err := db.read.SelectContext(ctx, &a.Sample, db.read.Rebind(`
			SELECT `+userColumns+` FROM users WHERE id IN (SELECT m.user_id FROM memberships m WHERE `+where+` LIMIT ?)
			ORDER BY id`), append(args, sample)...); err != nil {
			return nil, fmt.Errorf("sample audience of segment %d: %w", segmentID, err)
		}
	}
	return a, nil
}

// readWith runs fn on the read pool, inside a transaction that applies
// settings first when there are any (SET LOCAL lasts until its end).
func (db *DB) readWith(ctx context.Context, settings []string, fn func(q queryer) error) error {
	if len(settings) == 0 {
		return fn(db.read)
	}
	tx, err := db.read.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	for _, s := range settings {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return fn(tx)
}
