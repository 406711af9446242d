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

// tokenFactory builds a testSource from credentials {"token": "..."}.
func tokenFactory(pulls *atomic.Int32) syncer.Factory {
	return func(c connector.Config) (connector.Puller, error) {
		var cr struct{ Token string }
		if json.Unmarshal(c.Credentials, &cr) != nil || cr.Token == "" {
			return nil, errors.New("credentials: token is required")
		}
		return testSource{token: cr.Token, pulls: pulls}, nil
	}
}

func TestConnectorPages(t *testing.T) {
	cfg := apptest.Config(t)
	db := apptest.DB(t, cfg)
	var tenant, other int64
	db.Raw(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id`).Scan(&tenant)
	db.Raw(`INSERT INTO tenants (slug, name) VALUES ('other', 'Other') RETURNING id`).Scan(&other)
	box, _ := secrets.New(apptest.NewKey())
	pulls := &atomic.Int32{}
	factory := tokenFactory(pulls)
	m := syncer.New(syncer.Deps{DB: db, Box: box, Tenants: slugTenants{"acme": tenant, "other": other}, Log: apptest.Logger(t),
		Factories: map[connector.Kind]syncer.Factory{connector.HubSpot: factory, connector.Salesforce: factory}})
	t.Cleanup(func() { m.Close() })
	e := apptest.Echo(t)
	e.Use(apptest.AsUser(4, "ann@acme.example"))
	web.NewRouter(e, apptest.AllowAll{}, slugTenants{"acme": tenant, "other": other}).Mount(m.Routes()...)
	do := func(method, path string, form url.Values) *httptest.ResponseRecorder {
		return apptest.Do(e, method, path, form)
	}
	connect := func(kind, creds, schedule string) url.Values {
		return url.Values{"kind": {kind}, "credentials": {creds}, "settings": {"{}"}, "schedule": {schedule}, "_csrf": {"csrf-token"}}
	}
	scenarios := []apptest.Scenario{
		{Name: "empty", Method: "GET", Path: "/t/acme/settings/connectors", Status: 200, Want: []string{"Connect your CRM", `<option value="hubspot">`, `name="_csrf" value="csrf-token"`}},
		{Name: "unknown tenant", Method: "GET", Path: "/t/nope/settings/connectors", Status: 404},
		{Name: "credentials not JSON", Method: "POST", Path: "/t/acme/settings/connectors", Form: connect("hubspot", `{"token":`, ""), Status: 400, Want: []string{"credentials must be a JSON object", `{&#34;token&#34;:`}},
		{Name: "credentials a list", Method: "POST", Path: "/t/acme/settings/connectors", Form: connect("hubspot", `["x"]`, ""), Status: 400, Want: []string{"credentials must be a JSON object"}},
		{Name: "bad credentials", Method: "POST", Path: "/t/acme/settings/connectors", Form: connect("hubspot", `{}`, ""), Status: 400, Want: []string{"token is required"}},
		{Name: "bad schedule", Method: "POST", Path: "/t/acme/settings/connectors", Form: connect("hubspot", `{"token":"ok"}`, "often"), Status: 400, Want: []string{"schedule"}},
		{Name: "unknown source", Method: "POST", Path: "/t/acme/settings/connectors", Form: connect("zoho", `{"token":"ok"}`, ""), Status: 400, Want: []string{"unknown source"}},
		{Name: "connect", Method: "POST", Path: "/t/acme/settings/connectors", Form: connect("hubspot", `{"token":"ok"}`, "@every 1h"), Status: http.StatusSeeOther},
		{Name: "connect a refused source", Method: "POST", Path: "/t/acme/settings/connectors", Form: connect("salesforce", `{"token":"revoked"}`, ""), Status: http.StatusSeeOther},
		{Name: "connected", Method: "GET", Path: "/t/acme/settings/connectors?done=connected", Status: 200, Want: []string{"Connected.", "Hubspot", "<code>@every 1h</code>", "/t/acme/settings/connectors/hubspot/check"}},
		{Name: "credentials never shown", Method: "GET", Path: "/t/acme/settings/connectors", Status: 200},
		{Name: "test", Method: "POST", Path: "/t/acme/settings/connectors/hubspot/check", Form: url.Values{}, Status: 200, Want: []string{"hubspot: The source answered: 1 records in the first page of accounts."}},
		{Name: "test refused credentials", Method: "POST", Path: "/t/acme/settings/connectors/salesforce/check", Form: url.Values{}, Status: 200, Want: []string{"refused the credentials"}},
		{Name: "test a connector not connected", Method: "POST", Path: "/t/other/settings/connectors/hubspot/check", Form: url.Values{}, Status: 404},
		{Name: "sync now", Method: "POST", Path: "/t/acme/settings/connectors/hubspot/sync", Form: url.Values{}, Status: http.StatusSeeOther},
		{Name: "sync another tenant's connector", Method: "POST", Path: "/t/other/settings/connectors/hubspot/sync", Form: url.Values{}, Status: 404},
		{Name: "run log of another tenant", Method: "GET", Path: "/t/other/settings/connectors/hubspot", Status: 404},
		{Name: "disconnect", Method: "POST", Path: "/t/acme/settings/connectors/salesforce/disconnect", Form: url.Values{}, Status: http.StatusSeeOther},
		{Name: "disconnect again", Method: "POST", Path: "/t/acme/settings/connectors/salesforce/disconnect", Form: url.Values{}, Status: 404},
	}
	for _, sc := range scenarios {
		if body := sc.Run(t, e); strings.Contains(body, "revoked") && sc.Method == "GET" {
			t.Errorf("credentials shown: %s", body)
		}
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
	sys := apptest.System(db)
	var runs, accounts int
	sys.Raw(`SELECT count(*) FROM sync_runs WHERE tenant_id = ?`, tenant).Scan(&runs)
	sys.Raw(`SELECT count(*) FROM crm_accounts WHERE tenant_id = ?`, tenant).Scan(&accounts)
	if runs != 1 || accounts != 1 {
		t.Errorf("%d runs and %d accounts: the connection check must write nothing", runs, accounts)
	}
	var audited string
	sys.Raw(`SELECT string_agg(action || ' ' || target || ' ' || actor, ',' ORDER BY id) FROM audit_log WHERE action = 'connector.checked'`).Scan(&audited)
	if audited != "connector.checked hubspot user:4,connector.checked salesforce user:4" {
		t.Errorf("audit %q", audited)
	}
}
