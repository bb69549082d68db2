package store_test

import (
	"context"
	"testing"

	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// releasedSchema is the newest migration of the last release that landed:
// a database it made must take every later migration. A new migration
// numbered below it would be refused by goose as out of order.
const releasedSchema = 48

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
