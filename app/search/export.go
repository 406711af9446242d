package search

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/olivere/elastic/v7"
)

// ChangedTouchpoints calls fn with every touchpoint of a tenant (bots and anonymous
// visitors included) whose updated_at is after (afterAt, afterID) and at or before
// until, in (updated_at, event_id) order, with the document's updated_at (zero for
// documents written before touchpoints had one). A zero afterAt starts with those
// documents, so a first export takes everything. It reads a point in time.
func (c *Client) ChangedTouchpoints(ctx context.Context, tenant string, afterAt time.Time, afterID string, until time.Time,
	fn func(source json.RawMessage, updatedAt time.Time) error) error {
	es, err := c.client()
	if err != nil {
		return err
	}
	upTo := map[string]any{"range": map[string]any{"updated_at": map[string]any{"lte": until.UTC().Format(time.RFC3339Nano)}}}
	var query map[string]any
	if afterAt.IsZero() {
		query = map[string]any{"bool": map[string]any{"should": []any{upTo,
			map[string]any{"bool": map[string]any{"must_not": []any{map[string]any{"exists": map[string]any{"field": "updated_at"}}}}},
		}, "minimum_should_match": 1}}
	} else {
		query = map[string]any{"bool": map[string]any{"filter": []any{upTo,
			map[string]any{"range": map[string]any{"updated_at": map[string]any{"gte": afterAt.UTC().Format(time.RFC3339Nano)}}}}}}
	}
	body := map[string]any{
		"query":   query,
		"_source": map[string]any{"excludes": []string{"ip", "props"}},
		"sort": []any{
			map[string]any{"updated_at": map[string]any{"order": "asc", "missing": "_first"}},
			map[string]any{"event_id": "asc"},
		},
	}
	// Documents without updated_at sort first, with the smallest long as their value.
	if !afterAt.IsZero() || afterID != "" {
		at := int64(math.MinInt64)
		if !afterAt.IsZero() {
			at = afterAt.UnixMilli()
		}
		body["search_after"] = []any{json.Number(strconv.FormatInt(at, 10)), afterID}
	}
	return eachPIT(ctx, es, c.IndexName(tenant, Touchpoints), body, "touchpoints", func(source, sort gojson.RawMessage) error {
		var values []gojson.RawMessage
		if err := gojson.Unmarshal(sort, &values); err != nil || len(values) == 0 {
			return fmt.Errorf("search: touchpoint sort values %s: %v", sort, err)
		}
		ms, err := strconv.ParseInt(string(values[0]), 10, 64)
		if err != nil {
			return fmt.Errorf("search: touchpoint sort value %s: %w", values[0], err)
		}
		var at time.Time
		if ms != math.MinInt64 {
			at = time.UnixMilli(ms).UTC()
		}
		return fn(json.RawMessage(source), at)
	})
}

// stampUpdatedAt gives the touchpoints indexed before documents had updated_at
// their received_at (or occurred_at) as it, so that an export from a date (a
// backfill) finds them as it finds every later document. (Update by query would do
// it in one request, but the reindex module is not part of every distribution.)
func stampUpdatedAt(ctx context.Context, es *elastic.Client, index string, log *slog.Logger) error {
	missing := elastic.NewBoolQuery().MustNot(elastic.NewExistsQuery("updated_at"))
	fields := elastic.NewFetchSourceContext(true).Include("received_at", "occurred_at")
	stamped, err := updateMatching(ctx, es, index, missing, fields, "touchpoints without updated_at", func(h *elastic.SearchHit) (map[string]any, error) {
		var d struct {
			ReceivedAt *string `json:"received_at"`
			OccurredAt *string `json:"occurred_at"`
		}
		if err := json.Unmarshal(h.Source, &d); err != nil {
			return nil, fmt.Errorf("search: touchpoint %s: %w", h.Id, err)
		}
		at := cmp.Or(d.ReceivedAt, d.OccurredAt)
		if at == nil {
			return nil, nil
		}
		return map[string]any{"updated_at": *at}, nil
	})
	if err != nil {
		return err
	}
	if stamped > 0 {
		log.Info("touchpoints indexed before they carried updated_at were given their received_at", "index", index, "touchpoints", stamped)
		if _, err := es.Refresh(index).Do(ctx); err != nil {
			return fmt.Errorf("%w: refresh %s: %v", ErrUnavailable, index, err)
		}
	}
	return nil
}

// CreditsOf calls fn with the credit document of each of the given opportunities
// (one per opportunity, its touches nested), in opportunity_id order.
func (c *Client) CreditsOf(ctx context.Context, tenant string, opportunityIDs []string, fn func(source json.RawMessage) error) error {
	es, err := c.client()
	if err != nil {
		return err
	}
	body := map[string]any{
		"query": map[string]any{"bool": map[string]any{"filter": []any{map[string]any{"terms": map[string]any{"opportunity_id": opportunityIDs}}}}},
		"sort":  []any{map[string]any{"opportunity_id": "asc"}},
	}
	return eachPIT(ctx, es, c.IndexName(tenant, Credits), body, "credits", func(source, _ gojson.RawMessage) error {
		return fn(json.RawMessage(source))
	})
}
