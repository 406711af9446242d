package attribution_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/attribution"
)

// settingsForm is a valid submission of the settings page; each scenario changes it.
func settingsForm() url.Values {
	return url.Values{"default_model": {"linear"}, "models": {"first_touch", "markov"}, "lookback_days": {"60"},
		"touchpoint_types": {"pageview", "form"}, "exclude_channels": {"Direct, Other"}, "half_life_days": {"7"}, "markov_order": {"1"},
		"custom_first": {"30"}, "custom_lead": {"30"}, "custom_opportunity": {"30"}, "custom_closed_won": {"0"}, "custom_middle": {"10"},
		"_csrf": {"csrf-token"}}
}

func TestSettingsPage(t *testing.T) {
	env := newEnv(t)
	m := attribution.New(attribution.Deps{DB: env.db, Store: store{env.es}, Tenants: oneTenant{env.tenant}, Log: apptest.Logger(t)})
	t.Cleanup(func() { m.Close() })
	e := apptest.Echo(t)
	e.Use(apptest.AsUser(3, "ann@acme.example"))
	web.NewRouter(e, apptest.AllowAll{}, oneTenant{env.tenant}).Mount(m.Routes()...)
	do := func(method, path string, form url.Values) *httptest.ResponseRecorder {
		return apptest.Do(e, method, path, form)
	}
	with := func(key string, values ...string) url.Values {
		f := settingsForm()
		if values == nil {
			f.Del(key)
		} else {
			f[key] = values
		}
		return f
	}
	scenarios := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"lookback not a number", with("lookback_days", "ninety"), 400, "lookback_days: &#34;ninety&#34; is not a whole number"},
		{"lookback out of range", with("lookback_days", "0"), 400, "must be from 1 to 730"},
		{"unknown model", with("default_model", "magic"), 400, "unknown model &#34;magic&#34;"},
		{"no event type", with("touchpoint_types"), 400, "at least one event type"},
		{"unknown event type", with("touchpoint_types", "click"), 400, "unknown event type"},
		{"half-life not a number", with("half_life_days", "a week"), 400, "not a number"},
		{"markov order", with("markov_order", "9"), 400, "markov_order"},
		{"valid", settingsForm(), http.StatusSeeOther, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			rec := do(http.MethodPost, "/t/acme/settings/attribution", sc.form)
			if rec.Code != sc.status || !strings.Contains(rec.Body.String(), sc.want) {
				t.Fatalf("%d, want %d with %q:\n%s", rec.Code, sc.status, sc.want, rec.Body.String())
			}
			if sc.status == 400 && !strings.Contains(rec.Body.String(), `name="_csrf" value="csrf-token"`) {
				t.Error("the form shown again lost its CSRF token")
			}
		})
	}
	rec := do(http.MethodGet, "/t/acme/settings/attribution?saved=1", nil)
	body := rec.Body.String()
	for _, want := range []string{"Saved.", `<option value="linear" selected>`, `value="markov" checked`, `value="60"`, "Direct, Other", `name="_csrf" value="csrf-token"`} {
		if rec.Code != 200 || !strings.Contains(body, want) {
			t.Errorf("settings page after saving: %d, lacks %q", rec.Code, want)
		}
	}
	if strings.Contains(body, `value="last_touch" checked`) {
		t.Error("a model left unchecked is still computed")
	}
	if rec := do(http.MethodGet, "/t/nope/settings/attribution", nil); rec.Code != 404 {
		t.Errorf("unknown tenant: %d", rec.Code)
	}
}
