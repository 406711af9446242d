package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// channelDaily exports the daily rollup of credits by model, channel, campaign and
// currency (the day the touch happened), whole, whenever credits changed since the
// last export: a rollup cannot be updated incrementally from changed credits, as a
// replaced credit's old day is not known. A credit is a touch nested in its
// opportunity's document: the aggregation runs on the touches.
func (src sources) channelDaily(ctx context.Context, s *scope, fn func(*Batch) error) error {
	changed, err := src.tables.ChangedCredits(ctx, s.tenantID, s.from.At, s.from.ID, s.until, 1)
	if err != nil || len(changed) == 0 {
		return err
	}
	models, err := src.models(ctx, s.tenant)
	if err != nil {
		return err
	}
	sums := map[string]any{}
	for _, m := range models {
		// Prefixed: a bucket also holds "key" and "doc_count".
		sums["m_"+m] = map[string]any{"sum": map[string]any{"field": "touches.credit." + m}}
	}
	terms := func(name string) map[string]any {
		return map[string]any{name: map[string]any{"terms": map[string]any{"field": "touches." + name, "missing_bucket": true}}}
	}
	composite := map[string]any{"size": 2000, "sources": []any{
		map[string]any{"day": map[string]any{"date_histogram": map[string]any{"field": "touches.touched_at", "calendar_interval": "day", "time_zone": "UTC"}}},
		terms("channel"), terms("campaign"), terms("currency"),
	}}
	mark := Mark{At: s.until}
	var after map[string]any
	for first := true; ; first = false {
		if after != nil {
			composite["after"] = after
		}
		body := map[string]any{"size": 0, "track_total_hits": false,
			"aggs": map[string]any{"t": map[string]any{"nested": map[string]any{"path": "touches"},
				"aggs": map[string]any{"g": map[string]any{"composite": composite, "aggs": sums}}}}}
		raw, err := src.index.Query(ctx, s.tenant, "credits", body)
		if err != nil {
			return err
		}
		rows, next, err := rollupRows(raw, models)
		if err != nil {
			return err
		}
		b := &Batch{Mark: mark, Rows: rows}
		if len(b.Rows) > 0 || first {
			if err := fn(b); err != nil {
				return err
			}
		}
		if next == nil {
			return nil
		}
		after = next
	}
}

// rollupRows turns a page of the composite aggregation into rows, one per bucket
// and model with credits (a bucket's count is of touches), and returns the key to
// continue after (nil after the last page).
func rollupRows(raw json.RawMessage, models []string) ([][]any, map[string]any, error) {
	if raw == nil {
		return nil, nil, nil
	}
	var res struct {
		Aggregations struct {
			T struct {
				G struct {
					AfterKey map[string]any               `json:"after_key"`
					Buckets  []map[string]json.RawMessage `json:"buckets"`
				} `json:"g"`
			} `json:"t"`
		} `json:"aggregations"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, nil, fmt.Errorf("warehouse: rollup: %w", err)
	}
	var rows [][]any
	g := res.Aggregations.T.G
	for _, bucket := range g.Buckets {
		var key struct {
			Day      int64   `json:"day"`
			Channel  *string `json:"channel"`
			Campaign *string `json:"campaign"`
			Currency *string `json:"currency"`
		}
		var count int64
		if err := json.Unmarshal(bucket["key"], &key); err != nil {
			return nil, nil, fmt.Errorf("warehouse: rollup key: %w", err)
		}
		if err := json.Unmarshal(bucket["doc_count"], &count); err != nil {
			return nil, nil, fmt.Errorf("warehouse: rollup count: %w", err)
		}
		day := time.UnixMilli(key.Day).UTC()
		for _, m := range models {
			var sum struct {
				Value *float64 `json:"value"`
			}
			if raw, ok := bucket["m_"+m]; ok {
				if err := json.Unmarshal(raw, &sum); err != nil {
					return nil, nil, fmt.Errorf("warehouse: rollup sum: %w", err)
				}
			}
			if sum.Value != nil {
				rows = append(rows, []any{day, m, strp(key.Channel), strp(key.Campaign), strp(key.Currency), count, *sum.Value})
			}
		}
	}
	if len(g.Buckets) == 0 {
		return rows, nil, nil
	}
	return rows, g.AfterKey, nil
}

// strp is a key part of a rollup: part of the primary key, so never null.
func strp(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// models lists the models that have credits: the fields under the touches' credit
// in the credits index's mapping.
func (src sources) models(ctx context.Context, tenant string) ([]string, error) {
	m, err := src.index.Mapping(ctx, tenant, "credits")
	if err != nil {
		return nil, err
	}
	props, _ := m["properties"].(map[string]any)
	touches, _ := props["touches"].(map[string]any)
	touchProps, _ := touches["properties"].(map[string]any)
	credit, _ := touchProps["credit"].(map[string]any)
	fields, _ := credit["properties"].(map[string]any)
	out := make([]string, 0, len(fields))
	for name := range fields {
		out = append(out, name)
	}
	slices.Sort(out)
	return out, nil
}
