package search_test

import (
	"context"
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
		search.Credits:     {"opportunity_id": "keyword", "touchpoint_id": "keyword", "amount": "scaled_float", "touched_at": "date", "fraction": "double"},
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
