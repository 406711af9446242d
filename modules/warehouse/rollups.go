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
// replaced credit's old day is not known.
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
		sums[m] = map[string]any{"sum": map[string]any{"field": "credit." + m}}
	}
	terms := func(field string) map[string]any {
		return map[string]any{field: map[string]any{"terms": map[string]any{"field": field, "missing_bucket": true}}}
	}
	composite := map[string]any{"size": 2000, "sources": []any{
		map[string]any{"day": map[string]any{"date_histogram": map[string]any{"field": "touched_at", "calendar_interval": "day", "time_zone": "UTC"}}},
		terms("channel"), terms("campaign"), terms("currency"),
	}}
	mark := Mark{At: s.until}
	var after map[string]any
	for first := true; ; first = false {
		if after != nil {
			composite["after"] = after
		}
		body := map[string]any{"size": 0, "track_total_hits": false,
			"aggs": map[string]any{"g": map[string]any{"composite": composite, "aggs": sums}}}
		raw, err := src.index.Query(ctx, s.tenant, "credits", body)
		if err != nil {
			return err
		}
		var res struct {
			Aggregations struct {
				G struct {
					AfterKey map[string]any `json:"after_key"`
					Buckets  []struct {
						Key struct {
							Day      int64   `json:"day"`
							Channel  *string `json:"channel"`
							Campaign *string `json:"campaign"`
							Currency *string `json:"currency"`
						} `json:"key"`
						DocCount int64                      `json:"doc_count"`
						Sums     map[string]json.RawMessage `json:"-"`
					} `json:"buckets"`
				} `json:"g"`
			} `json:"aggregations"`
		}
		if raw != nil {
			if err := json.Unmarshal(raw, &res); err != nil {
				return fmt.Errorf("warehouse: rollup: %w", err)
			}
		}
		var buckets []map[string]json.RawMessage
		if raw != nil {
			var generic struct {
				Aggregations struct {
					G struct {
						Buckets []map[string]json.RawMessage `json:"buckets"`
					} `json:"g"`
				} `json:"aggregations"`
			}
			if err := json.Unmarshal(raw, &generic); err != nil {
				return fmt.Errorf("warehouse: rollup: %w", err)
			}
			buckets = generic.Aggregations.G.Buckets
		}
		b := &Batch{Mark: mark}
		for i, bk := range res.Aggregations.G.Buckets {
			day := time.UnixMilli(bk.Key.Day).UTC()
			for _, m := range models {
				var sum struct {
					Value *float64 `json:"value"`
				}
				_ = json.Unmarshal(buckets[i][m], &sum)
				if sum.Value == nil {
					continue
				}
				b.Rows = append(b.Rows, []any{day, m, strp(bk.Key.Channel), strp(bk.Key.Campaign), strp(bk.Key.Currency), bk.DocCount, *sum.Value})
			}
		}
		if len(b.Rows) > 0 || first {
			if err := fn(b); err != nil {
				return err
			}
		}
		if res.Aggregations.G.AfterKey == nil || len(res.Aggregations.G.Buckets) == 0 {
			return nil
		}
		after = res.Aggregations.G.AfterKey
	}
}

// strp is a key part of a rollup: part of the primary key, so never null.
func strp(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// models lists the models that have credits: the fields under credit in the
// credits index's mapping.
func (src sources) models(ctx context.Context, tenant string) ([]string, error) {
	m, err := src.index.Mapping(ctx, tenant, "credits")
	if err != nil {
		return nil, err
	}
	props, _ := m["properties"].(map[string]any)
	credit, _ := props["credit"].(map[string]any)
	fields, _ := credit["properties"].(map[string]any)
	out := make([]string, 0, len(fields))
	for name := range fields {
		out = append(out, name)
	}
	slices.Sort(out)
	return out, nil
}
