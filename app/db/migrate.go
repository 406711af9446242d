package db

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/srgplatform/srg/app/config"
)

// Migrator applies the numbered SQL migrations. A Postgres session lock makes concurrent
// migrations from several srg instances safe.
type Migrator struct {
	p     *goose.Provider
	owner *sql.DB
}

// MigrationStatus is the state of one migration.
type MigrationStatus struct {
	Version int64
	Name    string
	Applied bool
	At      string
}

// NewMigrator prepares migrations from fsys against cfg's database, on a connection of
// its own as the configured user (the owner of the schema; see OpenOwner). Close
// releases it.
func NewMigrator(ctx context.Context, cfg config.Database, fsys fs.FS) (*Migrator, error) {
	owner, err := OpenOwner(ctx, cfg)
	if err != nil {
		return nil, err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		owner.Close()
		return nil, fmt.Errorf("db: migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, owner, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		owner.Close()
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	return &Migrator{p: p, owner: owner}, nil
}

// Close releases the migrator's connection.
func (m *Migrator) Close() error { return m.owner.Close() }

// Up applies every pending migration and returns how many it applied.
func (m *Migrator) Up(ctx context.Context) (int, error) {
	res, err := m.p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("db: migrate up: %w", err)
	}
	return len(res), nil
}

// Down rolls back the newest applied migration; with all it rolls back every one.
func (m *Migrator) Down(ctx context.Context, all bool) (int, error) {
	if all {
		res, err := m.p.DownTo(ctx, 0)
		if err != nil {
			return len(res), fmt.Errorf("db: migrate down: %w", err)
		}
		return len(res), nil
	}
	if _, err := m.p.Down(ctx); err != nil {
		return 0, fmt.Errorf("db: migrate down: %w", err)
	}
	return 1, nil
}

// Status lists every known migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]MigrationStatus, error) {
	st, err := m.p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		ms := MigrationStatus{Version: s.Source.Version, Name: s.Source.Path, Applied: s.State == goose.StateApplied}
		if ms.Applied {
			ms.At = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		out = append(out, ms)
	}
	return out, nil
}

// Pending reports whether migrations remain to be applied.
func (m *Migrator) Pending(ctx context.Context) (bool, error) {
	pending, err := m.p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("db: migration status: %w", err)
	}
	return pending, nil
}
