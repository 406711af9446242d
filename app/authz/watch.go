package authz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the Postgres notification channel on which migration 00006's triggers
// announce every committed change of casbin_rule or tenant_members.
const Channel = "srg_access"

const (
	// listenerName shows in pg_stat_activity as the listening connection's application.
	listenerName = "srg-authz-listener"
	// pingEvery is how long the listener waits for a notification before checking that
	// its connection still works, so a silently dead connection is replaced.
	pingEvery = 30 * time.Second
	// maxBackoff caps the wait between reconnection attempts.
	maxBackoff = 30 * time.Second
)

// watch listens for changes on a dedicated connection and reloads on each. After
// every (re)connection it reloads once, so changes made while it was disconnected are
// not missed. The first connection's outcome goes to ready.
func (e *Enforcer) watch(ctx context.Context, ready chan<- error) {
	backoff := time.Second
	first := true
	for ctx.Err() == nil {
		conn, err := e.listen(ctx)
		if first {
			ready <- err
			if err != nil {
				return
			}
			first = false
		}
		if err != nil {
			e.log.Warn("permission listener cannot connect; retrying", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff = time.Second
		err = e.follow(ctx, conn)
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = conn.Close(closeCtx)
		cancel()
		if ctx.Err() == nil {
			e.log.Warn("permission listener lost its connection; reconnecting", "err", err)
		}
	}
}

// listen opens the listening connection, then reloads.
func (e *Enforcer) listen(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(e.dsn)
	if err != nil {
		return nil, fmt.Errorf("authz: listener: %w", err)
	}
	cfg.RuntimeParams["application_name"] = listenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("authz: listener: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		_ = conn.Close(context.Background())
		return nil, fmt.Errorf("authz: listen: %w", err)
	}
	if err := e.Reload(); err != nil {
		_ = conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// follow reloads on every notification until the connection fails or ctx ends.
func (e *Enforcer) follow(ctx context.Context, conn *pgx.Conn) error {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, pingEvery)
		_, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			if err := conn.Ping(ctx); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		if err := e.Reload(); err != nil {
			return err
		}
	}
}
