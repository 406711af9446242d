package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/modules/sync/hubspot/hubspotfake"
)

func TestSyncCommands(t *testing.T) {
	cfg := apptest.Config(t)
	db := apptest.DB(t, cfg)
	env := stackEnviron(t, cfg, "SRG_LOG_LEVEL=warn")
	conf := writeFile(t, "tenants:\n  - {slug: acme, name: Acme}\n")
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hs := hubspotfake.New(hubspotfake.Options{})
	t.Cleanup(hs.Close)
	hs.Seed(30, 5, 8)
	hsSettings := file("hs.settings.json", `{"base_url":"`+hs.URL+`","token_url":"`+hs.TokenURL+`","touchpoint_object":"p_srg_touchpoints","requests_per_second":1000,"search_requests_per_second":1000}`)
	goodCSV := file("good.csv", "id,email,first_name\nc1,ann@acme.com,Ann\nc2,bob@acme.com,Bob\n")
	badCSV := file("bad.csv", "id,email\nc1,ann@acme.com\nc2,not-an-email\n")
	steps := []struct {
		name   string
		args   []string
		code   int
		output string
	}{
		{"connect without tenant", []string{"connect", "hubspot", "--credentials", goodCSV}, 2, "--tenant is required"},
		{"connect without credentials", []string{"connect", "hubspot", "--tenant", "acme"}, 2, "--credentials is required"},
		{"connect unknown source", []string{"connect", "pipedrive", "--tenant", "acme", "--credentials", file("c.json", `{"x":"y"}`)}, 1, `unknown source "pipedrive"`},
		{"connect unreadable credentials", []string{"connect", "hubspot", "--tenant", "acme", "--credentials", filepath.Join(dir, "missing.json")}, 1, "no such file"},
		{"connect malformed credentials", []string{"connect", "salesforce", "--tenant", "acme", "--credentials", file("bad.json", `{"x":`)}, 1, "credentials must be a JSON object"},
		{"sync unknown tenant", []string{"sync", "--tenant", "nope"}, 1, `no tenant "nope"`},
		{"sync unknown connector", []string{"sync", "salesforce", "--tenant", "acme"}, 1, "no salesforce connector"},
		{"import unknown kind", []string{"import", "deals", goodCSV, "--tenant", "acme"}, 2, "deals"},
		{"import without file", []string{"import", "contacts", "--tenant", "acme"}, 2, "want KIND FILE"},
		{"import with errors", []string{"import", "contacts", badCSV, "--tenant", "acme"}, 1, "line 3"},
		{"import", []string{"import", "contacts", goodCSV, "--tenant", "acme"}, 0, "imported 2 contacts"},
		{"connect with a refused token", []string{"connect", "hubspot", "--tenant", "acme", "--credentials", file("hs-both.json", `{"access_token":"pat-na1-fake","client_id":"c"}`), "--settings", hsSettings}, 1, "credentials"},
		{"connect hubspot", []string{"connect", "hubspot", "--tenant", "acme", "--credentials", file("hs.json", `{"access_token":"pat-na1-fake"}`), "--settings", hsSettings, "--schedule", "@every 30m"}, 0, "connected hubspot"},
		{"sync hubspot", []string{"sync", "hubspot", "--tenant", "acme"}, 0, `"contact": 30`},
		{"recompute with arguments", []string{"recompute", "now", "--tenant", "acme"}, 2, "takes no arguments"},
		{"recompute", []string{"recompute", "--tenant", "acme", "--full"}, 0, `"full": true`},
		{"list connectors", []string{"sync", "--tenant", "acme"}, 0, "hubspot  ok      @every 30m"},
		{"revoked token", []string{"connect", "hubspot", "--tenant", "acme", "--credentials", file("hs-revoked.json", `{"access_token":"pat-revoked"}`), "--settings", hsSettings}, 0, "connected"},
		{"sync with a revoked token", []string{"sync", "hubspot", "--tenant", "acme"}, 1, "needs_reauth"},
	}
	for _, s := range steps {
		code, stdout, stderr := runCLI(env, append(s.args, "--config", conf)...)
		if code != s.code || !strings.Contains(stdout+stderr, s.output) {
			t.Fatalf("%s: exit %d (want %d)\nstdout: %s\nstderr: %s", s.name, code, s.code, stdout, stderr)
		}
		if s.name == "import with errors" {
			var n int
			apptest.System(db).Raw(`SELECT count(*) FROM crm_contacts`).Scan(&n)
			if n != 0 {
				t.Fatalf("a file with an error imported %d rows", n)
			}
		}
	}
	var emails []string
	apptest.System(db).Raw(`SELECT email FROM crm_contacts WHERE source = 'csv' ORDER BY email`).Scan(&emails)
	if strings.Join(emails, ",") != "ann@acme.com,bob@acme.com" {
		t.Fatalf("imported emails = %v", emails)
	}
}
