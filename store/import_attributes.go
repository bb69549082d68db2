package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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
// attributes an apply changed (see pgApplySQL).
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

// rowAttributes is the attribute cells of one applied row, as staged,
// and the user its value reached.
type rowAttributes struct {
	Row   int64  `db:"row_no"`
	User  int64  `db:"attr_user"`
	Cells string `db:"attributes"`
}

// attributeBatch is about how many attributes go to upsertAttributes at
// a time; a user's attributes are never split between two calls, so the
// users each call counts are distinct.
const attributeBatch = 5000

// saveRowAttributes stores the cells of rows on their users, with source
// import, and returns how many users had an attribute added or changed.
// A user several rows reached (duplicates) gets each name's value from
// the last of them that has one, as if the rows were applied one after
// another. Users go in id order and names in order, so two imports
// writing the same users lock them in the same order.
func (db *DB) saveRowAttributes(ctx context.Context, tx *sqlx.Tx, rows []rowAttributes) (int64, error) {
	slices.SortFunc(rows, func(a, b rowAttributes) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Row, b.Row))
	})
	var updated int64
	batch := make([]segmentbot.Attribute, 0, attributeBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := db.upsertAttributes(ctx, tx, batch)
		if err != nil {
			return fmt.Errorf("save attributes: %w", err)
		}
		updated += n
		batch = batch[:0]
		return nil
	}
	cells := map[string][2]string{}
	for i := 0; i < len(rows); {
		user := rows[i].User
		clear(cells)
		for ; i < len(rows) && rows[i].User == user; i++ {
			if err := json.Unmarshal([]byte(rows[i].Cells), &cells); err != nil {
				return 0, fmt.Errorf("attribute cells of row %d: %w", rows[i].Row, err)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(cells)) {
			batch = append(batch, segmentbot.Attribute{UserID: user, Name: name, Value: cells[name][0], Source: segmentbot.AttributeImport})
		}
		if len(batch) >= attributeBatch {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	if err := flush(); err != nil {
		return 0, err
	}
	return updated, nil
}
