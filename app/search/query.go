package search

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/olivere/elastic/v7"
)

// Query runs a search request whose body is given as JSON (or a value that
// marshals to it) against a tenant's index of kind, and returns the response body.
// A missing index has nothing: the answer is nil. Reports build their queries as
// data, so no module needs the client library.
func (c *Client) Query(ctx context.Context, tenant, kind string, body any) (json.RawMessage, error) {
	es, err := c.client()
	if err != nil {
		return nil, err
	}
	res, err := es.PerformRequest(ctx, elastic.PerformRequestOptions{
		Method: "POST", Path: "/" + c.IndexName(tenant, kind) + "/_search", Body: body,
	})
	if err != nil {
		if elastic.IsNotFound(err) {
			return nil, nil
		}
		if e, ok := err.(*elastic.Error); ok && e.Status == 400 {
			return nil, fmt.Errorf("search: %s query rejected: %w", kind, err)
		}
		return nil, fmt.Errorf("%w: search %s: %v", ErrUnavailable, kind, err)
	}
	return res.Body, nil
}

// Each runs a sorted search (body must sort on a unique tie-breaker) page by page
// with search_after and calls fn with each hit's source, so that any number of hits
// can be streamed in bounded memory. A missing index has no hits.
func (c *Client) Each(ctx context.Context, tenant, kind string, body map[string]any, fn func(source json.RawMessage) error) error {
	const size = 1000
	page := make(map[string]any, len(body)+2)
	for k, v := range body {
		page[k] = v
	}
	page["size"] = size
	for {
		raw, err := c.Query(ctx, tenant, kind, page)
		if err != nil || raw == nil {
			return err
		}
		var res struct {
			Hits struct {
				Hits []struct {
					Source json.RawMessage `json:"_source"`
					Sort   []any           `json:"sort"`
				} `json:"hits"`
			} `json:"hits"`
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			return fmt.Errorf("search: %s page: %w", kind, err)
		}
		for _, h := range res.Hits.Hits {
			if err := fn(h.Source); err != nil {
				return err
			}
		}
		if len(res.Hits.Hits) < size {
			return nil
		}
		page["search_after"] = res.Hits.Hits[len(res.Hits.Hits)-1].Sort
	}
}
