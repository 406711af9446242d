package reports

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/srgplatform/srg/app/db"
)

// CampaignQuery asks for the campaigns report of a tenant over a range, by a model.
type CampaignQuery struct {
	Tenant   string
	TenantID int64
	Range    Range
	Model    string
	// Currency is the tenant's; spend in another currency gets no return figures.
	Currency string
}

// CampaignRow is one campaign: its spend on its ad platform and what the model
// credited to it. Platform is empty for a tracked campaign that matches no ad or
// CRM campaign (map it in the campaign mappings).
type CampaignRow struct {
	Platform   string
	CampaignID string
	Name       string
	// Sources are the utm_source values its touchpoints came with.
	Sources []string

	Spend         float64
	SpendCurrency string
	Clicks        int64
	Impressions   int64

	Pipeline, Revenue, Leads float64
	// Opportunities counts the opportunities the campaign got credit for.
	Opportunities int64
}

// ROAS is revenue per unit of spend; NaN without spend or when the spend is in
// another currency than the credits.
func (r CampaignRow) ROAS(currency string) float64 { return r.per(r.Revenue, currency) }

// ROI is (revenue - spend) / spend, NaN as for ROAS.
func (r CampaignRow) ROI(currency string) float64 {
	return r.per(r.Revenue-r.Spend, currency)
}

// CostPerLead is spend per credited lead; NaN without leads or spend.
func (r CampaignRow) CostPerLead() float64 { return costPer(r.Spend, r.Leads) }

// CostPerOpportunity is spend per credited opportunity; NaN without either.
func (r CampaignRow) CostPerOpportunity() float64 { return costPer(r.Spend, float64(r.Opportunities)) }

func (r CampaignRow) per(v float64, currency string) float64 {
	if r.Spend == 0 || r.SpendCurrency != currency {
		return math.NaN()
	}
	return v / r.Spend
}

func costPer(spend, n float64) float64 {
	if spend == 0 || n == 0 {
		return math.NaN()
	}
	return spend / n
}

// PlatformRow sums the campaigns of one platform.
type PlatformRow struct {
	Platform string
	CampaignRow
}

// Campaigns is the campaigns report.
type Campaigns struct {
	Rows      []CampaignRow
	Platforms []PlatformRow
	// ForeignSpend is set when some spend is in another currency than the tenant's.
	ForeignSpend bool
	// Truncated is set when more campaigns (or sources of one campaign) had credited
	// touches than the report sums: those with the fewest touches are left out.
	Truncated bool
	// CampaignLimit and SourceLimit are how many campaigns, and sources of each, the
	// report sums.
	CampaignLimit, SourceLimit int
}

// Default limits of the campaigns report: Elasticsearch's terms aggregation
// returns the buckets with the most documents, and every bucket costs memory on
// the cluster (search.max_buckets bounds them all).
const (
	defaultCampaignLimit = 2000
	defaultSourceLimit   = 50
)

// spendRow is a row of spend_by_campaign.sql.
type spendRow struct {
	Platform     string
	CampaignID   string
	CampaignName string
	Currency     string
	Spend        float64
	Clicks       int64
	Impressions  int64
}

// Campaigns joins each tracked campaign's credits to its ad campaign's spend.
func (s *Service) Campaigns(ctx context.Context, q CampaignQuery) (Campaigns, error) {
	ctx = db.WithTenant(ctx, q.TenantID)
	var spend []spendRow
	if err := s.db.WithContext(ctx).Raw(query("spend_by_campaign"),
		map[string]any{"tenant": q.TenantID, "from": q.Range.From, "to": q.Range.To}).Scan(&spend).Error; err != nil {
		return Campaigns{}, fmt.Errorf("reports: spend: %w", err)
	}
	credited, truncated, err := s.campaignCredits(ctx, q)
	if err != nil {
		return Campaigns{}, err
	}
	keys := make([]CampaignKey, 0, len(credited))
	for k := range credited {
		keys = append(keys, k)
	}
	matches := map[CampaignKey]CampaignRef{}
	if len(keys) > 0 && s.matcher != nil {
		if matches, err = s.matcher.MatchCampaigns(ctx, q.TenantID, keys); err != nil {
			return Campaigns{}, fmt.Errorf("reports: match campaigns: %w", err)
		}
	}

	rows := map[string]*CampaignRow{}
	var order []string
	row := func(key string, init CampaignRow) *CampaignRow {
		r, ok := rows[key]
		if !ok {
			r = &init
			rows[key] = r
			order = append(order, key)
		}
		return r
	}
	out := Campaigns{Truncated: truncated, CampaignLimit: s.campaignLimit(), SourceLimit: s.sourceLimit()}
	for _, sp := range spend {
		r := row(sp.Platform+"\x00"+sp.CampaignID, CampaignRow{Platform: sp.Platform, CampaignID: sp.CampaignID, Name: sp.CampaignName})
		r.Spend += sp.Spend
		r.SpendCurrency = sp.Currency
		r.Clicks += sp.Clicks
		r.Impressions += sp.Impressions
		if sp.Currency != q.Currency && sp.Spend != 0 {
			out.ForeignSpend = true
		}
	}
	for _, k := range keys {
		c := credited[k]
		var r *CampaignRow
		if ref, ok := matches[k]; ok {
			name := ref.Name
			if name == "" {
				name = k.Campaign
			}
			r = row(ref.Platform+"\x00"+ref.ID, CampaignRow{Platform: ref.Platform, CampaignID: ref.ID, Name: name})
		} else {
			r = row("\x00\x00"+k.Campaign, CampaignRow{Name: k.Campaign})
		}
		r.Pipeline += c.Pipeline
		r.Revenue += c.Revenue
		r.Leads += c.Leads
		r.Opportunities += c.Opportunities
		if k.Source != "" && !contains(r.Sources, k.Source) {
			r.Sources = append(r.Sources, k.Source)
		}
	}
	platforms := map[string]*PlatformRow{}
	for _, key := range order {
		r := rows[key]
		sort.Strings(r.Sources)
		out.Rows = append(out.Rows, *r)
		p, ok := platforms[r.Platform]
		if !ok {
			p = &PlatformRow{Platform: r.Platform, CampaignRow: CampaignRow{Platform: r.Platform, SpendCurrency: r.SpendCurrency}}
			platforms[r.Platform] = p
		}
		p.Spend += r.Spend
		p.Clicks += r.Clicks
		p.Impressions += r.Impressions
		p.Pipeline += r.Pipeline
		p.Revenue += r.Revenue
		p.Leads += r.Leads
		p.Opportunities += r.Opportunities
		if p.SpendCurrency == "" {
			p.SpendCurrency = r.SpendCurrency
		}
	}
	sort.SliceStable(out.Rows, func(i, j int) bool {
		a, b := out.Rows[i], out.Rows[j]
		if a.Revenue+a.Pipeline != b.Revenue+b.Pipeline {
			return a.Revenue+a.Pipeline > b.Revenue+b.Pipeline
		}
		if a.Leads != b.Leads {
			return a.Leads > b.Leads
		}
		if a.Spend != b.Spend {
			return a.Spend > b.Spend
		}
		return a.Name < b.Name
	})
	for _, p := range platforms {
		out.Platforms = append(out.Platforms, *p)
	}
	sort.Slice(out.Platforms, func(i, j int) bool {
		if (out.Platforms[i].Platform == "") != (out.Platforms[j].Platform == "") {
			return out.Platforms[j].Platform == ""
		}
		return out.Platforms[i].Platform < out.Platforms[j].Platform
	})
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// campaignCredit is what a model credited to one tracked campaign and source.
type campaignCredit struct {
	Pipeline, Revenue, Leads float64
	Opportunities            int64
}

func (s *Service) campaignLimit() int { return cmp.Or(s.campaigns, defaultCampaignLimit) }
func (s *Service) sourceLimit() int   { return cmp.Or(s.sources, defaultSourceLimit) }

// campaignCredits sums, per campaign and source of the touches, what the model
// credited to the touches of opportunities created and won in the range and of
// lead conversions, and counts the opportunities credited. truncated says some
// campaign or source was left out for the limits.
func (s *Service) campaignCredits(ctx context.Context, q CampaignQuery) (_ map[CampaignKey]campaignCredit, truncated bool, err error) {
	out, moreCampaigns, moreSources, err := s.creditsByCampaign(ctx, q, nil)
	if err != nil || !moreCampaigns {
		return out, moreSources, err
	}
	// Each kind has its own top campaigns, so a campaign could keep its revenue and
	// lose its pipeline: the campaigns with the most touches over all three kinds
	// are chosen first, and every kind is summed over those.
	top, err := s.topCampaigns(ctx, q)
	if err != nil {
		return nil, false, err
	}
	out, _, _, err = s.creditsByCampaign(ctx, q, top)
	return out, true, err
}

// campaignQuery matches the credit documents of the report: opportunities created
// or won in the range and lead conversions, with a touch of a tracked campaign.
func campaignQuery(q CampaignQuery) map[string]any {
	return map[string]any{"bool": map[string]any{
		"should": []any{pipelineFilter(q.Range), revenueFilter(q.Range), leadFilter(q.Range)}, "minimum_should_match": 1,
		"filter": []any{hasTouch(map[string]any{"exists": map[string]any{"field": touchField("campaign")}})},
	}}
}

// topCampaigns is the campaign limit's worth of campaigns with the most touches in
// the report's documents.
func (s *Service) topCampaigns(ctx context.Context, q CampaignQuery) ([]string, error) {
	body := map[string]any{
		"size": 0, "track_total_hits": false, "query": campaignQuery(q),
		"aggs": map[string]any{"touches": nestedTouches(map[string]any{
			"campaigns": map[string]any{"terms": s.campaignTerms(nil)},
		})},
	}
	raw, err := s.es.Query(ctx, q.Tenant, creditsIndex, body)
	if err != nil {
		return nil, fmt.Errorf("reports: top campaigns: %w", err)
	}
	if raw == nil {
		return nil, errors.New("reports: top campaigns: the credits index is gone")
	}
	var res struct {
		Aggregations struct {
			Touches struct {
				Campaigns termsAgg `json:"campaigns"`
			} `json:"touches"`
		} `json:"aggregations"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("reports: top campaigns answer: %w", err)
	}
	top := make([]string, 0, len(res.Aggregations.Touches.Campaigns.Buckets))
	for _, b := range res.Aggregations.Touches.Campaigns.Buckets {
		top = append(top, b.key())
	}
	return top, nil
}

// campaignTerms is the terms aggregation of the report's campaigns, only those in
// include when it is not nil.
func (s *Service) campaignTerms(include []string) map[string]any {
	t := map[string]any{"field": touchField("campaign"), "size": s.campaignLimit()}
	if include != nil {
		t["include"] = include
	}
	return t
}

// creditsByCampaign runs the report's query, over the campaigns in include when
// it is not nil. moreCampaigns says some kind had more campaigns than the limit,
// moreSources some campaign more sources.
func (s *Service) creditsByCampaign(ctx context.Context, q CampaignQuery, include []string) (_ map[CampaignKey]campaignCredit, moreCampaigns, moreSources bool, err error) {
	m := "m_" + q.Model
	sum := sums([]string{q.Model})
	bySource := func(aggs map[string]any) map[string]any {
		return nestedTouches(map[string]any{"campaigns": map[string]any{
			"terms": s.campaignTerms(include),
			"aggs": map[string]any{"sources": map[string]any{
				"terms": map[string]any{"field": touchField("source"), "size": s.sourceLimit(), "missing": ""},
				"aggs":  aggs,
			}},
		}})
	}
	// Back at the root, each document is one opportunity: those with a touch of the
	// bucket that the model credited.
	opportunities := map[string]any{
		"filter": map[string]any{"exists": map[string]any{"field": creditField(q.Model)}},
		"aggs":   map[string]any{"opportunities": map[string]any{"reverse_nested": map[string]any{}}},
	}
	body := map[string]any{
		"size":             0,
		"track_total_hits": false,
		"query":            campaignQuery(q),
		"aggs": map[string]any{
			"pipeline": map[string]any{"filter": pipelineFilter(q.Range), "aggs": map[string]any{"touches": bySource(map[string]any{m: sum[m], "opps": opportunities})}},
			"revenue":  map[string]any{"filter": revenueFilter(q.Range), "aggs": map[string]any{"touches": bySource(sum)}},
			"leads":    map[string]any{"filter": leadFilter(q.Range), "aggs": map[string]any{"touches": bySource(sum)}},
		},
	}
	raw, err := s.es.Query(ctx, q.Tenant, creditsIndex, body)
	if err != nil {
		return nil, false, false, fmt.Errorf("reports: campaign credits: %w", err)
	}
	out := map[CampaignKey]campaignCredit{}
	if raw == nil {
		return out, false, false, nil
	}
	type sources struct {
		Touches struct {
			Campaigns struct {
				Buckets []struct {
					Key     string `json:"key"`
					Sources struct {
						termsAgg
						Other int64 `json:"sum_other_doc_count"`
					} `json:"sources"`
				} `json:"buckets"`
				Other int64 `json:"sum_other_doc_count"`
			} `json:"campaigns"`
		} `json:"touches"`
	}
	var res struct {
		Aggregations struct {
			Pipeline sources `json:"pipeline"`
			Revenue  sources `json:"revenue"`
			Leads    sources `json:"leads"`
		} `json:"aggregations"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, false, false, fmt.Errorf("reports: campaign credits answer: %w", err)
	}
	for _, part := range []struct {
		sources
		add func(c *campaignCredit, b bucket)
	}{
		{res.Aggregations.Pipeline, func(c *campaignCredit, b bucket) {
			c.Pipeline = b.sum(m)
			c.Opportunities = b.sub("opps").sub("opportunities").docCount()
		}},
		{res.Aggregations.Revenue, func(c *campaignCredit, b bucket) { c.Revenue = b.sum(m) }},
		{res.Aggregations.Leads, func(c *campaignCredit, b bucket) { c.Leads = b.sum(m) }},
	} {
		moreCampaigns = moreCampaigns || part.Touches.Campaigns.Other > 0
		for _, cb := range part.Touches.Campaigns.Buckets {
			moreSources = moreSources || cb.Sources.Other > 0
			for _, sb := range cb.Sources.Buckets {
				k := CampaignKey{Campaign: cb.Key, Source: sb.key()}
				c := out[k]
				part.add(&c, sb)
				out[k] = c
			}
		}
	}
	return out, moreCampaigns, moreSources, nil
}
