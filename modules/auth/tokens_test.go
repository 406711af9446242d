package auth_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/auth"
)

// createToken makes an API token as the signed-in browser b.
func createToken(t *testing.T, b *browser, tenant, name, role string) auth.NewToken {
	t.Helper()
	r := b.Do(http.MethodPost, "/api/tenants/"+tenant+"/tokens", strings.NewReader(`{"name":"`+name+`","role":"`+role+`"}`),
		map[string]string{"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": b.CSRF})
	if r.Status != http.StatusCreated {
		t.Fatalf("create token: %d %s", r.Status, r.Body)
	}
	var tok auth.NewToken
	if err := json.Unmarshal([]byte(r.Body), &tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

func bearer(secret string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + secret, "Accept": "application/json"}
}

func TestAPITokens(t *testing.T) {
	en := newEnv(t, envOptions{})
	ann := en.browser()
	ann.SignIn(annEmail, annPassword, annPhone)
	ann.Get("/account")
	tok := createToken(t, ann, "acme", "warehouse loader", "marketer")
	if !strings.HasPrefix(tok.Secret, "srg_") || tok.Role != "marketer" || tok.CreatedBy != annEmail || tok.ID == 0 {
		t.Fatalf("new token %+v", tok)
	}
	if n := en.count(`SELECT count(*) FROM api_tokens WHERE token_hash = sha256(convert_to(?, 'UTF8'))`, tok.Secret); n != 1 {
		t.Fatal("the token is not stored as its SHA-256")
	}
	api := en.browser()
	r := api.Do(http.MethodGet, "/api/tenants/acme/tokens", nil, bearer(tok.Secret))
	if r.Status != http.StatusOK || strings.Contains(r.Body, tok.Secret) || !strings.Contains(r.Body, `"name":"warehouse loader"`) {
		t.Fatalf("list with the token: %d %s", r.Status, r.Body)
	}
	if r := api.Do(http.MethodGet, "/api/v1/tenants/acme/tokens", nil, bearer(tok.Secret)); r.Status != http.StatusOK {
		t.Fatalf("versioned prefix: %d %s", r.Status, r.Body)
	}
	if n := en.count(`SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL`); n != 1 {
		t.Fatal("last_used_at not recorded")
	}
	if r := api.Do(http.MethodGet, "/api/tenants/globex/tokens", nil, bearer(tok.Secret)); r.Status != http.StatusNotFound {
		t.Fatalf("a token of acme in globex: %d", r.Status)
	}

	bob := en.browser()
	bob.SignIn(bobEmail, bobPassword, bobPhone)
	bob.Get("/account")
	badRequests := []struct {
		name, tenant, body string
		b                  *browser
		status             int
		want               string
	}{
		{"role above own", "acme", `{"name":"x","role":"marketer"}`, bob, http.StatusForbidden, "a token's role may not be above your own (analyst)"},
		{"role above own in another tenant", "globex", `{"name":"x","role":"analyst"}`, ann, http.StatusForbidden, "(viewer)"},
		{"unknown role", "acme", `{"name":"x","role":"god"}`, ann, http.StatusBadRequest, "role must be one of owner, admin, marketer, analyst, viewer"},
		{"empty name", "acme", `{"name":"  ","role":"viewer"}`, ann, http.StatusBadRequest, "name the token"},
		{"oversized name", "acme", `{"name":"` + strings.Repeat("n", 101) + `","role":"viewer"}`, ann, http.StatusBadRequest, "at most 100 characters"},
		{"unknown key", "acme", `{"name":"x","role":"viewer","admin":true}`, ann, http.StatusBadRequest, `unknown field \"admin\"`},
		{"not json", "acme", `name=x`, ann, http.StatusBadRequest, "the body is not a token object"},
		{"oversized body", "acme", `{"name":"` + strings.Repeat("n", 70<<10) + `"}`, ann, http.StatusBadRequest, "the request body is over 64 KB"},
		{"unknown tenant", "nope", `{"name":"x","role":"viewer"}`, ann, http.StatusNotFound, "no tenant"},
	}
	for _, tt := range badRequests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.b.Do(http.MethodPost, "/api/tenants/"+tt.tenant+"/tokens", strings.NewReader(tt.body),
				map[string]string{"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": tt.b.CSRF})
			if r.Status != tt.status || !strings.Contains(r.Body, tt.want) {
				t.Fatalf("%d %s, want %d %q", r.Status, r.Body, tt.status, tt.want)
			}
		})
	}
	if r := api.Do(http.MethodPost, "/api/tenants/acme/tokens", strings.NewReader(`{"name":"x","role":"viewer"}`), bearer(tok.Secret)); r.Status != http.StatusForbidden {
		t.Fatalf("a token made a token: %d %s", r.Status, r.Body)
	}

	authTests := []struct {
		name, path string
		header     map[string]string
		want       string
	}{
		{"malformed token", "/api/tenants/acme/tokens", bearer("srg_short"), "the API token is not valid"},
		{"unknown token", "/api/tenants/acme/tokens", bearer("srg_" + strings.Repeat("A", 43)), "the API token is not valid"},
		{"other scheme", "/api/tenants/acme/tokens", map[string]string{"Authorization": "Basic YTpi", "Accept": "application/json"}, "sign in, or send an API token"},
		{"someone else's bearer token", "/api/tenants/acme/tokens", bearer("eyJhbGciOi.x.y"), "the API token is not valid"},
		{"outside the api", "/account", bearer(tok.Secret), "API tokens are accepted only under /api/"},
	}
	for _, tt := range authTests {
		t.Run(tt.name, func(t *testing.T) {
			r := api.Do(http.MethodGet, tt.path, nil, tt.header)
			if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, tt.want) || r.Header.Get("WWW-Authenticate") != `Bearer realm="srg"` {
				t.Fatalf("%d %s, want 401 %q", r.Status, r.Body, tt.want)
			}
		})
	}

	other := createToken(t, ann, "globex", "globex job", "viewer")
	revoke := func(tenant, id string) response {
		return ann.Do(http.MethodDelete, "/api/tenants/"+tenant+"/tokens/"+id, nil, map[string]string{"X-CSRF-Token": ann.CSRF, "Accept": "application/json"})
	}
	if r := revoke("acme", strconv.FormatInt(other.ID, 10)); r.Status != http.StatusNotFound {
		t.Fatalf("revoking globex's token under acme: %d", r.Status)
	}
	if r := revoke("acme", "x1"); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "is not a positive integer") {
		t.Fatalf("bad id: %d %s", r.Status, r.Body)
	}
	en.clock.Advance(time.Minute)
	for i := 0; i < 2; i++ {
		if r := revoke("acme", strconv.FormatInt(tok.ID, 10)); r.Status != http.StatusNoContent {
			t.Fatalf("revoke #%d: %d %s", i+1, r.Status, r.Body)
		}
	}
	if r := api.Do(http.MethodGet, "/api/tenants/acme/tokens", nil, bearer(tok.Secret)); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked token still works: %d", r.Status)
	}
	r = ann.Do(http.MethodGet, "/api/tenants/acme/tokens", nil, map[string]string{"Accept": "application/json"})
	var list struct{ Tokens []auth.Token }
	if err := json.Unmarshal([]byte(r.Body), &list); err != nil || len(list.Tokens) != 1 || list.Tokens[0].RevokedAt == nil {
		t.Fatalf("list after revoke: %s", r.Body)
	}
	for action, n := range map[string]int{"token.created": 2, "token.revoked": 1} {
		if got := en.count(`SELECT count(*) FROM audit_log WHERE action = ? AND remote_addr <> '' AND tenant_id IS NOT NULL`, action); got != n {
			t.Errorf("%s audited %d times, want %d", action, got, n)
		}
	}
}
