package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/olivere/elastic/v7"
)

// Doc is one document to create in a tenant's index.
type Doc struct {
	Tenant string
	Kind   string
	ID     string
	Source json.RawMessage
}

// ItemError is the failure of one document of a bulk request.
type ItemError struct {
	Status int
	Reason string
}

func (e *ItemError) Error() string { return fmt.Sprintf("search: item %d: %s", e.Status, e.Reason) }

// Retryable reports whether sending the document again may succeed.
func (e *ItemError) Retryable() bool { return e.Status == 429 || e.Status >= 500 }

// BulkCreate creates documents by id. A document that already exists counts as
// created, so replaying a batch never duplicates. The returned slice holds, per
// document, nil or an *ItemError; err is set when the request as a whole failed.
// The NDJSON body is written directly: the sources are JSON already.
func (c *Client) BulkCreate(ctx context.Context, docs []Doc) ([]error, error) {
	return c.bulk(ctx, "create", docs)
}

// BulkIndex creates or replaces documents by id, with BulkCreate's answer.
func (c *Client) BulkIndex(ctx context.Context, docs []Doc) ([]error, error) {
	return c.bulk(ctx, "index", docs)
}

// BulkDelete deletes documents by id (Source is ignored); a missing one is not an
// error.
func (c *Client) BulkDelete(ctx context.Context, docs []Doc) ([]error, error) {
	return c.bulk(ctx, "delete", docs)
}

func (c *Client) bulk(ctx context.Context, op string, docs []Doc) ([]error, error) {
	es, err := c.client()
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, nil
	}
	var body strings.Builder
	size := 0
	for _, d := range docs {
		size += len(d.Source) + len(d.ID) + 80
	}
	body.Grow(size)
	for _, d := range docs {
		body.WriteString(`{"` + op + `":{"_index":`)
		writeJSONString(&body, c.IndexName(d.Tenant, d.Kind))
		body.WriteString(`,"_id":`)
		writeJSONString(&body, d.ID)
		body.WriteString("}}\n")
		if op != "delete" {
			body.Write(d.Source)
			body.WriteByte('\n')
		}
	}
	res, err := es.PerformRequest(ctx, elastic.PerformRequestOptions{
		Method: "POST", Path: "/_bulk", Body: body.String(), ContentType: "application/x-ndjson",
		// Only what is read below: the answer is then a small fraction of its full size.
		Params: url.Values{"filter_path": {"items.*.status,items.*.error.type,items.*.error.reason"}},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: bulk: %v", ErrUnavailable, err)
	}
	var parsed struct {
		Items []map[string]struct {
			Status int `json:"status"`
			Error  *struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal(res.Body, &parsed); err != nil {
		return nil, fmt.Errorf("%w: bulk response: %v", ErrUnavailable, err)
	}
	if len(parsed.Items) != len(docs) {
		return nil, fmt.Errorf("%w: bulk answered %d items for %d documents", ErrUnavailable, len(parsed.Items), len(docs))
	}
	out := make([]error, len(docs))
	for i, item := range parsed.Items {
		for _, r := range item {
			if r.Status >= 300 && r.Status != 409 && (op != "delete" || r.Status != 404) {
				reason := fmt.Sprintf("status %d", r.Status)
				if r.Error != nil {
					reason = r.Error.Type + ": " + r.Error.Reason
				}
				out[i] = &ItemError{Status: r.Status, Reason: reason}
			}
		}
	}
	return out, nil
}

func writeJSONString(b *strings.Builder, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}

// SetVisitorIdentity sets person_id and account_id on every touchpoint of a visitor
// that does not carry them yet, and returns how many it updated.
func (c *Client) SetVisitorIdentity(ctx context.Context, tenant, visitorID, personID, accountID string) (int, error) {
	es, err := c.client()
	if err != nil {
		return 0, err
	}
	index := c.IndexName(tenant, Touchpoints)
	var account any
	if accountID != "" {
		account = accountID
	}
	wantAccount := elastic.NewBoolQuery().MustNot(elastic.NewExistsQuery("account_id"))
	if accountID != "" {
		wantAccount = elastic.NewBoolQuery().MustNot(elastic.NewTermQuery("account_id", accountID))
	}
	query := elastic.NewBoolQuery().
		Filter(elastic.NewTermQuery("visitor_id", visitorID)).
		Should(elastic.NewBoolQuery().MustNot(elastic.NewTermQuery("person_id", personID)), wantAccount).
		MinimumNumberShouldMatch(1)
	// updated_at tells warehouse exports that the document changed.
	return updateMatching(ctx, es, index, query, elastic.NewFetchSourceContext(false), "visitor touchpoints", func(*elastic.SearchHit) (map[string]any, error) {
		return map[string]any{"person_id": personID, "account_id": account, "updated_at": time.Now().UTC().Format(time.RFC3339Nano)}, nil
	})
}

// updateMatching applies a partial update to every document of index that query
// matches, a thousand at a time in event_id order: doc gives a hit's update (nil:
// none). It returns how many documents it updated; a missing index has none. what
// names the documents in errors.
func updateMatching(ctx context.Context, es *elastic.Client, index string, query elastic.Query, source *elastic.FetchSourceContext,
	what string, doc func(*elastic.SearchHit) (map[string]any, error)) (int, error) {
	updated := 0
	var after []any
	for {
		svc := es.Search(index).Query(query).Size(1000).Sort("event_id", true).FetchSourceContext(source)
		if after != nil {
			svc = svc.SearchAfter(after...)
		}
		res, err := svc.Do(ctx)
		if elastic.IsNotFound(err) {
			return updated, nil
		}
		if err != nil {
			return updated, fmt.Errorf("%w: search %s: %v", ErrUnavailable, what, err)
		}
		if len(res.Hits.Hits) == 0 {
			return updated, nil
		}
		bulk := es.Bulk()
		for _, h := range res.Hits.Hits {
			d, err := doc(h)
			if err != nil {
				return updated, err
			}
			if d != nil {
				bulk.Add(elastic.NewBulkUpdateRequest().Index(index).Id(h.Id).Doc(d))
			}
		}
		if n := bulk.NumberOfActions(); n > 0 {
			br, err := bulk.Do(ctx)
			if err != nil {
				return updated, fmt.Errorf("%w: update %s: %v", ErrUnavailable, what, err)
			}
			if failed := br.Failed(); len(failed) > 0 {
				return updated, errors.New("search: update " + what + ": " + failed[0].Error.Reason)
			}
			updated += n
		}
		after = res.Hits.Hits[len(res.Hits.Hits)-1].Sort
	}
}

// Refresh makes recent writes to a tenant's index searchable (tests and tools).
func (c *Client) Refresh(ctx context.Context, tenant, kind string) error {
	es, err := c.client()
	if err != nil {
		return err
	}
	if _, err := es.Refresh(c.IndexName(tenant, kind)).Do(ctx); err != nil {
		return fmt.Errorf("search: refresh: %w", err)
	}
	return nil
}

// Get returns a document's source, or nil when it does not exist.
func (c *Client) Get(ctx context.Context, tenant, kind, id string) (json.RawMessage, error) {
	es, err := c.client()
	if err != nil {
		return nil, err
	}
	res, err := es.Get().Index(c.IndexName(tenant, kind)).Id(id).Do(ctx)
	if elastic.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("search: get: %w", err)
	}
	return res.Source, nil
}

// Count returns how many documents of a tenant's index match a term filter on each
// given field (no filter: all).
func (c *Client) Count(ctx context.Context, tenant, kind string, terms map[string]string) (int64, error) {
	es, err := c.client()
	if err != nil {
		return 0, err
	}
	q := elastic.NewBoolQuery()
	for f, v := range terms {
		q.Filter(elastic.NewTermQuery(f, v))
	}
	n, err := es.Count(c.IndexName(tenant, kind)).Query(q).Do(ctx)
	if err != nil {
		return 0, fmt.Errorf("search: count: %w", err)
	}
	return n, nil
}
