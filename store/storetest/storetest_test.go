package storetest_test

import (
	"context"
	"testing"

	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestEachGivesAMigratedDatabasePerDialect(t *testing.T) {
	seen := map[string]bool{}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if err := db.Ping(context.Background()); err != nil {
			t.Fatalf("ping: %v", err)
		}
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("migrating twice must be a no-op: %v", err)
		}
		seen[db.Dialect()] = true
	})
	for _, d := range storetest.Dialects(t) {
		if !seen[d] {
			t.Errorf("dialect %s did not run", d)
		}
	}
}

func TestOpenFileUsesAFileDatabase(t *testing.T) {
	db := storetest.OpenFile(t)
	if db.Dialect() != "sqlite" {
		t.Fatalf("dialect = %q, want sqlite", db.Dialect())
	}
}
