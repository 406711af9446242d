// Package db opens SRG's Postgres connection pool (gorm over pgx) and applies the
// embedded migrations.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/srgplatform/srg/app/config"
)

// Open connects to Postgres with the pool settings of cfg, as AppRole and under the
// tenant scope of each query's context (scope.go), and checks the connection. The
// migrations must have been applied: they create AppRole.
func Open(ctx context.Context, cfg config.Database, log *slog.Logger) (*gorm.DB, error) {
	pgcfg, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("db: database.url: %w", err)
	}
	pool := sql.OpenDB(newScopedConnector(pgcfg))
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: pool}), &gorm.Config{
		Logger:                 logger.NewSlogLogger(log, logger.Config{SlowThreshold: time.Second, IgnoreRecordNotFoundError: true, LogLevel: logger.Warn}),
		SkipDefaultTransaction: true,
		TranslateError:         true,
		DisableAutomaticPing:   true,
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: open: %w", err)
	}
	sqlDB := pool
	sqlDB.SetMaxOpenConns(cfg.MaxOpenConns)
	sqlDB.SetMaxIdleConns(cfg.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	sqlDB.SetConnMaxIdleTime(cfg.ConnMaxIdleTime)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	if err := checkAppRole(pingCtx, sqlDB); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return gdb, nil
}

// checkAppRole refuses a pool whose sessions would bypass row-level security.
func checkAppRole(ctx context.Context, pool *sql.DB) error {
	var user string
	var bypass bool
	err := pool.QueryRowContext(ctx, `SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&user, &bypass)
	if err != nil {
		return fmt.Errorf("db: check role: %w", err)
	}
	if user != AppRole || bypass {
		return fmt.Errorf("db: sessions run as %q, which bypasses row-level security; they must run as %s without BYPASSRLS", user, AppRole)
	}
	return nil
}

// OpenOwner connects as the configured user itself, without switching to AppRole: the
// connection migrations run on. It is not for serving data.
func OpenOwner(ctx context.Context, cfg config.Database) (*sql.DB, error) {
	pgcfg, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("db: database.url: %w", err)
	}
	owner := stdlib.OpenDB(*pgcfg)
	owner.SetMaxOpenConns(2)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := owner.PingContext(pingCtx); err != nil {
		owner.Close()
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	return owner, nil
}

// SQL returns the database/sql pool under gdb.
func SQL(gdb *gorm.DB) *sql.DB {
	sqlDB, err := gdb.DB()
	if err != nil {
		// gorm only fails here when its ConnPool is not a *sql.DB, which Open never makes.
		panic(fmt.Sprintf("db: gorm pool is not database/sql: %v", err))
	}
	return sqlDB
}
