package syncer

import (
	"context"
	"fmt"
	"time"

	"github.com/srgplatform/srg/app/db"
)

// OpportunityChange is a mirrored opportunity as the warehouse export reads it.
type OpportunityChange struct {
	Source             string
	ExternalID         string
	Name               string
	AccountExternalID  string
	Amount             *float64
	Currency           string
	Pipeline           string
	Stage              string
	IsWon              bool
	IsClosed           bool
	CreatedDate        *time.Time
	CloseDate          *time.Time
	CampaignExternalID string
	ModifiedAt         *time.Time
	Deleted            bool
	ChangedAt          time.Time
}

// SpendChange is one campaign's ad spend of a day as the warehouse export reads it.
type SpendChange struct {
	Platform     string
	AccountID    string
	CampaignID   string
	Day          time.Time
	CampaignName string
	Spend        float64
	Currency     string
	Clicks       int64
	Impressions  int64
	ChangedAt    time.Time
}

// ChangedOpportunities returns up to limit of a tenant's opportunities changed
// after (afterAt, afterKey) and at or before until, in (changed_at, source,
// external_id) order; afterKey is the source and external id of the last one read.
// Deleted ones are included, marked.
func (s *Service) ChangedOpportunities(ctx context.Context, tenantID int64, afterAt time.Time, afterKey [2]string, until time.Time, limit int) ([]OpportunityChange, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var out []OpportunityChange
	err := s.db.WithContext(ctx).Raw(`SELECT source, external_id, name, account_external_id, amount::float8 AS amount, currency,
			pipeline, stage, is_won, is_closed, created_date, close_date::timestamp AT TIME ZONE 'UTC' AS close_date, campaign_external_id,
			modified_at, deleted OR merged_into <> '' AS deleted, changed_at
		FROM crm_opportunities
		WHERE tenant_id = ? AND (changed_at, source, external_id) > (?, ?, ?) AND changed_at <= ?
		ORDER BY changed_at, source, external_id LIMIT ?`, tenantID, afterAt, afterKey[0], afterKey[1], until, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("sync: changed opportunities: %w", err)
	}
	return out, nil
}

// ChangedSpend is ChangedOpportunities for daily ad spend; afterKey is the
// platform, account id, campaign id and day (YYYY-MM-DD) of the last row read.
func (s *Service) ChangedSpend(ctx context.Context, tenantID int64, afterAt time.Time, afterKey [4]string, until time.Time, limit int) ([]SpendChange, error) {
	ctx = db.WithTenant(ctx, tenantID)
	var out []SpendChange
	err := s.db.WithContext(ctx).Raw(`SELECT platform, account_id, campaign_id, day::timestamp AT TIME ZONE 'UTC' AS day, campaign_name,
			spend::float8 AS spend, currency, clicks, impressions, changed_at
		FROM ad_spend_daily
		WHERE tenant_id = ? AND (changed_at, platform, account_id, campaign_id, to_char(day, 'YYYY-MM-DD')) > (?, ?, ?, ?, ?)
			AND changed_at <= ?
		ORDER BY changed_at, platform, account_id, campaign_id, day LIMIT ?`,
		tenantID, afterAt, afterKey[0], afterKey[1], afterKey[2], afterKey[3], until, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("sync: changed spend: %w", err)
	}
	return out, nil
}
