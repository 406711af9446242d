// Package reports answers the portal's questions: pipeline, revenue and conversions
// credited to channels and campaigns by each attribution model (aggregations over a
// tenant's credits index), spend and return per campaign, the journey of a person,
// account or opportunity, and the raw touchpoints. Queries are data: Elasticsearch
// request bodies built here, SQL in queries/*.sql.
package reports

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/errs"
)

// Index kinds, as app/search names them.
const (
	touchpointsIndex = "touchpoints"
	creditsIndex     = "credits"
)

// Credit kinds of the credits index.
const (
	KindLead     = "lead"
	KindPipeline = "pipeline"
	KindRevenue  = "revenue"
	KindLost     = "lost"
)

// Search runs Elasticsearch requests on a tenant's indices; app/search implements it.
type Search interface {
	// Query runs one search and returns the response body, nil for a missing index.
	Query(ctx context.Context, tenant, kind string, body any) (json.RawMessage, error)
	// Each pages through a sorted search and calls fn with each hit's source.
	Each(ctx context.Context, tenant, kind string, body map[string]any, fn func(source json.RawMessage) error) error
}

// CampaignMatcher ties tracked campaigns (utm_campaign with utm_source) to the ad
// and CRM campaigns they belong to; the sync module implements it.
type CampaignMatcher interface {
	MatchCampaigns(ctx context.Context, tenantID int64, touches []CampaignKey) (map[CampaignKey]CampaignRef, error)
}

// CampaignKey is a campaign as touchpoints name it.
type CampaignKey struct {
	Campaign string
	Source   string
}

// CampaignRef is an ad or CRM campaign.
type CampaignRef struct {
	Platform string
	ID       string
	Name     string
}

//go:embed queries/*.sql
var queries embed.FS

func query(name string) string {
	b, err := queries.ReadFile("queries/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("reports: missing query %s", name))
	}
	return string(b)
}

// Service runs the reports.
type Service struct {
	db      *gorm.DB
	es      Search
	matcher CampaignMatcher
	// campaignPageSize and campaignRowLimit set the campaigns report's paging and
	// the rows it lists (0: the defaults).
	campaignPageSize, campaignRowLimit int
}

// New builds the service.
func New(db *gorm.DB, es Search, matcher CampaignMatcher) *Service {
	return &Service{db: db, es: es, matcher: matcher}
}

// Range is a span of whole days [From, To), in UTC.
type Range struct {
	From, To time.Time
}

// Days is the number of days in the range.
func (r Range) Days() int { return int(r.To.Sub(r.From).Hours() / 24) }

// esRange is the range as an Elasticsearch range clause on field.
func (r Range) esRange(field string) map[string]any {
	return map[string]any{"range": map[string]any{field: map[string]any{
		"gte": r.From.UTC().Format(time.RFC3339), "lt": r.To.UTC().Format(time.RFC3339)}}}
}

// ParseRange reads a date range given as two days (YYYY-MM-DD, "to" inclusive), as
// the portal's filters send it; empty values default to the last 90 days to today.
func ParseRange(from, to string, now time.Time) (Range, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	r := Range{From: today.AddDate(0, 0, -89), To: today.AddDate(0, 0, 1)}
	if from != "" {
		t, err := time.Parse(time.DateOnly, from)
		if err != nil {
			return Range{}, errs.Invalid("from", "the start date %q is not a date like 2024-01-31", from)
		}
		r.From = t
	}
	if to != "" {
		t, err := time.Parse(time.DateOnly, to)
		if err != nil {
			return Range{}, errs.Invalid("to", "the end date %q is not a date like 2024-01-31", to)
		}
		r.To = t.AddDate(0, 0, 1)
	}
	if !r.From.Before(r.To) {
		return Range{}, errs.Invalid("from", "the start date must not be after the end date")
	}
	if r.To.Sub(r.From) > 3*366*24*time.Hour {
		return Range{}, errs.Invalid("from", "a report covers at most three years")
	}
	return r, nil
}

// Models is what a tenant can report on: every model the platform knows, those
// its settings compute, and the default.
type Models struct {
	All     []string
	On      []string
	Default string
}

// Has reports whether the tenant's settings compute the model.
func (m Models) Has(name string) bool {
	for _, n := range m.On {
		if n == name {
			return true
		}
	}
	return false
}

// Pick returns the model asked for (the default when empty); a model the platform
// does not know, or that the tenant does not compute, is invalid input.
func (m Models) Pick(name string) (string, error) {
	if name == "" {
		return m.Default, nil
	}
	if !m.Has(name) {
		for _, n := range m.All {
			if n == name {
				return "", errs.Invalid("model", "the model %q is not computed for this workspace; turn it on in the attribution settings", name)
			}
		}
		return "", errs.Invalid("model", "unknown attribution model %q", name)
	}
	return name, nil
}
