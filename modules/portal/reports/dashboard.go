package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// DashboardQuery is what the dashboard shows: one model's credits over a range, and
// several models side by side.
type DashboardQuery struct {
	Tenant  string
	Range   Range
	Model   string
	Compare []string
}

// Amount is a value credited to a channel or a campaign.
type Amount struct {
	Name  string
	Value float64
}

// TrendPoint is one period of the trend: pipeline created and revenue won in it.
type TrendPoint struct {
	Start    time.Time
	Pipeline float64
	Revenue  float64
}

// ModelRow is one channel's pipeline under each compared model, in the order of
// Dashboard.Compare.
type ModelRow struct {
	Channel string
	Values  []float64
}

// Dashboard is the dashboard's data for one model and range.
type Dashboard struct {
	Model    string
	Compare  []string
	Range    Range
	Interval string

	Pipeline, Revenue, Leads                []Amount
	PipelineTotal, RevenueTotal, LeadsTotal float64
	Trend                                   []TrendPoint
	// Campaigns are the (at most) topCampaigns campaigns with the most pipeline and
	// revenue, among those with the most of either.
	Campaigns []CampaignAmount
	// Comparison is the pipeline of each channel under each compared model;
	// ComparisonTotals the total per model.
	Comparison       []ModelRow
	ComparisonTotals []float64
}

// CampaignAmount is a campaign's credited pipeline and revenue.
type CampaignAmount struct {
	Campaign          string
	Pipeline, Revenue float64
}

// interval is the date histogram's period for a range: days up to two months,
// weeks up to a year, months beyond.
func interval(r Range) string {
	switch d := r.Days(); {
	case d <= 62:
		return "day"
	case d <= 366:
		return "week"
	default:
		return "month"
	}
}

// Dashboard runs the dashboard's aggregations in one request.
func (s *Service) Dashboard(ctx context.Context, q DashboardQuery) (Dashboard, error) {
	models := append([]string{q.Model}, q.Compare...)
	models = uniq(models)
	iv := interval(q.Range)
	bounds := map[string]any{"min": q.Range.From.Format(time.RFC3339), "max": q.Range.To.Add(-time.Second).Format(time.RFC3339)}
	histogram := func(field string) map[string]any {
		return map[string]any{
			"date_histogram": map[string]any{"field": field, "calendar_interval": iv, "min_doc_count": 0, "extended_bounds": bounds},
			"aggs":           map[string]any{"touches": nestedTouches(sums([]string{q.Model}))},
		}
	}
	byChannel := map[string]any{"terms": map[string]any{"field": touchField("channel"), "size": 100}, "aggs": sums(models)}
	campaignTerms := map[string]any{
		"terms": map[string]any{"field": touchField("campaign"), "size": topCampaigns, "order": map[string]any{"m_" + q.Model: "desc"}},
		"aggs":  sums([]string{q.Model}),
	}
	part := func(filter map[string]any, dateField string) map[string]any {
		touches := sums(models)
		touches["channels"] = byChannel
		touches["campaigns"] = campaignTerms
		return map[string]any{"filter": filter, "aggs": map[string]any{"touches": nestedTouches(touches), "trend": histogram(dateField)}}
	}
	pf, rf, lf := pipelineFilter(q.Range), revenueFilter(q.Range), leadFilter(q.Range)
	m := "m_" + q.Model
	body := map[string]any{
		"size":             0,
		"track_total_hits": false,
		"query":            map[string]any{"bool": map[string]any{"should": []any{pf, rf, lf}, "minimum_should_match": 1}},
		"aggs": map[string]any{
			"pipeline": part(pf, "opportunity_created_at"),
			"revenue":  part(rf, "closed_at"),
			"leads": map[string]any{"filter": lf, "aggs": map[string]any{
				"touches": nestedTouches(map[string]any{"channels": byChannel, m: sums([]string{q.Model})[m]}),
			}},
		},
	}
	d := Dashboard{Model: q.Model, Compare: q.Compare, Range: q.Range, Interval: iv}
	raw, err := s.es.Query(ctx, q.Tenant, creditsIndex, body)
	if err != nil {
		return d, fmt.Errorf("reports: dashboard: %w", err)
	}
	if raw == nil {
		return d, nil
	}
	var res struct {
		Aggregations struct {
			Pipeline section `json:"pipeline"`
			Revenue  section `json:"revenue"`
			Leads    section `json:"leads"`
		} `json:"aggregations"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return d, fmt.Errorf("reports: dashboard answer: %w", err)
	}
	p, r, l := res.Aggregations.Pipeline, res.Aggregations.Revenue, res.Aggregations.Leads.Touches
	d.Pipeline, d.PipelineTotal = p.Touches.Channels.amounts(m), p.Touches.sum(m)
	d.Revenue, d.RevenueTotal = r.Touches.Channels.amounts(m), r.Touches.sum(m)
	d.Leads, d.LeadsTotal = l.Channels.amounts(m), l.sum(m)
	d.Trend = mergeTrend(p.Trend.Buckets, r.Trend.Buckets, m)
	if d.Campaigns, err = s.topCampaigns(ctx, q, p.Touches.Campaigns.amounts(m), r.Touches.Campaigns.amounts(m)); err != nil {
		return d, err
	}
	for _, b := range p.Touches.Channels.Buckets {
		row := ModelRow{Channel: b.key()}
		for _, cm := range q.Compare {
			row.Values = append(row.Values, b.sum("m_"+cm))
		}
		d.Comparison = append(d.Comparison, row)
	}
	for _, cm := range q.Compare {
		d.ComparisonTotals = append(d.ComparisonTotals, p.Touches.sum("m_"+cm))
	}
	return d, nil
}

// section is a filter aggregation on opportunities: the sums, channel and campaign
// terms of their touches, and a trend of the opportunities by date.
type section struct {
	Touches touchAggs `json:"touches"`
	Trend   termsAgg  `json:"trend"`
}

// touchAggs is a nested aggregation on touches with sums and channel and campaign terms.
type touchAggs struct {
	Channels  termsAgg `json:"channels"`
	Campaigns termsAgg `json:"campaigns"`
	raw       bucket
}

func (t *touchAggs) UnmarshalJSON(b []byte) error {
	type plain touchAggs
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = touchAggs(p)
	return json.Unmarshal(b, &t.raw)
}

func (t touchAggs) sum(name string) float64 { return t.raw.sum(name) }

type termsAgg struct {
	Buckets []bucket `json:"buckets"`
}

// amounts lists each bucket's sum, largest first, leaving out zeros.
func (t termsAgg) amounts(name string) []Amount {
	var out []Amount
	for _, b := range t.Buckets {
		if v := b.sum(name); v != 0 {
			out = append(out, Amount{Name: b.key(), Value: v})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Value > out[j].Value })
	return out
}

// bucket is an aggregation bucket: its key, count and sub-aggregations.
type bucket map[string]json.RawMessage

func (b bucket) key() string {
	var s string
	if json.Unmarshal(b["key"], &s) == nil {
		return s
	}
	return string(b["key"])
}

func (b bucket) keyTime() time.Time {
	var ms int64
	_ = json.Unmarshal(b["key"], &ms)
	return time.UnixMilli(ms).UTC()
}

// sub is a sub-aggregation that is itself a bucket (a filter, nested or
// reverse_nested aggregation).
func (b bucket) sub(name string) bucket {
	var out bucket
	_ = json.Unmarshal(b[name], &out)
	return out
}

func (b bucket) docCount() int64 {
	var n int64
	_ = json.Unmarshal(b["doc_count"], &n)
	return n
}

func (b bucket) sum(name string) float64 {
	var v struct {
		Value *float64 `json:"value"`
	}
	if raw, ok := b[name]; ok && json.Unmarshal(raw, &v) == nil && v.Value != nil {
		return *v.Value
	}
	return 0
}

func mergeTrend(pipeline, revenue []bucket, m string) []TrendPoint {
	byStart := map[time.Time]*TrendPoint{}
	var out []*TrendPoint
	point := func(t time.Time) *TrendPoint {
		p, ok := byStart[t]
		if !ok {
			p = &TrendPoint{Start: t}
			byStart[t] = p
			out = append(out, p)
		}
		return p
	}
	for _, b := range pipeline {
		point(b.keyTime()).Pipeline = b.sub("touches").sum(m)
	}
	for _, b := range revenue {
		point(b.keyTime()).Revenue = b.sub("touches").sum(m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	res := make([]TrendPoint, len(out))
	for i, p := range out {
		res[i] = *p
	}
	return res
}

// topCampaigns is how many campaigns the dashboard lists.
const topCampaigns = 10

// topCampaigns merges the campaigns with the most pipeline and those with the most
// revenue, ranks them by both and keeps topCampaigns. A campaign on one list only
// has its other amount asked for: it is no zero for being past the other's top.
func (s *Service) topCampaigns(ctx context.Context, q DashboardQuery, pipeline, revenue []Amount) ([]CampaignAmount, error) {
	var out []CampaignAmount
	idx := map[string]int{}
	for _, a := range pipeline {
		idx[a.Name] = len(out)
		out = append(out, CampaignAmount{Campaign: a.Name, Pipeline: a.Value})
	}
	inBoth := 0
	for _, a := range revenue {
		if i, ok := idx[a.Name]; ok {
			out[i].Revenue = a.Value
			inBoth++
			continue
		}
		idx[a.Name] = len(out)
		out = append(out, CampaignAmount{Campaign: a.Name, Revenue: a.Value})
	}
	if inBoth < len(out) {
		names := make([]string, len(out))
		for i, c := range out {
			names[i] = c.Campaign
		}
		exact, err := s.campaignAmounts(ctx, q, names)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i].Pipeline, out[i].Revenue = exact[out[i].Campaign].Pipeline, exact[out[i].Campaign].Revenue
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pipeline+out[i].Revenue > out[j].Pipeline+out[j].Revenue })
	if len(out) > topCampaigns {
		out = out[:topCampaigns]
	}
	return out, nil
}

// campaignAmounts is the pipeline and revenue the model credited to each of names.
func (s *Service) campaignAmounts(ctx context.Context, q DashboardQuery, names []string) (map[string]CampaignAmount, error) {
	m := "m_" + q.Model
	byName := map[string]any{"touches": nestedTouches(map[string]any{"campaigns": map[string]any{
		"terms": map[string]any{"field": touchField("campaign"), "include": names, "size": len(names)},
		"aggs":  sums([]string{q.Model}),
	}})}
	pf, rf := pipelineFilter(q.Range), revenueFilter(q.Range)
	body := map[string]any{
		"size": 0, "track_total_hits": false,
		"query": map[string]any{"bool": map[string]any{"should": []any{pf, rf}, "minimum_should_match": 1}},
		"aggs": map[string]any{
			"pipeline": map[string]any{"filter": pf, "aggs": byName},
			"revenue":  map[string]any{"filter": rf, "aggs": byName},
		},
	}
	raw, err := s.es.Query(ctx, q.Tenant, creditsIndex, body)
	if err != nil {
		return nil, fmt.Errorf("reports: dashboard campaigns: %w", err)
	}
	out := map[string]CampaignAmount{}
	if raw == nil {
		return out, nil
	}
	type byCampaign struct {
		Touches struct {
			Campaigns termsAgg `json:"campaigns"`
		} `json:"touches"`
	}
	var res struct {
		Aggregations struct {
			Pipeline byCampaign `json:"pipeline"`
			Revenue  byCampaign `json:"revenue"`
		} `json:"aggregations"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("reports: dashboard campaigns answer: %w", err)
	}
	for _, b := range res.Aggregations.Pipeline.Touches.Campaigns.Buckets {
		c := out[b.key()]
		c.Pipeline = b.sum(m)
		out[b.key()] = c
	}
	for _, b := range res.Aggregations.Revenue.Touches.Campaigns.Buckets {
		c := out[b.key()]
		c.Revenue = b.sum(m)
		out[b.key()] = c
	}
	return out, nil
}

func uniq(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Setup says how far a tenant has come: whether any touchpoint was tracked and
// any opportunity or lead attributed, so pages can tell a new tenant what to do next.
type Setup struct {
	HasTouchpoints bool
	HasCredits     bool
}

// SetupOf looks for one touchpoint and one credit.
func (s *Service) SetupOf(ctx context.Context, tenant string) (Setup, error) {
	var st Setup
	for kind, dst := range map[string]*bool{touchpointsIndex: &st.HasTouchpoints, creditsIndex: &st.HasCredits} {
		raw, err := s.es.Query(ctx, tenant, kind, map[string]any{"size": 0, "track_total_hits": 1, "terminate_after": 1})
		if err != nil {
			return st, fmt.Errorf("reports: setup: %w", err)
		}
		if raw == nil {
			continue
		}
		var res struct {
			Hits struct {
				Total struct {
					Value int64 `json:"value"`
				} `json:"total"`
			} `json:"hits"`
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			return st, fmt.Errorf("reports: setup answer: %w", err)
		}
		*dst = res.Hits.Total.Value > 0
	}
	return st, nil
}
