package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// Migrate brings the schema up to date. On PostgreSQL a session lock keeps
// replicas that start together from migrating at once.
func (db *DB) Migrate(ctx context.Context) error { return db.migrate(ctx, 0) }

// migrate applies the migrations up to version, or all of them for 0.
func (db *DB) migrate(ctx context.Context, version int64) error {
	files, err := fs.Sub(migrations, db.dialect.migrations)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithGoMigrations(skeletonMigration(db.db.Rebind))}
	if db.dialect == postgres {
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	provider, err := goose.NewProvider(db.dialect.goose, db.db.DB, files, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if version > 0 {
		_, err = provider.UpTo(ctx, version)
	} else {
		_, err = provider.Up(ctx)
	}
	if err != nil {
		return fmt.Errorf("migrate %s: %w", db.dialect.name, err)
	}
	return nil
}
