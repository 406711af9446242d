package attribution

import (
	"context"
	"fmt"
	"time"

	"github.com/srgplatform/srg/app/db"
)

// CreditChange names an opportunity whose credits were (re)written or removed.
type CreditChange struct {
	OpportunityID string
	ChangedAt     time.Time
}

// ChangedCredits returns up to limit of a tenant's opportunities whose credits
// changed after (afterAt, afterID) and at or before until, in (changed_at,
// opportunity_id) order. An opportunity's state is saved after its credits are
// written and stale ones deleted, so its credits are complete by then.
func (s *Service) ChangedCredits(ctx context.Context, tenantID int64, afterAt time.Time, afterID string, until time.Time, limit int) ([]CreditChange, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var out []CreditChange
	err := s.db.WithContext(ctx).Raw(`SELECT opportunity_id, changed_at FROM attribution_state
		WHERE tenant_id = ? AND (changed_at, opportunity_id) > (?, ?) AND changed_at <= ?
		ORDER BY changed_at, opportunity_id LIMIT ?`, tenantID, afterAt, afterID, until, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("attribution: changed credits: %w", err)
	}
	return out, nil
}
