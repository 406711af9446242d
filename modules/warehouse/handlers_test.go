package warehouse

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/web"
)

// module mounts a module over the fixture's service on the production echo, with
// a signed-in user allowed everything.
func (f *fixture) module() http.Handler {
	f.t.Helper()
	if err := f.db.Exec(`INSERT INTO tenants (slug, name) VALUES ('other', 'Other')`).Error; err != nil {
		f.t.Fatal(err)
	}
	tenants := apptest.TenantsIn(f.db)
	m := &Module{svc: f.svc, tenants: tenants, log: apptest.Logger(f.t)}
	m.ctx, m.cancel = f.ctx, func() {}
	f.t.Cleanup(func() { m.Close() })
	e := apptest.Echo(f.t)
	e.Use(apptest.AsUser(4, "ann@acme.example"))
	web.NewRouter(e, apptest.AllowAll{}, tenants).Mount(m.Routes()...)
	return e
}

func TestAPI(t *testing.T) {
	f := newFixture(t)
	seed(f)
	h := f.module()
	pg := `"credentials": {"url": "` + f.destURL + `"}`
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"datasets", "GET", "/api/tenants/acme/warehouse/datasets", "", 200, `"name":"channel_daily"`},
		{"unknown tenant", "GET", "/api/tenants/nope/warehouse/destinations", "", 404, "no tenant"},
		{"empty list", "GET", "/api/tenants/acme/warehouse/destinations", "", 200, `{"destinations":[]}`},
		{"not JSON", "POST", "/api/tenants/acme/warehouse/destinations", `{"name":`, 400, "the body is not a destination"},
		{"unknown key", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "dw", "kind": "postgres", "schema": "x"}`, 400, `unknown field \"schema\"`},
		{"unknown kind", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "dw", "kind": "bigquery"}`, 400, `unknown destination kind \"bigquery\"`},
		{"bad name", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "My DW", "kind": "postgres", ` + pg + `}`, 400, "name must be"},
		{"not a postgres url", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "dw", "kind": "postgres", "credentials": {"url": "mysql://x"}}`, 400, "credentials.url must be a postgres:// URL"},
		{"unknown credential", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "dw", "kind": "postgres", "credentials": {"uri": "postgres://x"}}`, 400, `unknown field \"uri\"`},
		{"credentials a list", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "dw", "kind": "postgres", "credentials": ["x"]}`, 400, "credentials must be a JSON object"},
		{"bad schema", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "dw", "kind": "postgres", ` + pg + `, "settings": {"schema": "a;b"}}`, 400, "settings.schema"},
		{"unknown dataset", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "dw", "kind": "postgres", ` + pg + `, "datasets": ["events"]}`, 400, `unknown dataset \"events\"`},
		{"bad schedule", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "dw", "kind": "postgres", ` + pg + `, "schedule": "hourly"}`, 400, "schedule"},
		{"bad pii", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "dw", "kind": "postgres", ` + pg + `, "pii": "mask"}`, 400, "pii must be export, hash or omit"},
		{"s3 without bucket", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "lake", "kind": "s3", "credentials": {"access_key_id": "a", "secret_access_key": "b"}, "settings": {"endpoint": "s3.test"}}`, 400, "settings.bucket is required"},
		{"s3 endpoint with scheme", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "lake", "kind": "s3", "credentials": {"access_key_id": "a", "secret_access_key": "b"}, "settings": {"endpoint": "https://s3.test", "bucket": "b"}}`, 400, "settings.endpoint must be host[:port]"},
		{"s3 without keys", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "lake", "kind": "s3", "settings": {"endpoint": "s3.test", "bucket": "b"}}`, 400, "access_key_id and secret_access_key"},
		{"local path escapes", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "files", "kind": "local", "settings": {"path": "../../etc"}}`, 400, "settings.path must be a relative directory"},
		{"local without path", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "files", "kind": "local"}`, 400, "settings.path"},
		{"created", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "dw", "kind": "postgres", ` + pg + `, "datasets": ["credits", "touchpoints"], "pii": "omit"}`, 201, `"datasets":["touchpoints","credits"]`},
		{"same name", "POST", "/api/tenants/acme/warehouse/destinations", `{"name": "dw", "kind": "postgres", ` + pg + `}`, 409, "exists already"},
		{"listed without credentials", "GET", "/api/tenants/acme/warehouse/destinations", "", 200, `"schedule":"@every 1h"`},
		{"id not a number", "GET", "/api/tenants/acme/warehouse/destinations/x", "", 404, "no warehouse destination"},
		{"another tenant's", "GET", "/api/tenants/other/warehouse/destinations/1", "", 404, "no warehouse destination 1"},
		{"rename refused", "PUT", "/api/tenants/acme/warehouse/destinations/1", `{"name": "dw2"}`, 400, "cannot be renamed"},
		{"kind change refused", "PUT", "/api/tenants/acme/warehouse/destinations/1", `{"kind": "s3"}`, 400, "kind cannot change"},
		{"updated, credentials kept", "PUT", "/api/tenants/acme/warehouse/destinations/1", `{"schedule": "0 3 * * *", "enabled": false}`, 200, `"datasets":["touchpoints","credits"],"schedule":"0 3 * * *"`},
		{"check", "POST", "/api/tenants/acme/warehouse/destinations/1/check", "", 200, `"ok":true`},
		{"bad backfill date", "POST", "/api/tenants/acme/warehouse/destinations/1/export", `{"from": "yesterday"}`, 400, "from must be a date"},
		{"backfill unknown key", "POST", "/api/tenants/acme/warehouse/destinations/1/export", `{"since": "2026-01-01"}`, 400, `unknown field \"since\"`},
		{"bad limit", "GET", "/api/tenants/acme/warehouse/destinations/1/runs?limit=0", "", 400, "limit must be"},
		{"export now", "POST", "/api/tenants/acme/warehouse/destinations/1/export", "", 202, `"started"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Fatalf("%s %s: %d %s, want %d with %q", tt.method, tt.path, rec.Code, rec.Body, tt.status, tt.want)
			}
			if strings.Contains(rec.Body.String(), "srg:srg@") {
				t.Fatalf("answer shows the credentials: %s", rec.Body)
			}
		})
	}
	apptest.Eventually(t, "the export run", func() bool {
		runs, _ := f.svc.Runs(f.ctx, f.tenantID, 1, 10)
		return len(runs) == 1 && runs[0].Status == RunOK && runs[0].Rows[Touchpoints] == 3
	})
	var actions []string
	f.scoped().Raw(`SELECT action FROM audit_log WHERE tenant_id = ? ORDER BY id`, f.tenantID).Scan(&actions)
	want := "warehouse.destination_added,warehouse.destination_updated,warehouse.exported"
	if strings.Join(actions, ",") != want {
		t.Errorf("audit log %v, want %s", actions, want)
	}
}

func TestPages(t *testing.T) {
	f := newFixture(t)
	seed(f)
	h := f.module()
	form := func(kv ...string) url.Values {
		v := url.Values{"_csrf": {"csrf-token"}}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	creds, _ := json.Marshal(pgCredentials{URL: f.destURL})
	scenarios := []apptest.Scenario{
		{Name: "empty", Method: "GET", Path: "/t/acme/settings/warehouse", Status: 200, Want: []string{"Send your data to your warehouse", `value="touchpoints" checked`}},
		{Name: "unknown tenant", Method: "GET", Path: "/t/nope/settings/warehouse", Status: 404},
		{Name: "no dataset", Method: "POST", Path: "/t/acme/settings/warehouse", Form: form("name", "dw", "kind", "postgres", "credentials", string(creds)),
			Status: 400, Want: []string{"choose at least one dataset"}},
		{Name: "credentials not JSON", Method: "POST", Path: "/t/acme/settings/warehouse", Form: form("name", "dw", "kind", "postgres", "credentials", `{"url":`, "datasets", "credits"),
			Status: 400, Want: []string{"credentials must be a JSON object", `{&#34;url&#34;:`}},
		{Name: "bad pii", Method: "POST", Path: "/t/acme/settings/warehouse", Form: form("name", "dw", "kind", "postgres", "credentials", string(creds), "datasets", "credits", "pii", "x"),
			Status: 400, Want: []string{"pii must be"}},
		{Name: "added", Method: "POST", Path: "/t/acme/settings/warehouse", Form: form("name", "dw", "kind", "postgres", "credentials", string(creds),
			"datasets", "touchpoints", "datasets", "people", "pii", "export", "enabled", "on"), Status: 303},
		{Name: "listed", Method: "GET", Path: "/t/acme/settings/warehouse", Status: 200, Want: []string{`href="/t/acme/settings/warehouse/1"`, "touchpoints, people"}},
		{Name: "detail", Method: "GET", Path: "/t/acme/settings/warehouse/1?done=added", Status: 200, Want: []string{"Destination added", "not exported yet", "No run yet"}},
		{Name: "another tenant's", Method: "GET", Path: "/t/other/settings/warehouse/1", Status: 404},
		{Name: "test connection", Method: "POST", Path: "/t/acme/settings/warehouse/1/check", Form: form(), Status: 200, Want: []string{"connected: dw can be written"}},
		{Name: "edit bad schedule", Method: "POST", Path: "/t/acme/settings/warehouse/1", Form: form("datasets", "touchpoints", "schedule", "often"), Status: 400, Want: []string{"schedule"}},
		{Name: "edit", Method: "POST", Path: "/t/acme/settings/warehouse/1", Form: form("datasets", "touchpoints", "schedule", "@every 6h", "pii", "omit"), Status: 303},
		{Name: "bad backfill date", Method: "POST", Path: "/t/acme/settings/warehouse/1/export", Form: form("from", "31/01/2026"), Status: 400, Want: []string{"from must be a date"}},
		{Name: "backfill", Method: "POST", Path: "/t/acme/settings/warehouse/1/export", Form: form("from", "2020-01-01"), Status: 303},
	}
	for _, sc := range scenarios {
		sc.Run(t, h)
	}
	apptest.Eventually(t, "the export run", func() bool {
		runs, _ := f.svc.Runs(f.ctx, f.tenantID, 1, 10)
		return len(runs) == 1 && runs[0].Status == RunOK && runs[0].Trigger == TriggerBackfill
	})
	d, _ := f.svc.Destination(f.ctx, f.tenantID, 1)
	if d.Schedule != "@every 6h" || d.PII != PIIOmit || d.Enabled || strings.Join(d.Datasets, ",") != "touchpoints" {
		t.Errorf("saved %+v", d)
	}
	apptest.Scenario{Name: "run log", Method: "GET", Path: "/t/acme/settings/warehouse/1", Status: 200, Want: []string{"backfill from 2020-01-01", "touchpoints 3"}}.Run(t, h)
	apptest.Scenario{Name: "deleted", Method: "POST", Path: "/t/acme/settings/warehouse/1/delete", Form: form(), Status: 303}.Run(t, h)
	apptest.Scenario{Name: "gone", Method: "GET", Path: "/t/acme/settings/warehouse/1", Status: 404}.Run(t, h)
}
