package tracking_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/tracking"
)

// oneTenantSites is acme with its one site; other tenants are unknown.
type oneTenantSites struct {
	id   int64
	site tracking.SiteRecord
}

func (o oneTenantSites) TenantSites(_ context.Context, slug string) (int64, []tracking.SiteRecord, error) {
	if slug != "acme" {
		return 0, nil, errs.NotFound("no tenant %q", slug)
	}
	return o.id, []tracking.SiteRecord{o.site}, nil
}

func TestSettingsPages(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	gdb := apptest.DB(t, cfg)
	sc := apptest.Search(t, cfg)
	tenantID, siteID := acmeSite(t, gdb, "acme.example")
	if err := sc.EnsureTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	// Two recent visits: one from a newsletter tagged with utm_medium=email, and one
	// whose referrer is the site itself.
	visits := []map[string]any{
		{"event_id": "v1", "tenant": "acme", "site_key": "acme-site", "type": "pageview", "session_start": true, "occurred_at": "2024-03-02T10:00:00Z",
			"url": "https://acme.example/?utm_source=news&utm_medium=email", "utm_source": "news", "utm_medium": "email", "channel": "Email", "channel_rule": "email-medium"},
		{"event_id": "v2", "tenant": "acme", "site_key": "acme-site", "type": "pageview", "session_start": true, "occurred_at": "2024-03-01T10:00:00Z",
			"url": "https://acme.example/pricing", "referrer_host": "acme.example", "channel": "Direct", "channel_rule": "direct"},
	}
	var docs []search.Doc
	for _, v := range visits {
		raw, _ := json.Marshal(v)
		docs = append(docs, search.Doc{Tenant: "acme", Kind: search.Touchpoints, ID: v["event_id"].(string), Source: raw})
	}
	if _, err := sc.BulkIndex(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if err := sc.Refresh(ctx, "acme", search.Touchpoints); err != nil {
		t.Fatal(err)
	}
	site := tracking.SiteRecord{ID: siteID, TenantID: tenantID, Tenant: "acme", Key: "acme-site", Domains: []string{"acme.example"}}
	mod, err := tracking.New(tracking.Deps{Config: cfg.Tracking, DB: gdb, Sites: fakeSites{"acme-site": site}, Indexer: sc,
		Identities: &fakeIdentities{links: map[string]tracking.Identity{}}, Log: apptest.Logger(t), Script: []byte("/**/"),
		PublicURL: "https://srg.acme.example/", TenantSites: oneTenantSites{tenantID, site}, Recent: sc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mod.Close() })
	e := apptest.Echo(t)
	e.Use(apptest.AsUser(5, "ann@acme.example"))
	web.NewRouter(e, apptest.AllowAll{}, apptest.TenantsIn(gdb)).Mount(mod.Routes()...)
	emailToOther := `[{"name":"news-is-other","channel":"Other","when":{"mediums":["email"]}},{"name":"direct","channel":"Direct","when":{}}]`

	scenarios := []apptest.Scenario{
		{Name: "sites page", Method: "GET", Path: "/t/acme/settings/tracking", Status: 200, Want: []string{
			`&lt;script defer src=&#34;https://srg.acme.example/sona.js&#34; data-site=&#34;acme-site&#34;&gt;&lt;/script&gt;`,
			`data-copy="snippet-acme-site"`, "<code>acme.example</code>", `name="honor_dnt" checked`, `name="_csrf" value="csrf-token"`}},
		{Name: "unknown tenant", Method: "GET", Path: "/t/nope/settings/tracking", Status: 404},
		{Name: "bad extension", Method: "POST", Path: "/t/acme/settings/tracking/acme-site", Form: url.Values{"download_extensions": {"pdf, .exe"}}, Status: 400, Want: []string{"&#34;.exe&#34; is not a file extension"}},
		{Name: "bad form field", Method: "POST", Path: "/t/acme/settings/tracking/acme-site", Form: url.Values{"form_fields": {"company, a b"}}, Status: 400, Want: []string{"is not a form field name"}},
		{Name: "another tenant's site", Method: "POST", Path: "/t/acme/settings/tracking/globex-site", Form: url.Values{"consent_required": {"on"}}, Status: 404},
		{Name: "save a site", Method: "POST", Path: "/t/acme/settings/tracking/acme-site", Form: url.Values{"consent_required": {"on"}, "download_extensions": {"pdf, DMG"}, "form_fields": {"company"}}, Status: http.StatusSeeOther},
		{Name: "saved", Method: "GET", Path: "/t/acme/settings/tracking?saved=acme-site", Status: 200, Want: []string{"Settings of acme-site saved", `name="consent_required" checked`, `zip, dmg"`, `value="company"`}},

		{Name: "channel rules", Method: "GET", Path: "/t/acme/settings/channels", Status: 200, Want: []string{"&#34;paid-search", "0 of 2 visits would change"}},
		{Name: "preview", Method: "POST", Path: "/t/acme/settings/channels/preview", Form: url.Values{"rules": {emailToOther}}, Status: 200, Want: []string{"1 of 2 visits would change", "news-is-other", "the rules in the editor"}},
		{Name: "preview of malformed JSON", Method: "POST", Path: "/t/acme/settings/channels/preview", Form: url.Values{"rules": {`[{"name":`}}, Status: 400, Want: []string{"not a JSON list of rules", "[{&#34;name&#34;:"}},
		{Name: "preview with an unknown key", Method: "POST", Path: "/t/acme/settings/channels/preview", Form: url.Values{"rules": {`[{"name":"x","channel":"Direct","whenn":{}}]`}}, Status: 400, Want: []string{"unknown field"}},
		{Name: "save invalid rules", Method: "POST", Path: "/t/acme/settings/channels", Form: url.Values{"rules": {`[{"name":"x","channel":"Telepathy","when":{}}]`}}, Status: 400, Want: []string{"Telepathy"}},
		{Name: "preview the defaults", Method: "POST", Path: "/t/acme/settings/channels/preview", Form: url.Values{"reset": {"1"}}, Status: 200, Want: []string{"0 of 2 visits would change"}},
		{Name: "save rules", Method: "POST", Path: "/t/acme/settings/channels", Form: url.Values{"rules": {emailToOther}}, Status: http.StatusSeeOther},
		{Name: "saved rules", Method: "GET", Path: "/t/acme/settings/channels?saved=1", Status: 200, Want: []string{"Rules saved", "news-is-other", "1 of 2 visits would change"}},
	}
	for _, sc := range scenarios {
		sc.Run(t, e)
	}
	var actions string
	gdb.WithContext(db.WithTenant(ctx, tenantID)).Raw(`SELECT string_agg(action || '@' || actor, ',' ORDER BY id) FROM audit_log WHERE tenant_id = ?`, tenantID).Scan(&actions)
	if actions != "settings.tracking@user:5,settings.channels@user:5" {
		t.Errorf("audit log %q", actions)
	}
}
