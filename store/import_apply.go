package store

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// decideSQL gives every staged row of import :imp its user, outcome,
// reason and detail, in one pass of hash joins and hash aggregates (no
// probe per row, no sort of text):
//
//   - vals: each distinct valid value once, with its first row;
//   - cand, best: the value's user in the directory (email or UPN, AAD
//     object id, or platform id) or from a live lookup, preferring a user
//     of the import's channel, then the oldest; a value is known by its
//     first row from here on (integers hash faster than text), and a UPN
//     equal to the user's email is not matched twice;
//   - firsts: the first row that reached each user;
//   - a later row with the same value, or with a value whose user an
//     earlier value reached, is a duplicate of that first row;
//   - opt-outs and members of segment :seg, as they are before the
//     import, the global opt-outs (a user who typed unsubscribe is
//     skipped_opted_out unless they joined :seg themselves since), and
//     the user's flags decide the rest (a miss whose lookup
//     never answered is a lookup_error); "added" still means
//     "to add" (see pgApplyRows for the race with taps);
//   - a row with attribute cells names the user its value reached
//     (attr_user), whatever its outcome, duplicates included: the
//     cells describe that user (see sqliteCellsSQL; PostgreSQL writes
//     them on a second connection, matched by attrRowsSQL the same way).
const decideSQL = `
	WITH vals AS (
		SELECT kind, norm, min(row_no) AS first_row FROM import_rows
		WHERE import_id = :imp AND kind <> 'invalid' /*part:import_rows*/ GROUP BY kind, norm
	), cand AS (
		SELECT v.first_row, u.id, u.channel FROM vals v JOIN users u ON u.email = v.norm
		WHERE v.kind = 'email' AND u.email <> ''
		UNION ALL
		SELECT v.first_row, u.id, u.channel FROM vals v JOIN users u ON u.upn = v.norm
		WHERE v.kind = 'email' AND u.upn <> '' AND u.upn <> u.email
		UNION ALL
		SELECT v.first_row, u.id, u.channel FROM vals v JOIN users u ON u.aad_object_id = v.norm
		WHERE v.kind = 'aad' AND u.aad_object_id <> ''
		UNION ALL
		SELECT v.first_row, u.id, u.channel FROM vals v JOIN users u ON u.external_id = v.norm
		WHERE v.kind = 'numeric' AND u.external_id <> ''
		UNION ALL
		SELECT v.first_row, u.id, u.channel FROM vals v
		JOIN import_lookups l ON l.import_id = :imp AND l.kind = v.kind AND l.norm = v.norm
		JOIN users u ON u.id = l.user_id
	), best AS (
		SELECT first_row,
			COALESCE(min(id) FILTER (WHERE channel = (SELECT channel FROM imports WHERE id = :imp)), min(id)) AS user_id
		FROM cand GROUP BY first_row
	), matched AS (
		SELECT v.kind, v.norm, v.first_row, b.user_id
		FROM vals v LEFT JOIN best b ON b.first_row = v.first_row
	), firsts AS (
		SELECT user_id, min(first_row) AS user_first FROM matched WHERE user_id IS NOT NULL GROUP BY user_id
	), dups AS (
		SELECT m.kind, m.norm, m.first_row, m.user_id,
			CASE WHEN f.user_first < m.first_row THEN f.user_first END AS user_dup
		FROM matched m LEFT JOIN firsts f ON f.user_id = m.user_id
	), rowdups AS (
		SELECT r.row_no, r.kind, r.norm, r.note, r.attributes, d.user_id,
			CASE WHEN r.row_no > d.first_row THEN d.first_row ELSE d.user_dup END AS dup_of
		FROM import_rows r LEFT JOIN dups d ON d.kind = r.kind AND d.norm = r.norm
		WHERE r.import_id = :imp /*part:r*/
	)
	SELECT r.row_no, u.id AS user_id,
		CASE WHEN r.kind = 'invalid' THEN 'failed'
			WHEN r.dup_of IS NOT NULL THEN 'duplicate'
			WHEN u.id IS NULL OR NOT u.active OR NOT u.in_bot_groups THEN 'failed'
			WHEN o.user_id IS NOT NULL THEN 'skipped_opted_out'
			WHEN mb.user_id IS NOT NULL THEN 'already_member'
			WHEN g.user_id IS NOT NULL THEN 'skipped_opted_out'
			ELSE 'added' END AS outcome,
		CASE WHEN r.kind = 'invalid' THEN 'invalid'
			WHEN r.dup_of IS NOT NULL THEN ''
			WHEN u.id IS NULL AND l.reason = '` + reasonPending + `' THEN 'lookup_error'
			WHEN u.id IS NULL THEN COALESCE(NULLIF(l.reason, ''), 'not_found')
			WHEN NOT u.active THEN 'left_tenant'
			WHEN NOT u.in_bot_groups THEN 'not_in_bot_groups'
			ELSE '' END AS reason,
		CASE WHEN r.kind = 'invalid' THEN r.note
			WHEN r.dup_of IS NOT NULL THEN 'same as row ' || CAST(r.dup_of AS TEXT)
			ELSE '' END AS detail,
		CASE WHEN r.attributes IS NOT NULL THEN r.user_id END AS attr_user, r.attributes
	FROM rowdups r
	LEFT JOIN users u ON u.id = r.user_id AND r.dup_of IS NULL
	LEFT JOIN opt_outs o ON o.segment_id = :seg AND o.user_id = u.id
	LEFT JOIN global_opt_outs g ON g.user_id = u.id
	LEFT JOIN memberships mb ON mb.segment_id = :seg AND mb.user_id = u.id
	LEFT JOIN import_lookups l ON l.import_id = :imp AND l.kind = r.kind AND l.norm = r.norm
		AND r.user_id IS NULL AND r.kind <> 'invalid'`

// attrRowsSQL gives the rows of an import that have attribute cells and
// reached a user, with that user (attr_user) as decideSQL picks it (a
// user of the import's channel, then the oldest), without deciding their
// outcomes: what pgCellsSQL needs. It matches each row rather than each
// distinct value (the same candidates, hence the same user), carrying its
// cells through the one aggregate, and reads no membership, so it does
// not wait on, or check against, the members the import adds meanwhile.
const attrRowsSQL = `
	WITH cand AS (
		SELECT r.row_no, r.attributes, u.id, u.channel FROM import_rows r JOIN users u ON u.email = r.norm
		WHERE r.import_id = :imp AND r.attributes IS NOT NULL AND r.kind = 'email' AND u.email <> '' /*part:r*/
		UNION ALL
		SELECT r.row_no, r.attributes, u.id, u.channel FROM import_rows r JOIN users u ON u.upn = r.norm
		WHERE r.import_id = :imp AND r.attributes IS NOT NULL AND r.kind = 'email' AND u.upn <> '' AND u.upn <> u.email /*part:r*/
		UNION ALL
		SELECT r.row_no, r.attributes, u.id, u.channel FROM import_rows r JOIN users u ON u.aad_object_id = r.norm
		WHERE r.import_id = :imp AND r.attributes IS NOT NULL AND r.kind = 'aad' AND u.aad_object_id <> '' /*part:r*/
		UNION ALL
		SELECT r.row_no, r.attributes, u.id, u.channel FROM import_rows r JOIN users u ON u.external_id = r.norm
		WHERE r.import_id = :imp AND r.attributes IS NOT NULL AND r.kind = 'numeric' AND u.external_id <> '' /*part:r*/
		UNION ALL
		SELECT r.row_no, r.attributes, u.id, u.channel FROM import_rows r
		JOIN import_lookups l ON l.import_id = :imp AND l.kind = r.kind AND l.norm = r.norm
		JOIN users u ON u.id = l.user_id
		WHERE r.import_id = :imp AND r.attributes IS NOT NULL AND r.kind <> 'invalid' /*part:r*/
	)
	SELECT row_no, min(attributes) AS attributes,
		COALESCE(min(id) FILTER (WHERE channel = (SELECT channel FROM imports WHERE id = :imp)), min(id)) AS attr_user
	FROM cand GROUP BY row_no`

// pgApplySQL decides the outcomes, adds the members, logs their joins,
// writes the outcomes and counts them in one statement: one pass over the
// import, one round trip. Only users the INSERT really added count as
// added: a member who joined by a tap since the statement's snapshot
// conflicts, becomes already_member and gets no second join event. Only
// the rows not added are written to import_results (a row without one
// was added, see EachImportRow): most rows of a big import are added,
// and writing their outcome again cost as much as adding them. Members
// and events go in user order, so their indexes fill page by page. The
// attribute cells are written beside it (see pgApplyRows).
func pgApplySQL(p part) string {
	return `
	WITH decided AS MATERIALIZED (` + decideFor(p) + `
	), added AS (
		INSERT INTO memberships (segment_id, user_id, source, joined_at)
		SELECT :seg, user_id, :source, :now FROM decided WHERE outcome = 'added' ORDER BY user_id
		ON CONFLICT (segment_id, user_id) DO NOTHING
		RETURNING user_id
	), logged AS (
		INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at, import_id)
		SELECT :seg, user_id, :join, :source, :actor, :now, :imp FROM added ORDER BY user_id
	), final AS (
		SELECT d.row_no, d.user_id,
			CASE WHEN d.outcome = 'added' AND a.user_id IS NULL THEN 'already_member' ELSE d.outcome END AS outcome,
			d.reason, d.detail
		FROM decided d LEFT JOIN added a ON a.user_id = d.user_id AND d.outcome = 'added'
	), written AS (
		INSERT INTO import_results (import_id, row_no, user_id, outcome, reason, detail)
		SELECT :imp, row_no, user_id, outcome, reason, detail FROM final WHERE outcome <> 'added'
	)
	SELECT outcome, reason, count(*) AS n FROM final GROUP BY outcome, reason`
}

// pgCellsSQL writes the attribute cells of the rows of part p that
// reached a user (attrRowsSQL) and returns how many users had an
// attribute added or changed. The cells are written as
// upsertAttributes writes attributes (names and values staged clean,
// values folded in Go when staged, the last row's value of each name, an
// unchanged value left alone), set-based.
//
// The looked-up rows, applied after the directory's (see ApplyKnown),
// may reach a user some of the directory's rows reached too: then each
// name keeps the value of the file's last row that has one, whichever
// part it is in, and the user is counted once (see earlierRowsSQL).
// afterKnown does the same for all the rows of an import whose
// directory's part wrote its cells but not its members.
func pgCellsSQL(p part, afterKnown bool) string {
	counted := ""
	switch {
	case p == lookedUpRows:
		counted = countedBeforeSQL("earlier")
	case afterKnown:
		counted = countedBeforeSQL("decided")
	}
	return `
	WITH decided AS MATERIALIZED (` + attrRowsFor(p) + `
	)` + earlierRowsSQL(p) + `, cells AS (
		SELECT DISTINCT ON (attr_user, name) attr_user, name, value, value_fold, this_part FROM (
			SELECT d.attr_user, d.row_no, c.key AS name, c.value ->> 0 AS value, c.value ->> 1 AS value_fold, true AS this_part
			FROM decided d CROSS JOIN LATERAL json_each(CAST(d.attributes AS json)) c` + earlierCellsSQL(p) + `
		) AS x
		ORDER BY attr_user, name, row_no DESC
	), attributed AS (
		INSERT INTO user_attributes (user_id, name, value, value_fold, source, updated_at)
		SELECT attr_user, name, value, value_fold, :attrsource, :now FROM cells WHERE this_part
		` + attrConflictSQL + `
		RETURNING user_id
	)
	SELECT count(DISTINCT user_id) FROM attributed` + counted
}

// earlierRowsSQL adds, for the looked-up rows, the CTEs reached (every
// value that names a user this part's cells go to) and earlier (the
// directory's rows with such a value, matched again: few, since the
// looked-up rows are the directory's misses).
func earlierRowsSQL(p part) string {
	if p != lookedUpRows {
		return ""
	}
	return `, reached AS (
		SELECT v.kind, v.norm FROM users u
		CROSS JOIN LATERAL (VALUES ('email', u.email), ('email', u.upn), ('aad', u.aad_object_id), ('numeric', u.external_id)) AS v (kind, norm)
		WHERE u.id IN (SELECT attr_user FROM decided) AND v.norm <> ''
	), earlier AS MATERIALIZED (` + attrRowsFor(knownRowsOfReached) + `
	)`
}

// earlierCellsSQL adds to the looked-up rows' cells those of the
// directory's rows that reached the same users, so the last row of the
// file wins; ApplyKnown wrote those already (this_part false).
func earlierCellsSQL(p part) string {
	if p != lookedUpRows {
		return ""
	}
	return `
			UNION ALL
			SELECT e.attr_user, e.row_no, c.key, NULL, NULL, false
			FROM earlier e CROSS JOIN LATERAL json_each(CAST(e.attributes AS json)) c
			WHERE e.attr_user IN (SELECT attr_user FROM decided)`
}

// countedBeforeSQL leaves out of a part's count the users ApplyKnown's
// cells counted: those among rel's attr_user whose attributes it changed,
// stamped with the time its cells were written (import_attribute_writes).
// rel is earlier for the looked-up rows, or decided for all the rows of an
// import whose directory's part wrote its cells but failed to add its
// members (see writeCellsApart). The statement sees the attributes as they
// were before it wrote any.
func countedBeforeSQL(rel string) string {
	return `
	WHERE user_id NOT IN (
		SELECT e.attr_user FROM ` + rel + ` e JOIN user_attributes ua ON ua.user_id = e.attr_user
		WHERE ua.source = :attrsource AND ua.updated_at = (
			SELECT applied_at FROM import_attribute_writes WHERE import_id = :imp AND part = '` + knownRows.String() + `'))`
}

// pgApplyRows runs pgApplySQL on the rows of part p. When the import
// has attribute cells, they are written meanwhile on a second connection
// (see writeCellsApart): the members' statement and the cells' each keep
// one core busy, where in one statement they took the time of both
// (docs/decisions.md, "Import attributes on a second connection"). The
// members' transaction commits only after the cells' did.
func pgApplyRows(ctx context.Context, db *DB, tx *sqlx.Tx, imp *segmentbot.Import, now time.Time, p part) ([]outcomeCount, error) {
	var cells bool
	if err := tx.GetContext(ctx, &cells, tx.Rebind(`
		SELECT EXISTS (SELECT 1 FROM import_rows WHERE import_id = ? AND attributes IS NOT NULL)`), imp.ID); err != nil {
		return nil, fmt.Errorf("look for attribute cells: %w", err)
	}
	var written <-chan cellsWritten
	if cells {
		cellsCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		written = db.writeCellsApart(cellsCtx, imp, now, p)
		defer func() {
			if written != nil { // the members failed: stop the cells and wait for them
				cancel()
				<-written
			}
		}()
	}
	q, args := bindNamed(pgApplySQL(p), applyParams(imp, now))
	var counts []outcomeCount
	if err := tx.SelectContext(ctx, &counts, tx.Rebind(q), args...); err != nil {
		return nil, err
	}
	if written != nil {
		w := <-written
		written = nil
		if w.err != nil {
			return nil, w.err
		}
		counts = append(counts, outcomeCount{Outcome: outcomeAttributes, N: w.updated})
	}
	return counts, nil
}

// sqliteApplyRows does the same in a few statements (SQLite has no
// data-modifying CTEs), through a temporary table of the decided rows;
// its transactions are serialised, so the outcomes decided first are
// exactly what the INSERT then does.
func sqliteApplyRows(ctx context.Context, _ *DB, tx *sqlx.Tx, imp *segmentbot.Import, now time.Time, p part) ([]outcomeCount, error) {
	params := applyParams(imp, now)
	steps := []struct{ what, sql string }{
		{"clear decided rows", `DROP TABLE IF EXISTS temp.decided_rows`},
		{"decide outcomes", `
			CREATE TEMP TABLE decided_rows AS
			SELECT row_no, user_id, outcome, reason, detail, attr_user, attributes FROM (` + decideFor(p) + `) AS v`},
		{"add members", `
			INSERT INTO memberships (segment_id, user_id, source, joined_at)
			SELECT :seg, user_id, :source, :now FROM decided_rows WHERE outcome = 'added' ORDER BY user_id
			ON CONFLICT (segment_id, user_id) DO NOTHING`},
		{"log joins", `
			INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at, import_id)
			SELECT :seg, user_id, :join, :source, :actor, :now, :imp FROM decided_rows WHERE outcome = 'added' ORDER BY user_id`},
		{"write outcomes", `
			INSERT INTO import_results (import_id, row_no, user_id, outcome, reason, detail)
			SELECT :imp, row_no, user_id, outcome, reason, detail FROM decided_rows WHERE outcome <> 'added'`},
	}
	for _, st := range steps {
		q, args := bindNamed(st.sql, params)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return nil, fmt.Errorf("%s: %w", st.what, err)
		}
	}
	var counts []outcomeCount
	if err := tx.SelectContext(ctx, &counts, `
		SELECT outcome, reason, count(*) AS n FROM decided_rows GROUP BY outcome, reason`); err != nil {
		return nil, fmt.Errorf("count outcomes: %w", err)
	}
	updated, err := sqliteSaveCells(ctx, tx, params)
	if err != nil {
		return nil, err
	}
	counts = append(counts, outcomeCount{Outcome: outcomeAttributes, N: updated})
	if _, err := tx.ExecContext(ctx, `DROP TABLE temp.decided_rows`); err != nil {
		return nil, fmt.Errorf("drop decided rows: %w", err)
	}
	return counts, nil
}

// part is which rows of an import an apply decides (see ApplyKnown): all
// of them, those whose value has no live lookup (set aside or done),
// those whose value has one, or those of the directory's that name a
// user the looked-up rows reached (see earlierRowsSQL).
type part int

const (
	allRows part = iota
	knownRows
	lookedUpRows
	knownRowsOfReached
)

// String names the part in import_attribute_writes.
func (p part) String() string {
	switch p {
	case allRows:
		return "all"
	case knownRows:
		return "known"
	case lookedUpRows:
		return "looked_up"
	}
	return "known_of_reached"
}

// partMarker marks where decideSQL and attrRowsSQL read import_rows under
// an alias.
var partMarker = regexp.MustCompile(`/\*part:([a-z_]+)\*/`)

// decideFor is decideSQL on the rows of part p.
func decideFor(p part) string { return forPart(decideSQL, p) }

// attrRowsFor is attrRowsSQL on the rows of part p.
func attrRowsFor(p part) string { return forPart(attrRowsSQL, p) }

// forPart restricts statement q, decideSQL or attrRowsSQL, to the rows of
// part p.
func forPart(q string, p part) string {
	return partMarker.ReplaceAllStringFunc(q, func(m string) string {
		alias := partMarker.FindStringSubmatch(m)[1]
		lookedUp := fmt.Sprintf(`EXISTS (SELECT 1 FROM import_lookups pl
			WHERE pl.import_id = :imp AND pl.kind = %[1]s.kind AND pl.norm = %[1]s.norm)`, alias)
		switch p {
		case knownRows:
			return "AND NOT " + lookedUp
		case lookedUpRows:
			return "AND " + lookedUp
		case knownRowsOfReached:
			return "AND NOT " + lookedUp + fmt.Sprintf(` AND (%[1]s.kind, %[1]s.norm) IN (SELECT kind, norm FROM reached)`, alias)
		}
		return ""
	})
}

// applyParams are the named parameters of the apply statements.
func applyParams(imp *segmentbot.Import, now time.Time) map[string]any {
	return map[string]any{
		"imp": imp.ID, "seg": imp.SegmentID, "now": now, "actor": imp.UploadedBy,
		"source": cmp.Or(imp.Source, segmentbot.SourceImport), "join": segmentbot.ActionJoin,
		"attrsource": segmentbot.AttributeImport,
	}
}

// namedParam is a :name parameter of bindNamed. The statements cast with
// CAST(... AS ...), never with "::", which would look like a parameter.
var namedParam = regexp.MustCompile(`:([a-z]+)\b`)

// bindNamed turns the :name parameters of q into ? placeholders and
// returns the arguments in their order. It panics on a name params lacks:
// the statements are constants, so that is a programming error.
func bindNamed(q string, params map[string]any) (string, []any) {
	var args []any
	out := namedParam.ReplaceAllStringFunc(q, func(m string) string {
		v, ok := params[m[1:]]
		if !ok {
			panic("store: no value for parameter " + m)
		}
		args = append(args, v)
		return "?"
	})
	return out, args
}
