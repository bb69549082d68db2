package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/mtibben/confusables"
	"github.com/pressly/goose/v3"
	"golang.org/x/text/unicode/norm"

	"github.com/segmentbot/segmentbot"
)

// nameSkeleton is the UTS #39 skeleton of a segment name: names that
// look alike share it (Cyrillic "Ѕales" and "Sales", "Sa1es", "rn" for
// "m"). It is case-sensitive, as UTS #39 defines it ("Open I" and "Open L"
// differ); names that differ only in case meet through name_key instead.
func nameSkeleton(name string) string {
	return confusables.Skeleton(norm.NFKC.String(strings.TrimSpace(name)))
}

// nameTaken explains a unique violation on a segment's name: the segment
// (other than exceptID) with the same name or a look-alike one. One
// indexed lookup; the unique indexes themselves make the check race-safe.
func (db *DB) nameTaken(ctx context.Context, name string, exceptID int64) error {
	var other string
	err := db.read.GetContext(ctx, &other, db.read.Rebind(`
		SELECT name FROM segments WHERE (name_key = ? OR name_skeleton = ?) AND id <> ? LIMIT 1`),
		nameKey(name), nameSkeleton(name), exceptID)
	switch {
	case err == sql.ErrNoRows:
		return segmentbot.Errorf(segmentbot.ECONFLICT, "A segment named %q was just created; try again.", name)
	case err != nil:
		return fmt.Errorf("find the segment named like %q: %w", name, err)
	case nameKey(other) == nameKey(name):
		return segmentbot.Errorf(segmentbot.ECONFLICT, "A segment named %q exists already.", other)
	}
	return segmentbot.Errorf(segmentbot.ECONFLICT, "The name %q looks too much like the existing segment %q; people could mistake one for the other. Choose a clearly different name.", name, other)
}

// skeletonMigration fills name_skeleton of the segments made before
// migration 00045. Of existing look-alike names, the oldest keeps its
// skeleton; the others stay empty (allowed, but new look-alikes of them are
// still refused through the oldest).
func skeletonMigration(bind func(string) string) *goose.Migration {
	return goose.NewGoMigration(46, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		return backfillSkeletons(ctx, tx, bind)
	}}, nil)
}

// backfillSkeletons is migration 00046.
func backfillSkeletons(ctx context.Context, tx *sql.Tx, bind func(string) string) error {
	type row struct {
		id   int64
		name string
	}
	var rows []row
	res, err := tx.QueryContext(ctx, `SELECT id, name FROM segments WHERE name_skeleton = '' ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read segment names: %w", err)
	}
	for res.Next() {
		var r row
		if err := res.Scan(&r.id, &r.name); err != nil {
			res.Close()
			return fmt.Errorf("read segment names: %w", err)
		}
		rows = append(rows, r)
	}
	if err := res.Close(); err != nil {
		return fmt.Errorf("read segment names: %w", err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		sk := nameSkeleton(r.name)
		if seen[sk] {
			continue
		}
		seen[sk] = true
		if _, err := tx.ExecContext(ctx, bind(`UPDATE segments SET name_skeleton = ? WHERE id = ?`), sk, r.id); err != nil {
			return fmt.Errorf("set the skeleton of segment %d: %w", r.id, err)
		}
	}
	return nil
}
