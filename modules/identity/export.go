package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/srgplatform/srg/app/db"
)

// PersonChange is a person as the warehouse export reads it.
type PersonChange struct {
	ID          int64
	Email       string
	AccountID   *int64
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	CreatedAt   time.Time
	ChangedAt   time.Time
}

// AccountChange is an account as the warehouse export reads it.
type AccountChange struct {
	ID        int64
	Domain    string
	Name      string
	CreatedAt time.Time
	ChangedAt time.Time
}

// ChangedPeople returns up to limit of a tenant's people changed after (afterAt,
// afterID) and at or before until, in (changed_at, id) order.
func (s *Service) ChangedPeople(ctx context.Context, tenantID int64, afterAt time.Time, afterID int64, until time.Time, limit int) ([]PersonChange, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var out []PersonChange
	err := s.db.WithContext(ctx).Raw(`SELECT id, email, account_id, first_seen_at, last_seen_at, created_at, changed_at FROM people
		WHERE tenant_id = ? AND (changed_at, id) > (?, ?) AND changed_at <= ? ORDER BY changed_at, id LIMIT ?`,
		tenantID, afterAt, afterID, until, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("identity: changed people: %w", err)
	}
	return out, nil
}

// ChangedAccounts is ChangedPeople for accounts.
func (s *Service) ChangedAccounts(ctx context.Context, tenantID int64, afterAt time.Time, afterID int64, until time.Time, limit int) ([]AccountChange, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var out []AccountChange
	err := s.db.WithContext(ctx).Raw(`SELECT id, domain, name, created_at, changed_at FROM accounts
		WHERE tenant_id = ? AND (changed_at, id) > (?, ?) AND changed_at <= ? ORDER BY changed_at, id LIMIT ?`,
		tenantID, afterAt, afterID, until, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("identity: changed accounts: %w", err)
	}
	return out, nil
}
