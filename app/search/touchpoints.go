package search

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/olivere/elastic/v7"
)

// TouchpointQuery selects touchpoints of identified people (never bots).
type TouchpointQuery struct {
	// PersonIDs, when set, keeps only these people's touchpoints.
	PersonIDs []string
	// ReceivedFrom (inclusive) and ReceivedTo (exclusive) bound received_at; zero
	// means unbounded.
	ReceivedFrom, ReceivedTo time.Time
}

// IdentifiedTouchpoints pages through a tenant's touchpoints of identified people
// in (received_at, event_id) order. after is the cursor the previous page returned
// ("" for the first page); next is "" after the last page.
func (c *Client) IdentifiedTouchpoints(ctx context.Context, tenant string, q TouchpointQuery, after string, size int) (docs []json.RawMessage, next string, err error) {
	es, err := c.client()
	if err != nil {
		return nil, "", err
	}
	bq := elastic.NewBoolQuery().
		Filter(elastic.NewExistsQuery("person_id")).
		MustNot(elastic.NewTermQuery("is_bot", true))
	if len(q.PersonIDs) > 0 {
		ids := make([]any, len(q.PersonIDs))
		for i, id := range q.PersonIDs {
			ids[i] = id
		}
		bq.Filter(elastic.NewTermsQuery("person_id", ids...))
	}
	if !q.ReceivedFrom.IsZero() || !q.ReceivedTo.IsZero() {
		rq := elastic.NewRangeQuery("received_at")
		if !q.ReceivedFrom.IsZero() {
			rq.Gte(q.ReceivedFrom.UTC().Format(time.RFC3339Nano))
		}
		if !q.ReceivedTo.IsZero() {
			rq.Lt(q.ReceivedTo.UTC().Format(time.RFC3339Nano))
		}
		bq.Filter(rq)
	}
	svc := es.Search(c.IndexName(tenant, Touchpoints)).Query(bq).Size(size).
		Sort("received_at", true).Sort("event_id", true)
	if after != "" {
		var sa []any
		if err := json.Unmarshal([]byte(after), &sa); err != nil {
			return nil, "", fmt.Errorf("search: bad touchpoint cursor: %w", err)
		}
		svc = svc.SearchAfter(sa...)
	}
	res, err := svc.Do(ctx)
	if err != nil {
		if elastic.IsNotFound(err) {
			return nil, "", nil
		}
		return nil, "", fmt.Errorf("%w: search touchpoints: %v", ErrUnavailable, err)
	}
	for _, h := range res.Hits.Hits {
		docs = append(docs, h.Source)
	}
	if len(res.Hits.Hits) == size {
		b, err := json.Marshal(res.Hits.Hits[len(res.Hits.Hits)-1].Sort)
		if err != nil {
			return nil, "", fmt.Errorf("search: touchpoint cursor: %w", err)
		}
		next = string(b)
	}
	return docs, next, nil
}

// RecentVisits returns the sources of a tenant's latest n session-starting
// touchpoints (bots included: they are classified too), newest first, with the
// fields channel classification reads.
func (c *Client) RecentVisits(ctx context.Context, tenant string, n int) ([]json.RawMessage, error) {
	es, err := c.client()
	if err != nil {
		return nil, err
	}
	fsc := elastic.NewFetchSourceContext(true).Include("event_id", "site_key", "occurred_at", "url", "utm_source", "utm_medium",
		"utm_campaign", "click_id_type", "referrer_host", "channel", "channel_rule")
	res, err := es.Search(c.IndexName(tenant, Touchpoints)).Query(elastic.NewTermQuery("session_start", true)).
		FetchSourceContext(fsc).Sort("occurred_at", false).Sort("event_id", false).Size(n).Do(ctx)
	if err != nil {
		if elastic.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: recent visits: %v", ErrUnavailable, err)
	}
	out := make([]json.RawMessage, len(res.Hits.Hits))
	for i, h := range res.Hits.Hits {
		out[i] = h.Source
	}
	return out, nil
}
