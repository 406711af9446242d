package auth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCSRF sends state-changing requests of a signed-in browser with and without the
// token; only API-token requests and routes declared CrossOrigin go without one.
func TestCSRF(t *testing.T) {
	en := newEnv(t, envOptions{})
	b := en.browser()
	b.SignIn(annEmail, annPassword, annPhone)
	b.Get("/account")
	token := b.CSRF
	apiToken := createToken(t, b, "acme", "ci", "viewer").Secret
	const refused = "The form expired or did not come from this site"
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		want                     string
	}{
		{"form without token", http.MethodPost, "/account/password", "current=x", map[string]string{"Content-Type": form}, http.StatusForbidden, refused},
		{"form with a wrong token", http.MethodPost, "/account/password", "_csrf=forged&current=x", map[string]string{"Content-Type": form}, http.StatusForbidden, refused},
		{"header with a wrong token", http.MethodPost, "/api/tenants/acme/things", "", map[string]string{"X-CSRF-Token": "forged"}, http.StatusForbidden, refused},
		{"api without token", http.MethodPost, "/api/tenants/acme/things", "", nil, http.StatusForbidden, refused},
		{"cross-site browser request", http.MethodPost, "/api/tenants/acme/things", "", map[string]string{"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": token}, http.StatusForbidden, "cross-site request blocked"},
		{"sign-in form without token", http.MethodPost, "/login", "email=a%40b.example&password=x", map[string]string{"Content-Type": form}, http.StatusForbidden, refused},
		{"sign out without token", http.MethodPost, "/logout", "", nil, http.StatusForbidden, refused},
		{"form with the token", http.MethodPost, "/account/password", "_csrf=" + url.QueryEscape(token) + "&current=x", map[string]string{"Content-Type": form}, http.StatusBadRequest, "The password must have at least 12 characters."},
		{"header with the token", http.MethodPost, "/api/tenants/acme/things", "", map[string]string{"X-CSRF-Token": token}, http.StatusCreated, "made"},
		{"same-origin browser request", http.MethodPost, "/api/tenants/acme/things", "", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusCreated, "made"},
		{"api token", http.MethodPost, "/api/tenants/acme/things", "", map[string]string{"Authorization": "Bearer " + apiToken}, http.StatusCreated, "made"},
		{"cross-origin route", http.MethodPost, "/test/beacon", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusNoContent, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.Do(tt.method, tt.path, strings.NewReader(tt.body), tt.header)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", r.Status, tt.status, r.Body)
			}
			mustContain(t, tt.name, r, tt.want)
		})
	}
	r := b.Do(http.MethodPost, "/test/beacon", nil, nil)
	if strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), ";"), "srg_csrf") {
		t.Fatal("a cross-origin route set srg's CSRF cookie")
	}
}

// TestEveryStateChangingRouteChecksCSRF walks the module's routes: a signed-in browser
// without a token is refused on every one that changes state.
func TestEveryStateChangingRouteChecksCSRF(t *testing.T) {
	en := newEnv(t, envOptions{})
	b := en.browser()
	b.SignIn(annEmail, annPassword, annPhone)
	checked := 0
	for _, rt := range append(en.mod.Routes(), testRoutes...) {
		if rt.Method == http.MethodGet || rt.CrossOrigin {
			continue
		}
		path := strings.NewReplacer(":tenant", "acme", ":id", "1").Replace(rt.Path)
		r := b.Do(rt.Method, path, nil, map[string]string{"X-CSRF-Token": "forged"})
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "did not come from this site") {
			t.Errorf("%s %s without a valid CSRF token: %d", rt.Method, rt.Path, r.Status)
		}
		checked++
	}
	if checked < 8 {
		t.Fatalf("checked only %d routes", checked)
	}
}
