package attribution_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/attribution"
)

type allowAll struct{}

func (allowAll) Authorize(echo.Context, web.Permission) error { return nil }

type oneTenant struct{ id int64 }

func (o oneTenant) TenantID(_ context.Context, slug string) (int64, error) {
	if slug != "acme" {
		return 0, errs.NotFound("no tenant %q", slug)
	}
	return o.id, nil
}

func (o oneTenant) All(context.Context) (map[int64]string, error) {
	return map[int64]string{o.id: "acme"}, nil
}

func TestHTTPScenarios(t *testing.T) {
	env := newEnv(t)
	m := attribution.New(attribution.Deps{DB: env.db, Store: store{env.es}, Tenants: oneTenant{env.tenant}, Log: apptest.Logger(t)})
	t.Cleanup(func() { m.Close() })
	e := web.NewEcho(apptest.Logger(t), prometheus.NewRegistry(), nil)
	web.NewRouter(e, allowAll{}, oneTenant{env.tenant}).Mount(m.Routes()...)
	scenarios := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"defaults", "GET", "/api/tenants/acme/attribution/settings", "", 200, `"default_model":"w_shaped"`},
		{"unknown tenant", "GET", "/api/tenants/nope/attribution/settings", "", 404, "no tenant"},
		{"malformed", "PUT", "/api/tenants/acme/attribution/settings", `{"lookback_days":`, 400, "not a settings object"},
		{"unknown key", "PUT", "/api/tenants/acme/attribution/settings", `{"lookback":30}`, 400, "unknown field"},
		{"invalid", "PUT", "/api/tenants/acme/attribution/settings", `{"lookback_days":0}`, 400, "lookback_days"},
		{"set", "PUT", "/api/tenants/acme/attribution/settings", `{"default_model":"linear","models":["first_touch"],"lookback_days":30}`, 200, `"lookback_days":30`},
		// The settings change started a recompute; this one waits for it or goes first.
		{"recompute", "POST", "/api/tenants/acme/attribution/recompute", "", 200, `"opportunities":`},
		{"recompute again", "POST", "/api/tenants/acme/attribution/recompute", "", 200, `"changed":0`},
		{"weights before any data-driven model", "GET", "/api/tenants/acme/attribution/weights", "", 200, `"weights":[]`},
		{"bad markov order", "PUT", "/api/tenants/acme/attribution/settings", `{"default_model":"markov","markov_order":5}`, 400, "markov_order"},
		{"data-driven", "PUT", "/api/tenants/acme/attribution/settings", `{"default_model":"markov","models":["shapley"],"markov_order":2}`, 200, `"markov_order":2`},
		{"recompute data-driven", "POST", "/api/tenants/acme/attribution/recompute", "", 200, `"opportunities":`},
		{"weights", "GET", "/api/tenants/acme/attribution/weights", "", 200, `"channel":"Paid Search"`},
		{"scoreboard", "GET", "/api/tenants/acme/attribution/scoreboard", "", 200, `"scores":`},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			req := httptest.NewRequest(s.method, s.path, strings.NewReader(s.body))
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != s.status || !strings.Contains(string(body), s.want) {
				t.Fatalf("%s %s: %d %s (want %d with %q)", s.method, s.path, rec.Code, body, s.status, s.want)
			}
		})
	}
	if got := env.credits(t); len(got) != 2 || got["markov"] == nil || got["shapley"] == nil {
		t.Fatalf("credits after recompute with the new settings: %v", got)
	}
}
