package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// A staged row keeps the cells of the file's other columns (DESIGN §8) in
// import_rows.attributes as a JSON object of name -> [value, folded
// value], NULL when it has none: the rows are staged once with COPY, and
// the apply writes the cells of the rows that matched a user. The value
// is folded here, in Go, as upsertAttributes folds it (SQLite's lower()
// folds ASCII only, and PostgreSQL's depends on the database's locale).

// outcomeAttributes is the pseudo-outcome whose count is the users whose
// attributes an apply changed (see pgCellsSQL and sqliteCellsSQL).
const outcomeAttributes = "attributes_updated"

// stagedAttributes is the attributes column of a staged row: nil (NULL)
// without attributes, else their JSON object.
func stagedAttributes(attrs []segmentbot.Attribute) any {
	if len(attrs) == 0 {
		return nil
	}
	b := make([]byte, 0, 32*len(attrs)+2)
	b = append(b, '{')
	for i, a := range attrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, a.Name)
		b = append(b, ':', '[')
		b = appendJSONString(b, a.Value)
		b = append(b, ',')
		b = appendJSONString(b, segmentbot.FoldValue(a.Value))
		b = append(b, ']')
	}
	return string(append(b, '}'))
}

// appendJSONString appends s as a JSON string. It is the hot path of
// staging a file with attribute columns, where encoding/json's reflection
// cost more than the COPY itself; invalid UTF-8 becomes U+FFFD, as
// encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// cellsWritten is what writeCellsApart reports: the users whose
// attributes it changed, or why it could not write them.
type cellsWritten struct {
	updated int64
	err     error
}

// writeCellsApart writes the attribute cells of part p of imp (pgCellsSQL)
// in a transaction of its own, on a connection of db.side (never one of
// the pool the members' transaction holds one of), and records the
// part and its count in import_attribute_writes. When the members'
// transaction fails after the cells committed, its retry gets the count
// of the first write instead of writing again (which would change nothing
// and count no one). It takes no lock the members' transaction holds (it
// only reads the import's row, and the record has no foreign key), so
// the members' wait for it cannot deadlock.
func (db *DB) writeCellsApart(ctx context.Context, imp *segmentbot.Import, now time.Time, p part) <-chan cellsWritten {
	done := make(chan cellsWritten, 1)
	go func() {
		var updated int64
		err := db.bulkTxOn(ctx, db.side, func(tx *sqlx.Tx) (err error) {
			var recorded bool
			if updated, recorded, err = cellsRecorded(ctx, tx, imp.ID, p); err != nil || recorded {
				return err // written already, or failed
			}
			// The directory's part may have written its cells, and then
			// failed to add its members: the import is applied whole now,
			// and the users those cells changed count too, once.
			var before int64
			afterKnown := false
			if p == allRows {
				if before, afterKnown, err = cellsRecorded(ctx, tx, imp.ID, knownRows); err != nil {
					return err
				}
			}
			q, args := bindNamed(pgCellsSQL(p, afterKnown), applyParams(imp, now))
			if err = tx.GetContext(ctx, &updated, tx.Rebind(q), args...); err != nil {
				return err
			}
			updated += before
			_, err = tx.ExecContext(ctx, tx.Rebind(`
				INSERT INTO import_attribute_writes (import_id, part, users_updated, applied_at) VALUES (?, ?, ?, ?)`),
				imp.ID, p.String(), updated, now)
			return err
		})
		if err != nil {
			err = fmt.Errorf("write the attribute cells of import %d: %w", imp.ID, err)
		}
		done <- cellsWritten{updated, err}
	}()
	return done
}

// cellsRecorded returns the count import_attribute_writes holds for part p
// of import id, and whether it holds one.
func cellsRecorded(ctx context.Context, tx *sqlx.Tx, id int64, p part) (int64, bool, error) {
	var n int64
	err := tx.GetContext(ctx, &n, tx.Rebind(`
		SELECT users_updated FROM import_attribute_writes WHERE import_id = ? AND part = ?`), id, p.String())
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("record of the cells of import %d: %w", id, err)
	}
	return n, true, nil
}

// sqliteCellsSQL writes the attribute cells of the decided rows
// (temp.decided_rows, see sqliteApplyRows) as pgCellsSQL does, in one
// statement, and returns the user of each attribute added or changed. Of
// the rows that reached a user, each (user, name) takes the value of the
// last row that has one: max(row_no) is the query's only aggregate, so
// its bare columns come from the row with the maximum (it sits in HAVING
// because the INSERT takes no extra column; there the ORDER BY is the
// GROUP BY's own order, not a second sort of every cell). Users then
// names in order, so two imports writing the same users lock them in the
// same order. SQLite applies all of an import's rows at once (see
// ApplyKnown): there is no earlier part to reconcile.
const sqliteCellsSQL = `
	INSERT INTO user_attributes (user_id, name, value, value_fold, source, updated_at)
	SELECT d.attr_user, c.key, c.value ->> 0, c.value ->> 1, :attrsource, :now
	FROM decided_rows d, json_each(d.attributes) AS c
	WHERE d.attr_user IS NOT NULL
	GROUP BY d.attr_user, c.key
	HAVING max(d.row_no) IS NOT NULL
	ORDER BY d.attr_user, c.key
	` + attrConflictSQL + `
	RETURNING user_id`

// sqliteSaveCells runs sqliteCellsSQL and returns how many distinct users
// had an attribute added or changed. SQLite does not promise the order
// of RETURNING, so the users are told apart by a set of bits by id rather
// than by their order: an eighth of a byte per user id, not the ids.
func sqliteSaveCells(ctx context.Context, tx *sqlx.Tx, params map[string]any) (int64, error) {
	q, args := bindNamed(sqliteCellsSQL, params)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("save attribute cells: %w", err)
	}
	defer rows.Close()
	var seen userSet
	var updated int64
	for rows.Next() {
		var user int64
		if err := rows.Scan(&user); err != nil {
			return 0, fmt.Errorf("save attribute cells: %w", err)
		}
		if seen.add(user) {
			updated++
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("save attribute cells: %w", err)
	}
	return updated, nil
}

// userSet is a set of user ids: one bit each for the ids SQLite gives
// out (1, 2, 3, ...), up to maxDenseUser (32 MB of bits); any other id
// goes in a map, so a stray id never makes the bits huge.
type userSet struct {
	bits  []uint64
	other map[int64]struct{}
}

const maxDenseUser = 1 << 28

// add puts id in the set and reports whether it was not there yet.
func (s *userSet) add(id int64) bool {
	if id < 0 || id >= maxDenseUser {
		if _, ok := s.other[id]; ok {
			return false
		}
		if s.other == nil {
			s.other = map[int64]struct{}{}
		}
		s.other[id] = struct{}{}
		return true
	}
	i, bit := int(id/64), uint64(1)<<(id%64)
	if i >= len(s.bits) {
		s.bits = append(s.bits, make([]uint64, i+1-len(s.bits))...)
	}
	if s.bits[i]&bit != 0 {
		return false
	}
	s.bits[i] |= bit
	return true
}
