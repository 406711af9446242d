package syncer_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/secrets"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/synctest"

	syncer "github.com/srgplatform/srg/modules/sync"
)

type allowAll struct{}

func (allowAll) Authorize(echo.Context, web.Permission) error { return nil }

type slugTenants map[string]int64

func (s slugTenants) TenantID(_ context.Context, slug string) (int64, error) {
	if id, ok := s[slug]; ok {
		return id, nil
	}
	return 0, errs.NotFound("no tenant %q", slug)
}

func TestHTTPScenarios(t *testing.T) {
	cfg := apptest.Config(t)
	db := apptest.DB(t, cfg)
	var tenant int64
	db.Raw(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id`).Scan(&tenant)
	box, _ := secrets.New(apptest.NewKey())
	pulls := &atomic.Int32{}
	factory := tokenFactory(pulls)
	if err := synctest.AsTenant(db, tenant).Exec(`INSERT INTO ad_spend_daily (tenant_id, platform, account_id, campaign_id, campaign_name, day) VALUES (?, 'google_ads', '1', '777', 'Brand Search', '2026-01-01')`, tenant).Error; err != nil {
		t.Fatal(err)
	}
	m := syncer.New(syncer.Deps{DB: db, Box: box, Tenants: slugTenants{"acme": tenant}, Log: apptest.Logger(t),
		Factories: map[connector.Kind]syncer.Factory{connector.HubSpot: factory}})
	t.Cleanup(func() { m.Close() })
	e := web.NewEcho(apptest.Logger(t), prometheus.NewRegistry(), nil)
	web.NewRouter(e, allowAll{}, slugTenants{"acme": tenant}).Mount(m.Routes()...)

	scenarios := []struct {
		name   string
		method string
		path   string
		ctype  string
		body   string
		status int
		want   string
	}{
		{"list before connecting", "GET", "/api/tenants/acme/connectors", "", "", 200, `"connectors":[]`},
		{"unknown tenant", "GET", "/api/tenants/nope/connectors", "", "", 404, "no tenant"},
		{"connect malformed body", "PUT", "/api/tenants/acme/connectors/hubspot", "application/json", `{"credentials":`, 400, "not a JSON object"},
		{"connect unknown field", "PUT", "/api/tenants/acme/connectors/hubspot", "application/json", `{"creds":{}}`, 400, "unknown field"},
		{"connect unknown kind", "PUT", "/api/tenants/acme/connectors/zoho", "application/json", `{"credentials":{"token":"ok"}}`, 400, "unknown source"},
		{"connect bad credentials", "PUT", "/api/tenants/acme/connectors/hubspot", "application/json", `{"credentials":{}}`, 400, "token is required"},
		{"connect bad schedule", "PUT", "/api/tenants/acme/connectors/hubspot", "application/json", `{"credentials":{"token":"ok"},"schedule":"often"}`, 400, "schedule"},
		{"connect", "PUT", "/api/tenants/acme/connectors/hubspot", "application/json", `{"credentials":{"token":"ok","key":"s3cr3t"},"schedule":"@every 1h"}`, 200, `"schedule":"@every 1h"`},
		{"sync now", "POST", "/api/tenants/acme/connectors/hubspot/sync", "", "", 202, "started"},
		{"runs bad limit", "GET", "/api/tenants/acme/connectors/hubspot/runs?limit=x", "", "", 400, "limit"},
		{"sync unknown connector", "POST", "/api/tenants/acme/connectors/salesforce/sync", "", "", 404, "no salesforce connector"},
		{"import unknown kind", "POST", "/api/tenants/acme/imports/deals", "text/csv", "id\n1\n", 400, "deals"},
		{"import with row errors", "POST", "/api/tenants/acme/imports/accounts", "text/csv", "id,name\n,Acme\n", 422, `"errors"`},
		{"import", "POST", "/api/tenants/acme/imports/accounts", "text/csv", "id,name,domain\na1,Acme,https://www.acme.com/\n", 200, `"imported":true`},
		{"import multipart without file", "POST", "/api/tenants/acme/imports/accounts", "multipart/form-data; boundary=x", "--x--\r\n", 400, "file"},
		{"mapping malformed", "PUT", "/api/tenants/acme/campaign-mappings", "application/json", `{"utm_key":`, 400, "not a JSON object"},
		{"mapping bad key", "PUT", "/api/tenants/acme/campaign-mappings", "application/json", `{"utm_key":"utm_source","utm_value":"x","platform":"google_ads","campaign_id":"1"}`, 400, "utm_key"},
		{"mapping", "PUT", "/api/tenants/acme/campaign-mappings", "application/json", `{"utm_key":"utm_campaign","utm_value":"spring-sale","platform":"google_ads","campaign_id":"123"}`, 204, ""},
		{"list mappings", "GET", "/api/tenants/acme/campaign-mappings", "", "", 200, "spring-sale"},
		{"match by mapping", "GET", "/api/tenants/acme/campaign-match?utm_campaign=Spring-Sale", "", "", 200, `"by":"mapping"`},
		{"match by name", "GET", "/api/tenants/acme/campaign-match?utm_campaign=brand+search&utm_source=google", "", "", 200, `"campaign_id":"777"`},
		{"no match", "GET", "/api/tenants/acme/campaign-match?utm_campaign=unknown", "", "", 404, "no campaign matches"},
		{"match without utm", "GET", "/api/tenants/acme/campaign-match", "", "", 400, "utm_campaign"},
		{"delete missing mapping", "DELETE", "/api/tenants/acme/campaign-mappings?utm_key=utm_id&utm_value=zzz", "", "", 404, ""},
		{"delete mapping", "DELETE", "/api/tenants/acme/campaign-mappings?utm_key=utm_campaign&utm_value=spring-sale", "", "", 204, ""},
		{"disconnect unknown", "DELETE", "/api/tenants/acme/connectors/salesforce", "", "", 404, "no salesforce connector"},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			req := httptest.NewRequest(s.method, s.path, strings.NewReader(s.body))
			req.Header.Set("Accept", "application/json")
			if s.ctype != "" {
				req.Header.Set("Content-Type", s.ctype)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != s.status || !strings.Contains(string(body), s.want) {
				t.Fatalf("%s %s: %d %s (want %d with %q)", s.method, s.path, rec.Code, body, s.status, s.want)
			}
			if strings.Contains(string(body), "s3cr3t") {
				t.Fatalf("the answer shows credentials: %s", body)
			}
		})
	}
	var runs []syncer.RunLog
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		runs, err = m.Service().Runs(context.Background(), tenant, connector.HubSpot, 10)
		if err != nil || (len(runs) == 1 && runs[0].Status != "running") {
			break
		}
	}
	if err != nil || len(runs) != 1 || runs[0].Trigger != "manual" || runs[0].Status != "ok" {
		t.Fatalf("runs after sync now = %+v, %v", runs, err)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/api/tenants/acme/connectors/hubspot", nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("disconnect: %d", rec.Code)
	}
}
