package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// elastic is the little of the Elasticsearch REST API the bench needs, over plain
// HTTP so it measures the index and not a client.
type elastic struct {
	base   string // first node URL
	prefix string // index prefix of the server under test
	http   *http.Client
}

func (e *elastic) index() string { return e.prefix + "-bench-touchpoints" }

func (e *elastic) do(ctx context.Context, method, path string, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("bench: elasticsearch %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("bench: elasticsearch %s %s: %w", method, path, err)
	}
	if resp.StatusCode == http.StatusNotFound {
		return resp.StatusCode, nil
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("bench: elasticsearch %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(body))
	}
	if out != nil && method != http.MethodHead {
		if err := json.Unmarshal(body, out); err != nil {
			return resp.StatusCode, fmt.Errorf("bench: elasticsearch %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func (e *elastic) exists(ctx context.Context, index string) (bool, error) {
	code, err := e.do(ctx, http.MethodHead, "/"+index, nil)
	return code == http.StatusOK, err
}

// count refreshes the touchpoints index and returns its number of documents.
func (e *elastic) count(ctx context.Context) (int64, error) {
	if _, err := e.do(ctx, http.MethodPost, "/"+e.index()+"/_refresh", nil); err != nil {
		return 0, err
	}
	var res struct {
		Count *int64 `json:"count"`
	}
	code, err := e.do(ctx, http.MethodGet, "/"+e.index()+"/_count", &res)
	if err != nil {
		return 0, err
	}
	if code != http.StatusOK || res.Count == nil {
		return 0, fmt.Errorf("bench: elasticsearch _count of %s: status %d", e.index(), code)
	}
	return *res.Count, nil
}

// dropAll deletes every index and index template of the prefix.
func (e *elastic) dropAll(ctx context.Context) error {
	if _, err := e.do(ctx, http.MethodDelete, "/"+e.prefix+"-*?expand_wildcards=all", nil); err != nil {
		return err
	}
	var templates struct {
		IndexTemplates []struct {
			Name string `json:"name"`
		} `json:"index_templates"`
	}
	if _, err := e.do(ctx, http.MethodGet, "/_index_template/"+e.prefix+"-*", &templates); err != nil {
		return err
	}
	for _, t := range templates.IndexTemplates {
		if _, err := e.do(ctx, http.MethodDelete, "/_index_template/"+t.Name, nil); err != nil {
			return err
		}
	}
	return nil
}

// waitCount polls the count every interval until it reaches want or the context
// ends, giving up once the count has not grown for stall (Elasticsearch takes as
// long as it takes to index a backlog, but a count that stands still will not reach
// want); it returns the last count and when it reached want (zero if it did not).
// Each poll refreshes the index, which costs Elasticsearch work: poll no more often
// than the measurement needs.
func (e *elastic) waitCount(ctx context.Context, want int64, interval, stall time.Duration) (int64, time.Time, error) {
	var n int64
	last, grew := int64(-1), time.Now()
	for ctx.Err() == nil {
		var err error
		if n, err = e.count(ctx); err != nil {
			return n, time.Time{}, err
		}
		if n >= want {
			return n, time.Now(), nil
		}
		if n > last {
			last, grew = n, time.Now()
		} else if time.Since(grew) >= stall {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
	return n, time.Time{}, ctx.Err()
}
