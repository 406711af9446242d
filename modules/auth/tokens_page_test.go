package auth_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
)

var tokenSecret = regexp.MustCompile(`srg_[A-Za-z0-9_-]{43}`)

func TestTokensPage(t *testing.T) {
	en := newEnv(t, envOptions{})
	ann, bob := en.browser(), en.browser()
	ann.SignIn(annEmail, annPassword, annPhone)
	bob.SignIn(bobEmail, bobPassword, bobPhone)
	const page = "/t/acme/settings/tokens"

	r := ann.Get(page)
	mustContain(t, "empty", r, "No API tokens yet", `<option value="viewer" selected>viewer</option>`)
	r = ann.Post(page, url.Values{"name": {"loader"}, "role": {"marketer"}})
	if r.Status != http.StatusCreated || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %q\n%s", r.Status, r.Header.Get("Cache-Control"), r.Body)
	}
	mustContain(t, "created", r, "shown this once", "acts with the marketer role")
	secret := tokenSecret.FindString(r.Body)
	if secret == "" {
		t.Fatalf("no secret shown:\n%s", r.Body)
	}
	if n := en.count(`SELECT count(*) FROM api_tokens WHERE token_hash = sha256(convert_to(?, 'UTF8')) AND role = 'marketer'`, secret); n != 1 {
		t.Fatal("the shown token is not the stored one")
	}
	r = ann.Get(page)
	mustContain(t, "listed", r, "<td>loader</td>", "<td>marketer</td>", annEmail, "Revoke")
	if strings.Contains(r.Body, secret) {
		t.Fatal("the secret is shown again")
	}

	var id string
	apptest.System(en.db).Raw(`SELECT id::text FROM api_tokens WHERE name = 'loader'`).Scan(&id)
	ann.Get("/t/globex/settings/tokens")
	if r := ann.Post("/t/globex/settings/tokens", url.Values{"name": {"globex job"}, "role": {"viewer"}}); r.Status != http.StatusCreated {
		t.Fatalf("globex token: %d %s", r.Status, r.Body)
	}
	var globexID string
	apptest.System(en.db).Raw(`SELECT id::text FROM api_tokens WHERE name = 'globex job'`).Scan(&globexID)

	ann.Get(page)
	bob.Get(page)
	tests := []struct {
		name   string
		b      *browser
		path   string
		form   url.Values
		status int
		want   []string
	}{
		{"empty name", ann, page, url.Values{"name": {"  "}, "role": {"viewer"}}, 400, []string{"name the token", `name="name" maxlength="100" required value="  " placeholder="warehouse loader" aria-invalid="true"`}},
		{"long name", ann, page, url.Values{"name": {strings.Repeat("n", 101)}, "role": {"viewer"}}, 400, []string{"at most 100 characters"}},
		{"unknown role", ann, page, url.Values{"name": {"x"}, "role": {"god"}}, 400, []string{"role must be one of", `id="role" name="role" aria-invalid="true"`}},
		{"no role", ann, page, url.Values{"name": {"x"}}, 400, []string{"role must be one of"}},
		{"role above own", bob, page, url.Values{"name": {"x"}, "role": {"marketer"}}, 403, []string{"may not be above your own (analyst)", `value="x"`}},
		{"role above own in another tenant", ann, "/t/globex/settings/tokens", url.Values{"name": {"x"}, "role": {"analyst"}}, 403, []string{"(viewer)"}},
		{"unknown tenant", ann, "/t/nope/settings/tokens", url.Values{"name": {"x"}, "role": {"viewer"}}, 404, nil},
		{"revoke a token of another tenant", ann, page + "/" + globexID + "/revoke", url.Values{}, 404, []string{"no token"}},
		{"revoke a malformed id", ann, page + "/x1/revoke", url.Values{}, 400, []string{"is not a positive integer"}},
		{"revoke without the CSRF token", ann, page + "/" + id + "/revoke", url.Values{"_csrf": {"forged"}}, 403, nil},
		{"revoke", ann, page + "/" + id + "/revoke", url.Values{}, http.StatusSeeOther, nil},
		{"revoke again", ann, page + "/" + id + "/revoke", url.Values{}, http.StatusSeeOther, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.b.Post(tt.path, tt.form)
			if r.Status != tt.status {
				t.Fatalf("%d, want %d\n%s", r.Status, tt.status, r.Body)
			}
			mustContain(t, tt.name, r, tt.want...)
		})
	}
	mustContain(t, "revoked", ann.Get(page+"?done=revoked"), "Token revoked", `<span class="tag">revoked`)
	if r := en.browser().Do(http.MethodGet, "/api/tenants/acme/tokens", nil, bearer(secret)); r.Status != http.StatusUnauthorized {
		t.Fatalf("the revoked token still works: %d", r.Status)
	}
	if n := en.count(`SELECT count(*) FROM api_tokens`); n != 2 {
		t.Errorf("%d tokens, want the 2 made", n)
	}
	if n := en.count(`SELECT count(*) FROM audit_log WHERE action IN ('token.created', 'token.revoked') AND remote_addr <> ''`); n != 3 {
		t.Errorf("%d token changes audited, want 3", n)
	}
}
