package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// releasedSchema is the newest migration of the last release that landed:
// a database it made must take every later migration. A new migration
// numbered below it would be refused by goose as out of order.
const releasedSchema = 48

// released are the SQL migrations of the last release, by dialect (00046
// is a Go migration).
var released = map[string][]int64{
	"postgres": {1, 2, 3, 4, 5, 10, 18, 30, 31, 32, 45, 47, 48},
	"sqlite":   {1, 3, 4, 5, 10, 18, 30, 31, 32, 45, 47, 48},
}

func TestNewMigrationsComeAfterTheLastRelease(t *testing.T) {
	for dialect, want := range released {
		got, err := store.MigrationVersions(dialect)
		if err != nil {
			t.Fatal(err)
		}
		old := slices.DeleteFunc(slices.Clone(got), func(v int64) bool { return v > releasedSchema })
		if !slices.Equal(old, want) {
			t.Errorf("%s migrations up to %d are %v, the last release had %v: a database it made refuses a new migration numbered below its newest", dialect, releasedSchema, old, want)
		}
	}
}

func TestADatabaseOfTheLastReleaseMigratesToThisOne(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, dialect)
			old, err := store.OpenAt(ctx, dsn, releasedSchema)
			if err != nil {
				t.Fatalf("schema of the last release: %v", err)
			}
			old.Close()
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatalf("upgrade from version %d: %v", releasedSchema, err)
			}
			db.Close()
		})
	}
}
