package search_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

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
		search.Credits:     {"opportunity_id": "keyword", "touchpoint_id": "keyword", "opportunity_amount": "double", "touched_at": "date", "credit": "object"},
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
// takes the current mapping, and a per-model credit field is mapped as an aggregatable
// number on first use.
func TestEnsureTenantUpgradesCreditsV1(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	c := apptest.Search(t, cfg)
	v1 := `{"mappings":{"dynamic":"strict","properties":{"credit_id":{"type":"keyword"},"model":{"type":"keyword"},
		"fraction":{"type":"double"},"amount":{"type":"scaled_float","scaling_factor":1000000},"touched_at":{"type":"date"}}}}`
	req, _ := http.NewRequest(http.MethodPut, strings.TrimRight(cfg.Elasticsearch.URL, "/")+"/"+c.IndexName("acme", search.Credits), strings.NewReader(v1))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("create v1 index: %v %v", res.Status, err)
	}
	res.Body.Close()
	if err := c.EnsureTenant(ctx, "acme"); err != nil {
		t.Fatalf("ensure over v1: %v", err)
	}
	doc := search.Doc{Tenant: "acme", Kind: search.Credits, ID: "c1",
		Source: []byte(`{"credit_id":"c1","opportunity_amount":10,"credit":{"linear":2.5},"fractions":{"linear":0.25}}`)}
	if errs, err := c.BulkIndex(ctx, []search.Doc{doc}); err != nil || errs[0] != nil {
		t.Fatalf("index v2 credit: %v %v", err, errs)
	}
	m, err := c.Mapping(ctx, "acme", search.Credits)
	if err != nil {
		t.Fatal(err)
	}
	props, _ := m["properties"].(map[string]any)
	credit, _ := props["credit"].(map[string]any)
	linear, _ := credit["properties"].(map[string]any)["linear"].(map[string]any)
	if linear["type"] != "double" {
		t.Fatalf("credit.linear mapped as %v", linear)
	}
}

// PauseRefresh stops scheduled refreshes of the index; resume, or failing that the
// next EnsureTenant, puts the mapping file's interval back.
func TestPauseRefresh(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	c := apptest.Search(t, cfg)
	if err := c.EnsureTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	interval := func() string {
		t.Helper()
		res, err := http.Get(strings.TrimRight(cfg.Elasticsearch.URL, "/") + "/" + c.IndexName("acme", search.Credits) + "/_settings/index.refresh_interval")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]struct {
			Settings struct {
				Index struct {
					RefreshInterval string `json:"refresh_interval"`
				} `json:"index"`
			} `json:"settings"`
		}
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return body[c.IndexName("acme", search.Credits)].Settings.Index.RefreshInterval
	}
	for _, restore := range []string{"resume", "ensure"} {
		t.Run(restore, func(t *testing.T) {
			resume, err := c.PauseRefresh(ctx, "acme", search.Credits)
			if err != nil {
				t.Fatal(err)
			}
			if got := interval(); got != "-1" {
				t.Fatalf("paused: refresh_interval %q", got)
			}
			doc := search.Doc{Tenant: "acme", Kind: search.Credits, ID: "paused-" + restore, Source: []byte(`{"credit_id":"paused-` + restore + `"}`)}
			if errs, err := c.BulkIndex(ctx, []search.Doc{doc}); err != nil || errs[0] != nil {
				t.Fatalf("index while paused: %v %v", err, errs)
			}
			if restore == "resume" {
				err = resume(ctx)
				// What was written while paused is searchable once resume returns.
				if n, cerr := c.Count(ctx, "acme", search.Credits, map[string]string{"credit_id": "paused-resume"}); cerr != nil || n != 1 {
					t.Fatalf("after resume: %d documents found, %v", n, cerr)
				}
			} else {
				err = c.EnsureTenant(ctx, "acme")
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := interval(); got != "5s" {
				t.Fatalf("after %s: refresh_interval %q, want the mapping file's 5s", restore, got)
			}
		})
	}
	if _, err := c.PauseRefresh(ctx, "nobody", search.Credits); err == nil {
		t.Fatal("paused the refresh of a missing index")
	}
}
