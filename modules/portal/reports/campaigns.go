package reports

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
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
	// Opportunities counts the opportunities the campaign got credit for, each once
	// however many of its sources touched it.
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

// PlatformRow sums the campaigns of one platform; an opportunity several of them
// were credited for counts once.
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
	// Hidden counts the campaigns left out of Rows, those with the least credit past
	// RowLimit; the platform rows include them.
	Hidden, RowLimit int
}

// The campaigns report sums every campaign and source, asking Elasticsearch for
// defaultCampaignPage of them at a time (each bucket costs the cluster memory, and
// search.max_buckets bounds a request's), and lists defaultCampaignRows of them.
const (
	defaultCampaignPage = 1000
	defaultCampaignRows = 2000
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
	credited, err := s.campaignCredits(ctx, q)
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
	out := Campaigns{RowLimit: s.campaignRows()}
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
	// The pairs of campaign and source that credited an opportunity, by row and by
	// platform: counted apart, an opportunity two pairs of a row touched would count
	// twice.
	rowPairs, platformPairs := map[string][]CampaignKey{}, map[string][]CampaignKey{}
	for _, k := range keys {
		c := credited[k]
		key, init := "\x00\x00"+k.Campaign, CampaignRow{Name: k.Campaign}
		if ref, ok := matches[k]; ok {
			key, init = ref.Platform+"\x00"+ref.ID, CampaignRow{Platform: ref.Platform, CampaignID: ref.ID, Name: cmp.Or(ref.Name, k.Campaign)}
		}
		r := row(key, init)
		if c.Opportunities > 0 {
			rowPairs[key] = append(rowPairs[key], k)
			platformPairs[r.Platform] = append(platformPairs[r.Platform], k)
		}
		r.Pipeline += c.Pipeline
		r.Revenue += c.Revenue
		r.Leads += c.Leads
		r.Opportunities += c.Opportunities
		if k.Source != "" && !slices.Contains(r.Sources, k.Source) {
			r.Sources = append(r.Sources, k.Source)
		}
	}
	rowCounts, platformCounts, err := s.distinctOpportunities(ctx, q, rowPairs, platformPairs)
	if err != nil {
		return Campaigns{}, err
	}
	for key, n := range rowCounts {
		rows[key].Opportunities = n
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
	for platform, n := range platformCounts {
		platforms[platform].Opportunities = n
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
	if len(out.Rows) > out.RowLimit {
		out.Hidden = len(out.Rows) - out.RowLimit
		out.Rows = out.Rows[:out.RowLimit]
	}
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

// campaignCredit is what a model credited to one tracked campaign and source.
type campaignCredit struct {
	Pipeline, Revenue, Leads float64
	Opportunities            int64
}

func (s *Service) campaignPage() int { return cmp.Or(s.campaignPageSize, defaultCampaignPage) }
func (s *Service) campaignRows() int { return cmp.Or(s.campaignRowLimit, defaultCampaignRows) }

// campaignQuery matches the credit documents of the report: opportunities created
// or won in the range and lead conversions, with a touch of a tracked campaign.
func campaignQuery(q CampaignQuery) map[string]any {
	return map[string]any{"bool": map[string]any{
		"should": []any{pipelineFilter(q.Range), revenueFilter(q.Range), leadFilter(q.Range)}, "minimum_should_match": 1,
		"filter": []any{hasTouch(map[string]any{"exists": map[string]any{"field": touchField("campaign")}})},
	}}
}

// campaignKind is one of the report's sums: the documents of filter, summed by
// aggs under each campaign and source, and read into a campaignCredit by add.
type campaignKind struct {
	name   string
	filter map[string]any
	aggs   map[string]any
	add    func(c *campaignCredit, b bucket)
}

// campaignPageAnswer is one kind's page of campaign and source buckets.
type campaignPageAnswer struct {
	Touches struct {
		Campaigns struct {
			AfterKey json.RawMessage `json:"after_key"`
			Buckets  []bucket        `json:"buckets"`
		} `json:"campaigns"`
	} `json:"touches"`
}

// campaignCredits sums, per campaign and source of the touches, what the model
// credited to the touches of opportunities created and won in the range and of
// lead conversions, and counts the opportunities credited. Every campaign and
// source is summed: each request asks for the next page of a composite
// aggregation of each kind that has more.
func (s *Service) campaignCredits(ctx context.Context, q CampaignQuery) (map[CampaignKey]campaignCredit, error) {
	m := "m_" + q.Model
	sum := sums([]string{q.Model})
	// Back at the root, each document is one opportunity: those with a touch of the
	// bucket that the model credited.
	opportunities := map[string]any{
		"filter": map[string]any{"exists": map[string]any{"field": creditField(q.Model)}},
		"aggs":   map[string]any{"opportunities": map[string]any{"reverse_nested": map[string]any{}}},
	}
	pending := []campaignKind{
		{"pipeline", pipelineFilter(q.Range), map[string]any{m: sum[m], "opps": opportunities}, func(c *campaignCredit, b bucket) {
			c.Pipeline = b.sum(m)
			c.Opportunities = b.sub("opps").sub("opportunities").docCount()
		}},
		{"revenue", revenueFilter(q.Range), sum, func(c *campaignCredit, b bucket) { c.Revenue = b.sum(m) }},
		{"leads", leadFilter(q.Range), sum, func(c *campaignCredit, b bucket) { c.Leads = b.sum(m) }},
	}
	after := map[string]json.RawMessage{}
	out := map[CampaignKey]campaignCredit{}
	for len(pending) > 0 {
		aggs := map[string]any{}
		for _, k := range pending {
			composite := map[string]any{"size": s.campaignPage(), "sources": []any{
				map[string]any{"campaign": map[string]any{"terms": map[string]any{"field": touchField("campaign")}}},
				map[string]any{"source": map[string]any{"terms": map[string]any{"field": touchField("source"), "missing_bucket": true}}},
			}}
			if a, ok := after[k.name]; ok {
				composite["after"] = a
			}
			aggs[k.name] = map[string]any{"filter": k.filter, "aggs": map[string]any{"touches": nestedTouches(map[string]any{
				"campaigns": map[string]any{"composite": composite, "aggs": k.aggs},
			})}}
		}
		body := map[string]any{"size": 0, "track_total_hits": false, "query": campaignQuery(q), "aggs": aggs}
		raw, err := s.es.Query(ctx, q.Tenant, creditsIndex, body)
		if err != nil {
			return nil, fmt.Errorf("reports: campaign credits: %w", err)
		}
		if raw == nil {
			return out, nil
		}
		var res struct {
			Aggregations map[string]campaignPageAnswer `json:"aggregations"`
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			return nil, fmt.Errorf("reports: campaign credits answer: %w", err)
		}
		var more []campaignKind
		for _, k := range pending {
			page := res.Aggregations[k.name].Touches.Campaigns
			for _, b := range page.Buckets {
				var key struct {
					Campaign string  `json:"campaign"`
					Source   *string `json:"source"`
				}
				if err := json.Unmarshal(b["key"], &key); err != nil {
					return nil, fmt.Errorf("reports: campaign credits answer: a bucket's key: %w", err)
				}
				ck := CampaignKey{Campaign: key.Campaign}
				if key.Source != nil {
					ck.Source = *key.Source
				}
				c := out[ck]
				k.add(&c, b)
				out[ck] = c
			}
			if len(page.Buckets) == s.campaignPage() && len(page.AfterKey) > 0 {
				after[k.name] = page.AfterKey
				more = append(more, k)
			}
		}
		pending = more
	}
	return out, nil
}

// distinctOpportunities counts the opportunities of each row and platform made of
// several campaign and source pairs (by key, the pairs that credited an
// opportunity), as the opportunities with a touch of one of its pairs that the
// model credited.
func (s *Service) distinctOpportunities(ctx context.Context, q CampaignQuery, rowPairs, platformPairs map[string][]CampaignKey) (rows, platforms map[string]int64, err error) {
	var groups [][]CampaignKey
	var rowKeys, platformKeys []string
	for key, ps := range rowPairs {
		if len(ps) > 1 {
			groups, rowKeys = append(groups, ps), append(rowKeys, key)
		}
	}
	for key, ps := range platformPairs {
		if len(ps) > 1 {
			groups, platformKeys = append(groups, ps), append(platformKeys, key)
		}
	}
	counts, err := s.countOpportunities(ctx, q, groups, rowPairs)
	if err != nil {
		return nil, nil, err
	}
	rows, platforms = map[string]int64{}, map[string]int64{}
	for i, key := range rowKeys {
		rows[key] = counts[i]
	}
	for i, key := range platformKeys {
		platforms[key] = counts[len(rowKeys)+i]
	}
	return rows, platforms, nil
}

// countOpportunities counts, for each group of campaign and source pairs, the
// opportunities of the report with a touch of one of the pairs that the model
// credited. all holds every pair that credited an opportunity, by row: a
// campaign all of whose pairs are in a group is matched by its name alone.
func (s *Service) countOpportunities(ctx context.Context, q CampaignQuery, groups [][]CampaignKey, all map[string][]CampaignKey) ([]int64, error) {
	pairsOf := map[string]int{}
	for _, ps := range all {
		for _, p := range ps {
			pairsOf[p.Campaign]++
		}
	}
	// A request of countGroups filters at most, each of a few clauses but for the
	// campaigns whose pairs the group only partly holds.
	const countGroups = 100
	counts := make([]int64, 0, len(groups))
	for chunk := range slices.Chunk(groups, countGroups) {
		filters := make([]any, len(chunk))
		for i, g := range chunk {
			filters[i] = opportunitiesWith(q.Model, g, pairsOf)
		}
		body := map[string]any{"size": 0, "track_total_hits": false, "query": pipelineFilter(q.Range),
			"aggs": map[string]any{"groups": map[string]any{"filters": map[string]any{"filters": filters}}}}
		raw, err := s.es.Query(ctx, q.Tenant, creditsIndex, body)
		if err != nil {
			return nil, fmt.Errorf("reports: campaign opportunities: %w", err)
		}
		var res struct {
			Aggregations struct {
				Groups struct {
					Buckets []struct {
						DocCount int64 `json:"doc_count"`
					} `json:"buckets"`
				} `json:"groups"`
			} `json:"aggregations"`
		}
		if raw == nil { // the index is gone since the credits were summed
			return make([]int64, len(groups)), nil
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			return nil, fmt.Errorf("reports: campaign opportunities answer: %w", err)
		}
		if len(res.Aggregations.Groups.Buckets) != len(chunk) {
			return nil, fmt.Errorf("reports: campaign opportunities answer: %d counts for %d groups", len(res.Aggregations.Groups.Buckets), len(chunk))
		}
		for _, b := range res.Aggregations.Groups.Buckets {
			counts = append(counts, b.DocCount)
		}
	}
	return counts, nil
}

// opportunitiesWith matches the credit documents with a touch of one of the pairs
// that the model credited; pairsOf counts each campaign's pairs.
func opportunitiesWith(model string, pairs []CampaignKey, pairsOf map[string]int) map[string]any {
	sources := map[string][]string{}
	var campaigns []string
	for _, p := range pairs {
		if _, ok := sources[p.Campaign]; !ok {
			campaigns = append(campaigns, p.Campaign)
		}
		sources[p.Campaign] = append(sources[p.Campaign], p.Source)
	}
	var whole []string
	var either []any
	for _, c := range campaigns {
		if len(sources[c]) == pairsOf[c] {
			whole = append(whole, c)
			continue
		}
		either = append(either, and(term(touchField("campaign"), c), sourceIn(sources[c])))
	}
	// A terms query takes at most 65,536 values (index.max_terms_count).
	for chunk := range slices.Chunk(whole, 65536) {
		either = append(either, terms(touchField("campaign"), chunk...))
	}
	return hasTouch(and(
		map[string]any{"exists": map[string]any{"field": creditField(model)}},
		anyOf(either),
	))
}

// anyOf matches what one of clauses matches. A bool query takes at most 1,024
// clauses (indices.query.bool.max_clause_count), so more are nested in bools of
// at most 1,000.
func anyOf(clauses []any) map[string]any {
	const most = 1000
	for len(clauses) > most {
		var nested []any
		for chunk := range slices.Chunk(clauses, most) {
			nested = append(nested, map[string]any{"bool": map[string]any{"should": chunk, "minimum_should_match": 1}})
		}
		clauses = nested
	}
	return map[string]any{"bool": map[string]any{"should": clauses, "minimum_should_match": 1}}
}

// sourceIn matches the touches with one of sources, "" for none (or an empty one).
func sourceIn(sources []string) map[string]any {
	either := []any{terms(touchField("source"), sources...)}
	if slices.Contains(sources, "") {
		either = append(either, map[string]any{"bool": map[string]any{"must_not": map[string]any{"exists": map[string]any{"field": touchField("source")}}}})
	}
	return anyOf(either)
}
