package search_test

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/search"
)

func TestEnsureTenantCreatesMappedIndices(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	c := apptest.Search(t, cfg)

	for i := 0; i < 2; i++ { // idempotent: the second call changes nothing and does not fail
		if err := c.EnsureTenant(ctx, "acme"); err != nil {
			t.Fatalf("ensure #%d: %v", i+1, err)
		}
	}
	want := map[string]map[string]string{
		search.Touchpoints: {"event_id": "keyword", "visitor_id": "keyword", "occurred_at": "date", "channel": "keyword", "ip": "ip"},
		search.Credits:     {"opportunity_id": "keyword", "opportunity_amount": "double", "opportunity_created_at": "date", "touches": "nested"},
	}
	for kind, fields := range want {
		if got := c.IndexName("acme", kind); got != cfg.Elasticsearch.IndexPrefix+"-acme-"+kind {
			t.Errorf("index name %q", got)
		}
		m, err := c.Mapping(ctx, "acme", kind)
		if err != nil {
			t.Fatal(err)
		}
		if m["dynamic"] != "strict" {
			t.Errorf("%s: dynamic = %v, want strict", kind, m["dynamic"])
		}
		props, _ := m["properties"].(map[string]any)
		for field, typ := range fields {
			f, _ := props[field].(map[string]any)
			if f["type"] != typ {
				t.Errorf("%s.%s: type %v, want %s", kind, field, f["type"], typ)
			}
		}
	}
}

func TestEnsureTenantRejectsUnsafeSlugs(t *testing.T) {
	c := apptest.Search(t, apptest.Config(t))
	for _, slug := range []string{"", "ACME", "a*b", "acme,other", "-acme", "_acme", "a b", "../x", "acme-"} {
		if err := c.EnsureTenant(context.Background(), slug); err == nil {
			t.Errorf("slug %q accepted", slug)
		}
	}
}

// An index created by an earlier release (credits mapping v1: one document per model)
// is rebuilt with the current mapping, and a touch's per-model credit field is mapped
// as an aggregatable number on first use.
func TestEnsureTenantUpgradesCreditsV1(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	c := apptest.Search(t, cfg)
	v1 := `{"mappings":{"dynamic":"strict","properties":{"credit_id":{"type":"keyword"},"model":{"type":"keyword"},
		"fraction":{"type":"double"},"amount":{"type":"scaled_float","scaling_factor":1000000},"touched_at":{"type":"date"}}}}`
	createCreditsIndex(t, cfg.Elasticsearch.URL, c, v1)
	if err := c.EnsureTenant(ctx, "acme"); err != nil {
		t.Fatalf("ensure over v1: %v", err)
	}
	doc := search.Doc{Tenant: "acme", Kind: search.Credits, ID: "o1",
		Source: []byte(`{"opportunity_id":"o1","opportunity_amount":10,"touches":[{"credit_id":"c1","credit":{"linear":2.5},"fractions":{"linear":0.25}}]}`)}
	if errs, err := c.BulkIndex(ctx, []search.Doc{doc}); err != nil || errs[0] != nil {
		t.Fatalf("index v4 credit: %v %v", err, errs)
	}
	m, err := c.Mapping(ctx, "acme", search.Credits)
	if err != nil {
		t.Fatal(err)
	}
	props, _ := m["properties"].(map[string]any)
	touches, _ := props["touches"].(map[string]any)
	credit, _ := touches["properties"].(map[string]any)["credit"].(map[string]any)
	linear, _ := credit["properties"].(map[string]any)["linear"].(map[string]any)
	if linear["type"] != "double" {
		t.Fatalf("credit.linear mapped as %v", linear)
	}
}

// BulkLoad sets the index up for a bulk load; done, or failing that the next
// EnsureTenant, puts the mapping file's settings back.
func TestBulkLoad(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	c := apptest.Search(t, cfg)
	if err := c.EnsureTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	settings := func() map[string]string {
		t.Helper()
		got, err := c.IndexSettings(ctx, "acme", search.Credits, "refresh_interval", "translog.durability", "translog.sync_interval")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	resting := settings()
	if want := map[string]string{"refresh_interval": "5s", "translog.durability": "REQUEST", "translog.sync_interval": "5s"}; !maps.Equal(resting, want) {
		t.Fatalf("before the load: %v, want %v", resting, want)
	}
	for _, end := range []string{"done", "ensure"} {
		t.Run(end, func(t *testing.T) {
			done, err := c.BulkLoad(ctx, "acme", search.Credits)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := settings(), map[string]string{"refresh_interval": "-1", "translog.durability": "async", "translog.sync_interval": "10s"}; !maps.Equal(got, want) {
				t.Fatalf("loading: %v, want %v", got, want)
			}
			doc := search.Doc{Tenant: "acme", Kind: search.Credits, ID: "loaded-" + end, Source: []byte(`{"opportunity_id":"loaded-` + end + `"}`)}
			if errs, err := c.BulkIndex(ctx, []search.Doc{doc}); err != nil || errs[0] != nil {
				t.Fatalf("index while loading: %v %v", err, errs)
			}
			if end == "done" {
				err = done(ctx)
				// What was written during the load is searchable once done returns.
				if n, cerr := c.Count(ctx, "acme", search.Credits, map[string]string{"opportunity_id": "loaded-done"}); cerr != nil || n != 1 {
					t.Fatalf("after done: %d documents found, %v", n, cerr)
				}
			} else {
				err = c.EnsureTenant(ctx, "acme")
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := settings(); !maps.Equal(got, resting) {
				t.Fatalf("after %s: %v, want the mapping file's %v", end, got, resting)
			}
		})
	}
	if _, err := c.BulkLoad(ctx, "nobody", search.Credits); err == nil {
		t.Fatal("bulk load of a missing index started")
	}
}

// A credits index of an older mapping version (v2 indexed every field) is rebuilt
// empty with the current mapping, and IndexCreatedAt tells its writer so; an index
// of the current version is left alone.
func TestEnsureTenantRebuildsOlderCredits(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	c := apptest.Search(t, cfg)
	if at, err := c.IndexCreatedAt(ctx, "acme", search.Credits); err != nil || !at.IsZero() {
		t.Fatalf("creation of a missing index = %v, %v", at, err)
	}
	v2 := `{"mappings":{"dynamic":"strict","_meta":{"srg_kind":"credits","srg_mapping_version":2},"properties":{
		"credit_id":{"type":"keyword"},"opportunity_id":{"type":"keyword"},"touchpoint_id":{"type":"keyword"},"landing_page":{"type":"keyword"},
		"touched_at":{"type":"date"},"credit":{"type":"object","dynamic":true}}}}`
	createCreditsIndex(t, cfg.Elasticsearch.URL, c, v2)
	old := search.Doc{Tenant: "acme", Kind: search.Credits, ID: "old", Source: []byte(`{"credit_id":"old","opportunity_id":"o1","credit":{"linear":1}}`)}
	if errs, err := c.BulkIndex(ctx, []search.Doc{old}); err != nil || errs[0] != nil {
		t.Fatalf("index v2 credit: %v %v", err, errs)
	}
	before, err := c.IndexCreatedAt(ctx, "acme", search.Credits)
	if err != nil || before.IsZero() || time.Since(before) > time.Minute {
		t.Fatalf("creation of the v2 index = %v, %v", before, err)
	}
	var created []string
	c.OnIndexCreated(search.Credits, func(tenant string) { created = append(created, tenant) })
	time.Sleep(5 * time.Millisecond)
	if err := c.EnsureTenant(ctx, "acme"); err != nil {
		t.Fatalf("ensure over v2: %v", err)
	}
	if !slices.Equal(created, []string{"acme"}) {
		t.Fatalf("told of created credit indices %v, want [acme]", created)
	}
	rebuilt, err := c.IndexCreatedAt(ctx, "acme", search.Credits)
	if err != nil || !rebuilt.After(before) {
		t.Fatalf("creation after the rebuild = %v (before: %v), %v", rebuilt, before, err)
	}
	if n, err := c.Count(ctx, "acme", search.Credits, nil); err != nil || n != 0 {
		t.Fatalf("rebuilt index holds %d documents, %v", n, err)
	}
	m, err := c.Mapping(ctx, "acme", search.Credits)
	if err != nil {
		t.Fatal(err)
	}
	props, _ := m["properties"].(map[string]any)
	touches, _ := props["touches"].(map[string]any)
	if touches["type"] != "nested" {
		t.Fatalf("touches = %v, want a nested field", touches)
	}
	touchProps, _ := touches["properties"].(map[string]any)
	for _, c := range []struct {
		props map[string]any
		field string
		want  any
	}{{touchProps, "credit_id", false}, {touchProps, "landing_page", false}, {touchProps, "person_id", nil}, {touchProps, "campaign", nil}, {props, "opportunity_id", nil}} {
		if f, _ := c.props[c.field].(map[string]any); f == nil || f["index"] != c.want {
			t.Errorf("%s: %v, want index = %v", c.field, f, c.want)
		}
	}
	if meta, _ := m["_meta"].(map[string]any); meta["srg_mapping_version"] != float64(5) {
		t.Errorf("_meta = %v", m["_meta"])
	}
	// The current version is not rebuilt again: what was written stays.
	current := search.Doc{Tenant: "acme", Kind: search.Credits, ID: "o1",
		Source: []byte(`{"opportunity_id":"o1","touches":[{"credit_id":"c1","credit":{"linear":1}}]}`)}
	if errs, err := c.BulkIndex(ctx, []search.Doc{current}); err != nil || errs[0] != nil {
		t.Fatalf("index v4 credit: %v %v", err, errs)
	}
	if err := c.EnsureTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if again, err := c.IndexCreatedAt(ctx, "acme", search.Credits); err != nil || !again.Equal(rebuilt) {
		t.Fatalf("creation after ensuring again = %v, want %v (%v)", again, rebuilt, err)
	}
	if len(created) != 1 {
		t.Fatalf("told of created credit indices %v after ensuring an index of the current version", created)
	}
	if err := c.Refresh(ctx, "acme", search.Credits); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Count(ctx, "acme", search.Credits, map[string]string{"opportunity_id": "o1"}); err != nil || n != 1 {
		t.Fatalf("after ensuring again: %d documents, %v", n, err)
	}
}

// createCreditsIndex creates acme's credits index as an earlier release did, with
// the given body.
func createCreditsIndex(t *testing.T, url string, c *search.Client, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, strings.TrimRight(url, "/")+"/"+c.IndexName("acme", search.Credits), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("create the credits index: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("create the credits index: %s", res.Status)
	}
}
