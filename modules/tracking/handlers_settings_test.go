package tracking_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
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
	var tenantID, siteID int64
	gdb.Raw(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id`).Scan(&tenantID)
	gdb.Raw(`INSERT INTO sites (tenant_id, site_key, domains) VALUES (?, 'acme-site', '{acme.example}') RETURNING id`, tenantID).Scan(&siteID)
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
	web.NewRouter(e, apptest.AllowAll{}).Mount(mod.Routes()...)
	do := func(method, path string, form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	emailToOther := `[{"name":"news-is-other","channel":"Other","when":{"mediums":["email"]}},{"name":"direct","channel":"Direct","when":{}}]`

	scenarios := []struct {
		name, method, path string
		form               url.Values
		status             int
		want               []string
	}{
		{"sites page", "GET", "/t/acme/settings/tracking", nil, 200, []string{
			`&lt;script defer src=&#34;https://srg.acme.example/sona.js&#34; data-site=&#34;acme-site&#34;&gt;&lt;/script&gt;`,
			`data-copy="snippet-acme-site"`, "<code>acme.example</code>", `name="honor_dnt" checked`, `name="_csrf" value="csrf-token"`}},
		{"unknown tenant", "GET", "/t/nope/settings/tracking", nil, 404, nil},
		{"bad extension", "POST", "/t/acme/settings/tracking/acme-site", url.Values{"download_extensions": {"pdf, .exe"}}, 400, []string{"&#34;.exe&#34; is not a file extension"}},
		{"bad form field", "POST", "/t/acme/settings/tracking/acme-site", url.Values{"form_fields": {"company, a b"}}, 400, []string{"is not a form field name"}},
		{"another tenant's site", "POST", "/t/acme/settings/tracking/globex-site", url.Values{"consent_required": {"on"}}, 404, nil},
		{"save a site", "POST", "/t/acme/settings/tracking/acme-site", url.Values{"consent_required": {"on"}, "download_extensions": {"pdf, DMG"}, "form_fields": {"company"}}, http.StatusSeeOther, nil},
		{"saved", "GET", "/t/acme/settings/tracking?saved=acme-site", nil, 200, []string{"Settings of acme-site saved", `name="consent_required" checked`, `zip, dmg"`, `value="company"`}},

		{"channel rules", "GET", "/t/acme/settings/channels", nil, 200, []string{"&#34;paid-search", "0 of 2 visits would change"}},
		{"preview", "POST", "/t/acme/settings/channels/preview", url.Values{"rules": {emailToOther}}, 200, []string{"1 of 2 visits would change", "news-is-other", "the rules in the editor"}},
		{"preview of malformed JSON", "POST", "/t/acme/settings/channels/preview", url.Values{"rules": {`[{"name":`}}, 400, []string{"not a JSON list of rules", "[{&#34;name&#34;:"}},
		{"preview with an unknown key", "POST", "/t/acme/settings/channels/preview", url.Values{"rules": {`[{"name":"x","channel":"Direct","whenn":{}}]`}}, 400, []string{"unknown field"}},
		{"save invalid rules", "POST", "/t/acme/settings/channels", url.Values{"rules": {`[{"name":"x","channel":"Telepathy","when":{}}]`}}, 400, []string{"Telepathy"}},
		{"preview the defaults", "POST", "/t/acme/settings/channels/preview", url.Values{"reset": {"1"}}, 200, []string{"0 of 2 visits would change"}},
		{"save rules", "POST", "/t/acme/settings/channels", url.Values{"rules": {emailToOther}}, http.StatusSeeOther, nil},
		{"saved rules", "GET", "/t/acme/settings/channels?saved=1", nil, 200, []string{"Rules saved", "news-is-other", "1 of 2 visits would change"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			rec := do(sc.method, sc.path, sc.form)
			body := rec.Body.String()
			if rec.Code != sc.status {
				t.Fatalf("%s %s: %d, want %d\n%s", sc.method, sc.path, rec.Code, sc.status, body)
			}
			for _, w := range sc.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s: lacks %q\n%s", sc.method, sc.path, w, body)
				}
			}
		})
	}
	var actions string
	gdb.Raw(`SELECT string_agg(action || '@' || actor, ',' ORDER BY id) FROM audit_log WHERE tenant_id = ?`, tenantID).Scan(&actions)
	if actions != "settings.tracking@user:5,settings.channels@user:5" {
		t.Errorf("audit log %q", actions)
	}
}
