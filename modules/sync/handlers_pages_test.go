package syncer_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/secrets"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/sync/connector"

	syncer "github.com/srgplatform/srg/modules/sync"
)

func TestConnectorPages(t *testing.T) {
	cfg := apptest.Config(t)
	db := apptest.DB(t, cfg)
	var tenant, other int64
	db.Raw(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id`).Scan(&tenant)
	db.Raw(`INSERT INTO tenants (slug, name) VALUES ('other', 'Other') RETURNING id`).Scan(&other)
	box, _ := secrets.New(apptest.NewKey())
	pulls := &atomic.Int32{}
	factory := func(c connector.Config) (connector.Puller, error) {
		var cr struct{ Token string }
		if json.Unmarshal(c.Credentials, &cr) != nil || cr.Token == "" {
			return nil, errors.New("credentials: token is required")
		}
		return testSource{token: cr.Token, pulls: pulls}, nil
	}
	m := syncer.New(syncer.Deps{DB: db, Box: box, Tenants: slugTenants{"acme": tenant, "other": other}, Log: apptest.Logger(t),
		Factories: map[connector.Kind]syncer.Factory{connector.HubSpot: factory, connector.Salesforce: factory}})
	t.Cleanup(func() { m.Close() })
	e := apptest.Echo(t)
	e.Use(apptest.AsUser(4, "ann@acme.example"))
	web.NewRouter(e, apptest.AllowAll{}).Mount(m.Routes()...)
	do := func(method, path string, form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	connect := func(kind, creds, schedule string) url.Values {
		return url.Values{"kind": {kind}, "credentials": {creds}, "settings": {"{}"}, "schedule": {schedule}, "_csrf": {"csrf-token"}}
	}
	scenarios := []struct {
		name, method, path string
		form               url.Values
		status             int
		want               []string
	}{
		{"empty", "GET", "/t/acme/settings/connectors", nil, 200, []string{"Connect your CRM", `<option value="hubspot">`, `name="_csrf" value="csrf-token"`}},
		{"unknown tenant", "GET", "/t/nope/settings/connectors", nil, 404, nil},
		{"credentials not JSON", "POST", "/t/acme/settings/connectors", connect("hubspot", `{"token":`, ""), 400, []string{"credentials must be a JSON object", `{&#34;token&#34;:`}},
		{"credentials a list", "POST", "/t/acme/settings/connectors", connect("hubspot", `["x"]`, ""), 400, []string{"credentials must be a JSON object"}},
		{"bad credentials", "POST", "/t/acme/settings/connectors", connect("hubspot", `{}`, ""), 400, []string{"token is required"}},
		{"bad schedule", "POST", "/t/acme/settings/connectors", connect("hubspot", `{"token":"ok"}`, "often"), 400, []string{"schedule"}},
		{"unknown source", "POST", "/t/acme/settings/connectors", connect("zoho", `{"token":"ok"}`, ""), 400, []string{"unknown source"}},
		{"connect", "POST", "/t/acme/settings/connectors", connect("hubspot", `{"token":"ok"}`, "@every 1h"), http.StatusSeeOther, nil},
		{"connect a refused source", "POST", "/t/acme/settings/connectors", connect("salesforce", `{"token":"revoked"}`, ""), http.StatusSeeOther, nil},
		{"connected", "GET", "/t/acme/settings/connectors?done=connected", nil, 200, []string{"Connected.", "Hubspot", "<code>@every 1h</code>", "/t/acme/settings/connectors/hubspot/check"}},
		{"credentials never shown", "GET", "/t/acme/settings/connectors", nil, 200, nil},
		{"test", "POST", "/t/acme/settings/connectors/hubspot/check", url.Values{}, 200, []string{"hubspot: The source answered: 1 records in the first page of accounts."}},
		{"test refused credentials", "POST", "/t/acme/settings/connectors/salesforce/check", url.Values{}, 200, []string{"refused the credentials"}},
		{"test a connector not connected", "POST", "/t/other/settings/connectors/hubspot/check", url.Values{}, 404, nil},
		{"sync now", "POST", "/t/acme/settings/connectors/hubspot/sync", url.Values{}, http.StatusSeeOther, nil},
		{"sync another tenant's connector", "POST", "/t/other/settings/connectors/hubspot/sync", url.Values{}, 404, nil},
		{"run log of another tenant", "GET", "/t/other/settings/connectors/hubspot", nil, 404, nil},
		{"disconnect", "POST", "/t/acme/settings/connectors/salesforce/disconnect", url.Values{}, http.StatusSeeOther, nil},
		{"disconnect again", "POST", "/t/acme/settings/connectors/salesforce/disconnect", url.Values{}, 404, nil},
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
			if strings.Contains(body, "revoked") && sc.method == "GET" {
				t.Errorf("credentials shown: %s", body)
			}
		})
	}
	// The check wrote nothing: the only mirror rows and runs are the manual sync's.
	deadline := time.Now().Add(30 * time.Second)
	for {
		rec := do("GET", "/t/acme/settings/connectors/hubspot", nil)
		if rec.Code == 200 && strings.Contains(rec.Body.String(), "account 1") && strings.Contains(rec.Body.String(), ">ok<") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run log never showed the manual run:\n%s", rec.Body.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var runs, accounts int
	db.Raw(`SELECT count(*) FROM sync_runs WHERE tenant_id = ?`, tenant).Scan(&runs)
	db.Raw(`SELECT count(*) FROM crm_accounts WHERE tenant_id = ?`, tenant).Scan(&accounts)
	if runs != 1 || accounts != 1 {
		t.Errorf("%d runs and %d accounts: the connection check must write nothing", runs, accounts)
	}
	var audited string
	db.Raw(`SELECT string_agg(action || ' ' || target || ' ' || actor, ',' ORDER BY id) FROM audit_log WHERE action = 'connector.checked'`).Scan(&audited)
	if audited != "connector.checked hubspot user:4,connector.checked salesforce user:4" {
		t.Errorf("audit %q", audited)
	}
}
