package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/srgplatform/srg/modules/sync/apiclient"
	"github.com/srgplatform/srg/modules/sync/connector"
)

const (
	// pageSize is the records per search or list request.
	pageSize = 100
	// searchLag is how far before its cursor a run starts re-reading, because the
	// search index shows writes a few seconds late.
	searchLag = 10 * time.Second
	// archivedSkew is how far before the start of the previous pass through the
	// recycle bin the next one keeps records, covering clock skew with HubSpot.
	archivedSkew = 5 * time.Minute
)

// Pull reads the pipelines, then companies, contacts and deals changed since their
// cursors, then what was archived since the last pass through the recycle bin.
func (c *Connector) Pull(ctx context.Context, r connector.Run) error {
	stages, err := c.pullStages(ctx, r)
	if err != nil {
		return fmt.Errorf("hubspot: stages: %w", err)
	}
	for _, spec := range c.specs(stages) {
		if err := c.pullSearch(ctx, r, spec); err != nil {
			return fmt.Errorf("hubspot: %s: %w", spec.stream, err)
		}
	}
	for _, spec := range c.specs(stages) {
		stream := spec.stream + "_archived"
		if err := c.pullArchived(ctx, r, stream, spec); err != nil {
			return fmt.Errorf("hubspot: %s: %w", stream, err)
		}
	}
	return nil
}

type filter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        string `json:"value"`
}

type searchRequest struct {
	FilterGroups []struct {
		Filters []filter `json:"filters"`
	} `json:"filterGroups"`
	Sorts []struct {
		PropertyName string `json:"propertyName"`
		Direction    string `json:"direction"`
	} `json:"sorts"`
	Properties []string `json:"properties"`
	Limit      int      `json:"limit"`
}

// keyset is where a search stream is: records modified at or after ms; or, when
// tie is set, records modified exactly at ms with an id above afterID.
type keyset struct {
	ms      int64
	tie     bool
	afterID int64
}

func (k keyset) request(spec objectSpec) searchRequest {
	var req searchRequest
	req.Properties, req.Limit = spec.props, pageSize
	ms := strconv.FormatInt(k.ms, 10)
	filters := []filter{{PropertyName: spec.modProp, Operator: "GTE", Value: ms}}
	sortBy := spec.modProp
	if k.tie {
		filters = []filter{{PropertyName: spec.modProp, Operator: "EQ", Value: ms},
			{PropertyName: "hs_object_id", Operator: "GT", Value: strconv.FormatInt(k.afterID, 10)}}
		sortBy = "hs_object_id"
	}
	req.FilterGroups = append(req.FilterGroups, struct {
		Filters []filter `json:"filters"`
	}{filters})
	req.Sorts = append(req.Sorts, struct {
		PropertyName string `json:"propertyName"`
		Direction    string `json:"direction"`
	}{sortBy, "ASCENDING"})
	return req
}

// pullSearch reads one object type changed since its cursor, a page per commit.
func (c *Connector) pullSearch(ctx context.Context, r connector.Run, spec objectSpec) error {
	var k keyset
	if cur := r.Cursor(spec.stream); cur != "" {
		t, ok := parseTime(cur)
		if !ok {
			return fmt.Errorf("unreadable cursor %q", cur)
		}
		k.ms = max(0, t.Add(-searchLag).UnixMilli())
	}
	path := "/crm/v3/objects/" + spec.path + "/search"
	pages, records := 0, 0
	defer func() {
		r.Log().Debug("hubspot: search stream read", "stream", spec.stream, "pages", pages, "records", records)
	}()
	for {
		var resp struct {
			Results []object `json:"results"`
			Paging  *paging  `json:"paging"`
		}
		if err := c.searcher.JSON(ctx, apiclient.Request{Method: http.MethodPost, Path: path, Body: k.request(spec)}, &resp); err != nil {
			return err
		}
		last := k.ms
		var lastID int64
		for _, o := range resp.Results {
			t, ok := parseTime(o.get(spec.modProp))
			if !ok {
				return fmt.Errorf("%s %s has no readable %s", spec.path, o.ID, spec.modProp)
			}
			last = max(last, t.UnixMilli())
			lastID, _ = strconv.ParseInt(o.ID, 10, 64)
		}
		if len(resp.Results) > 0 {
			page, err := spec.build(ctx, resp.Results)
			if err != nil {
				return err
			}
			if err := r.Commit(ctx, spec.stream, stamp(time.UnixMilli(last)), page); err != nil {
				return err
			}
			pages, records = pages+1, records+len(resp.Results)
		}
		more := resp.Paging.after() != "" && len(resp.Results) > 0
		switch {
		case !more && k.tie:
			// The records of that millisecond are done; go on after it.
			k = keyset{ms: k.ms + 1}
		case !more:
			return nil
		case k.tie:
			if lastID <= k.afterID {
				return fmt.Errorf("search did not advance past %s id %d", spec.path, k.afterID)
			}
			k.afterID = lastID
		case last > k.ms:
			k.ms = last
		default:
			// A whole page modified in one millisecond: page through it by id.
			k = keyset{ms: k.ms, tie: true}
		}
	}
}

// archivedCursor is where a pass through the recycle bin is; see the package doc.
type archivedCursor struct {
	Since   string `json:"since,omitempty"`
	Started string `json:"started,omitempty"`
	After   string `json:"after,omitempty"`
}

// pullArchived marks deleted the records of spec's type archived since the last
// pass.
func (c *Connector) pullArchived(ctx context.Context, r connector.Run, stream string, spec objectSpec) error {
	var cur archivedCursor
	if raw := r.Cursor(stream); raw != "" {
		if err := json.Unmarshal([]byte(raw), &cur); err != nil {
			return fmt.Errorf("unreadable cursor %q: %w", raw, err)
		}
	}
	if cur.After == "" {
		cur.Started = stamp(c.now())
	}
	since, _ := parseTime(cur.Since)
	for {
		q := url.Values{"archived": {"true"}, "limit": {strconv.Itoa(pageSize)}, "properties": {"hs_object_id"}}
		if cur.After != "" {
			q.Set("after", cur.After)
		}
		var resp struct {
			Results []object `json:"results"`
			Paging  *paging  `json:"paging"`
		}
		if err := c.api.JSON(ctx, apiclient.Request{Method: http.MethodGet, Path: "/crm/v3/objects/" + spec.path, Query: q}, &resp); err != nil {
			return err
		}
		var page connector.Page
		for _, o := range resp.Results {
			at, ok := parseTime(o.ArchivedAt)
			if !ok || !at.Before(since) {
				page.Deletions = append(page.Deletions, connector.Deletion{Object: spec.obj, ExternalID: o.ID})
			}
		}
		next := cur
		next.After = resp.Paging.after()
		if next.After == "" {
			started, _ := parseTime(cur.Started)
			next = archivedCursor{Since: stamp(started.Add(-archivedSkew))}
		}
		// Empty pages in mid-pass are not committed: resuming from an earlier page
		// only re-reads it.
		if len(page.Deletions) > 0 || next.After == "" {
			raw, err := json.Marshal(next)
			if err != nil {
				return err
			}
			if err := r.Commit(ctx, stream, string(raw), page); err != nil {
				return err
			}
		}
		if next.After == "" {
			return nil
		}
		cur = next
	}
}
