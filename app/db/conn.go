package db

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// AppRole is the role every pooled connection switches to after connecting. Migrations
// create it without login, superuser or BYPASSRLS rights and grant it the data rights on
// SRG's tables, so the application is never the owner of what it reads: row-level
// security applies to it even when the configured user owns the schema.
const AppRole = "srg_app"

// scopedConnector opens pgx connections that run as AppRole and carry the scope of the
// context of each statement and transaction (see scope.go).
type scopedConnector struct {
	inner driver.Connector
}

func newScopedConnector(cfg *pgx.ConnConfig) driver.Connector {
	return scopedConnector{inner: stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "SET ROLE "+AppRole); err != nil {
			return fmt.Errorf("switch to role %s (apply the migrations first: srg migrate up): %w", AppRole, err)
		}
		return nil
	}))}
}

func (c scopedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &scopedConn{Conn: conn.(*stdlib.Conn)}, nil
}

func (c scopedConnector) Driver() driver.Driver { return c.inner.Driver() }

// scopedConn is a pgx connection that, before each statement run outside a transaction
// and before each transaction, sets the session's srg.tenant_id and srg.scope to the
// context's scope. It remembers what it last set, so a run of statements for one tenant
// pays for the setting once.
type scopedConn struct {
	*stdlib.Conn
	set   Scope
	known bool
}

func (c *scopedConn) apply(ctx context.Context) error {
	if c.Conn.Conn().PgConn().TxStatus() != 'I' {
		return nil // inside a transaction, whose scope was set when it began
	}
	want := ScopeOf(ctx)
	if c.known && c.set == want {
		return nil
	}
	c.known = false
	tenant, scope := want.settings()
	if _, err := c.Conn.Conn().Exec(ctx, `SELECT set_config('srg.tenant_id', $1, false), set_config('srg.scope', $2, false)`, tenant, scope); err != nil {
		return fmt.Errorf("db: set tenant scope: %w", err)
	}
	c.set, c.known = want, true
	return nil
}

func (c *scopedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.apply(ctx); err != nil {
		return nil, err
	}
	return c.Conn.ExecContext(ctx, query, args)
}

func (c *scopedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.apply(ctx); err != nil {
		return nil, err
	}
	return c.Conn.QueryContext(ctx, query, args)
}

func (c *scopedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.apply(ctx); err != nil {
		return nil, err
	}
	return c.Conn.BeginTx(ctx, opts)
}

func (c *scopedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *scopedConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *scopedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return scopedStmt{Stmt: st.(*stdlib.Stmt), conn: c}, nil
}

// scopedStmt is a prepared statement whose executions set the scope of their context.
type scopedStmt struct {
	*stdlib.Stmt
	conn *scopedConn
}

func (s scopedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.conn.apply(ctx); err != nil {
		return nil, err
	}
	return s.Stmt.ExecContext(ctx, args)
}

func (s scopedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.conn.apply(ctx); err != nil {
		return nil, err
	}
	return s.Stmt.QueryContext(ctx, args)
}

func (s scopedStmt) Exec(args []driver.Value) (driver.Result, error) {
	return nil, fmt.Errorf("db: prepared statements need a context")
}

func (s scopedStmt) Query(args []driver.Value) (driver.Rows, error) {
	return nil, fmt.Errorf("db: prepared statements need a context")
}
