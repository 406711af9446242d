package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/olivere/elastic/v7"
	"golang.org/x/sync/errgroup"
)

// PeopleTouchpoints calls fn with the source of every touchpoint of the given
// people that occurred in [from, to), bots left out, in (occurred_at, event_id)
// order, a page at a time. Sources come whole: Elasticsearch 7 filters a source by
// parsing and writing it again, which costs the node about five times what
// returning the stored bytes does, and the caller's decoder skips what it does not
// need.
func (c *Client) PeopleTouchpoints(ctx context.Context, tenant string, personIDs []string, from, to time.Time, fn func(doc json.RawMessage) error) error {
	es, err := c.client()
	if err != nil {
		return err
	}
	ids := make([]any, len(personIDs))
	for i, id := range personIDs {
		ids[i] = id
	}
	rq := elastic.NewRangeQuery("occurred_at")
	if !from.IsZero() {
		rq.Gte(from.UTC().Format(time.RFC3339Nano))
	}
	if !to.IsZero() {
		rq.Lt(to.UTC().Format(time.RFC3339Nano))
	}
	q := elastic.NewBoolQuery().Filter(elastic.NewTermsQuery("person_id", ids...), rq).MustNot(elastic.NewTermQuery("is_bot", true))
	return eachHit(ctx, func() *elastic.SearchService {
		return es.Search(c.IndexName(tenant, Touchpoints)).Query(q).Sort("occurred_at", true).Sort("event_id", true)
	}, "touchpoints", func(h *elastic.SearchHit) error { return fn(h.Source) })
}

// pageSize is how many hits eachHit asks for at a time.
var pageSize = 5000

// eachHit pages through a sorted search with search_after and calls fn with every
// hit; a missing index has no hits. newSearch builds the search afresh for every page:
// the client's SearchAfter appends to the values already set.
func eachHit(ctx context.Context, newSearch func() *elastic.SearchService, what string, fn func(*elastic.SearchHit) error) error {
	var after []any
	for {
		svc := newSearch().Size(pageSize)
		if after != nil {
			svc = svc.SearchAfter(after...)
		}
		res, err := svc.Do(ctx)
		if err != nil {
			if elastic.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("%w: search %s: %v", ErrUnavailable, what, withRootCause(err))
		}
		for _, h := range res.Hits.Hits {
			if err := fn(h); err != nil {
				return err
			}
		}
		if len(res.Hits.Hits) < pageSize {
			return nil
		}
		after = res.Hits.Hits[len(res.Hits.Hits)-1].Sort
	}
}

// withRootCause adds Elasticsearch's first root cause to a failed request's error,
// which otherwise says only "all shards failed".
func withRootCause(err error) error {
	var e *elastic.Error
	if errors.As(err, &e) && e.Details != nil && len(e.Details.RootCause) > 0 {
		rc := e.Details.RootCause[0]
		return fmt.Errorf("%w (%s: %s)", err, rc.Type, rc.Reason)
	}
	return err
}

// PeopleTouchedSince lists the people with touchpoints received since the given
// time.
func (c *Client) PeopleTouchedSince(ctx context.Context, tenant string, since time.Time) ([]string, error) {
	es, err := c.client()
	if err != nil {
		return nil, err
	}
	q := elastic.NewBoolQuery().Filter(elastic.NewExistsQuery("person_id"),
		elastic.NewRangeQuery("received_at").Gte(since.UTC().Format(time.RFC3339Nano)))
	var out []string
	var after map[string]any
	for {
		agg := elastic.NewCompositeAggregation().Size(10000).
			Sources(elastic.NewCompositeAggregationTermsValuesSource("person").Field("person_id"))
		if after != nil {
			agg = agg.AggregateAfter(after)
		}
		res, err := es.Search(c.IndexName(tenant, Touchpoints)).Query(q).Size(0).Aggregation("people", agg).Do(ctx)
		if err != nil {
			if elastic.IsNotFound(err) {
				return out, nil
			}
			return nil, fmt.Errorf("%w: people touched since: %v", ErrUnavailable, err)
		}
		comp, ok := res.Aggregations.Composite("people")
		if !ok || len(comp.Buckets) == 0 {
			return out, nil
		}
		for _, b := range comp.Buckets {
			if p, ok := b.Key["person"].(string); ok {
				out = append(out, p)
			}
		}
		if comp.AfterKey == nil {
			return out, nil
		}
		after = comp.AfterKey
	}
}

// IdentifiedTouchpointsBetween reads the whole source (see PeopleTouchpoints) of
// every touchpoint of an identified person that occurred in [from, to), bots left
// out, in no particular order. It reads a point in time a page at a time in index
// order, the cheapest full read Elasticsearch offers, for a full attribution run,
// in slices read at once: newReader is called once per slice, and each function it
// returns is called with that slice's touchpoints from one goroutine, while the
// other slices' functions run, so decoding takes both cores too.
func (c *Client) IdentifiedTouchpointsBetween(ctx context.Context, tenant string, from, to time.Time, newReader func() func(doc json.RawMessage) error) error {
	es, err := c.client()
	if err != nil {
		return err
	}
	rq := map[string]any{"lt": to.UTC().Format(time.RFC3339Nano)}
	if !from.IsZero() {
		rq["gte"] = from.UTC().Format(time.RFC3339Nano)
	}
	body := map[string]any{
		"sort": []any{"_shard_doc"},
		"query": map[string]any{"bool": map[string]any{
			"filter":   []any{map[string]any{"exists": map[string]any{"field": "person_id"}}, map[string]any{"range": map[string]any{"occurred_at": rq}}},
			"must_not": []any{map[string]any{"term": map[string]any{"is_bot": true}}},
		}},
	}
	return eachPITSliced(ctx, es, c.IndexName(tenant, Touchpoints), body, "touchpoints", readSlices, func() func(gojson.RawMessage) error {
		read := newReader()
		return func(source gojson.RawMessage) error { return read(json.RawMessage(source)) }
	})
}

// readSlices is how many slices of a point in time a full read reads at once: two
// keep both search threads of a small node busy.
var readSlices = 2

// eachPITSliced reads like eachPIT, the point in time cut into n slices read at
// once; newReader is called once per slice and its function is called with each
// of the slice's hits' sources, from the goroutine that reads the slice.
func eachPITSliced(ctx context.Context, es *elastic.Client, index string, body map[string]any, what string, n int, newReader func() func(source gojson.RawMessage) error) error {
	if n <= 1 {
		read := newReader()
		return eachPIT(ctx, es, index, body, what, func(source, _ gojson.RawMessage) error { return read(source) })
	}
	pit, err := openPIT(ctx, es, index)
	if err != nil || pit == "" {
		return err
	}
	defer es.ClosePointInTime(pit).Do(context.WithoutCancel(ctx))
	g, gctx := errgroup.WithContext(ctx)
	for slice := range n {
		read := newReader()
		g.Go(func() error {
			return readPIT(gctx, es, pit, body, what, map[string]any{"id": slice, "max": n}, func(hits []pitHit) error {
				for _, h := range hits {
					if err := read(h.Source); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
	return g.Wait()
}

// eachPIT reads a search (body: query, sort, _source) over a point in time of the
// index, a page at a time with search_after, and calls fn with each hit's source
// and sort values. A missing index has no hits.
func eachPIT(ctx context.Context, es *elastic.Client, index string, body map[string]any, what string, fn func(source, sort gojson.RawMessage) error) error {
	pit, err := openPIT(ctx, es, index)
	if err != nil || pit == "" {
		return err
	}
	defer es.ClosePointInTime(pit).Do(context.WithoutCancel(ctx))
	return readPIT(ctx, es, pit, body, what, nil, func(hits []pitHit) error {
		for _, h := range hits {
			if err := fn(h.Source, h.Sort); err != nil {
				return err
			}
		}
		return nil
	})
}

// openPIT opens a point in time of the index: "" when the index is missing.
func openPIT(ctx context.Context, es *elastic.Client, index string) (string, error) {
	pit, err := es.OpenPointInTime(index).KeepAlive("5m").Do(ctx)
	if err != nil {
		if elastic.IsNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("%w: open point in time on %s: %v", ErrUnavailable, index, withRootCause(err))
	}
	return pit.Id, nil
}

// pitHit is a hit of a point-in-time search: its source and sort values.
type pitHit struct {
	Source gojson.RawMessage `json:"_source"`
	Sort   gojson.RawMessage `json:"sort"`
}

// readPIT reads a search over the point in time (one slice of it when slice is
// set: its id and max) a page at a time, and hands each page's hits to page.
func readPIT(ctx context.Context, es *elastic.Client, pitID string, body map[string]any, what string, slice map[string]any, page func([]pitHit) error) error {
	req := make(map[string]any, len(body)+5)
	for k, v := range body {
		req[k] = v
	}
	req["size"] = pageSize
	req["pit"] = map[string]any{"id": pitID, "keep_alive": "5m"}
	req["track_total_hits"] = false
	if slice != nil {
		req["slice"] = slice
	}
	for {
		// No filter_path: a filtered response makes Elasticsearch parse every source
		// again to copy it, which doubles the node's work per hit.
		res, err := es.PerformRequest(ctx, elastic.PerformRequestOptions{Method: "POST", Path: "/_search", Body: req})
		if err != nil {
			return fmt.Errorf("%w: read %s: %v", ErrUnavailable, what, withRootCause(err))
		}
		var hits struct {
			PitID string `json:"pit_id"`
			Hits  struct {
				Hits []pitHit `json:"hits"`
			} `json:"hits"`
		}
		if err := gojson.Unmarshal(res.Body, &hits); err != nil {
			return fmt.Errorf("%w: read %s: %v", ErrUnavailable, what, err)
		}
		if err := page(hits.Hits.Hits); err != nil {
			return err
		}
		if len(hits.Hits.Hits) < pageSize {
			return nil
		}
		req["search_after"] = json.RawMessage(hits.Hits.Hits[len(hits.Hits.Hits)-1].Sort)
		if hits.PitID != "" {
			req["pit"] = map[string]any{"id": hits.PitID, "keep_alive": "5m"}
		}
	}
}
