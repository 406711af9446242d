package app_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/modules/auth/authtest"
)

var temporaryShown = regexp.MustCompile(`id="temporary-password">([a-z0-9-]+)</pre>`)

// TestPasswordResetThroughThePlatform has the declared owner add a member on the users
// page and reset their password, and the member sign in with it, choose their own
// password first, and reach the dashboard: the users page, the auth module's reset and
// its hold on the next session, wired as srg serves them.
func TestPasswordResetThroughThePlatform(t *testing.T) {
	cfg, fake := authConfig(t)
	p := build(t, cfg)
	owner, _ := signedIn(t, p, fake)
	const (
		email = "mia@demo.example"
		phone = "+15555550123"
	)
	owner.Get("/t/demo/settings/users")
	r := owner.Post("/t/demo/settings/users", url.Values{"email": {email}, "name": {"Mia"}, "role": {"marketer"}, "phone": {phone}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add a member: %d\n%s", r.Status, r.Body)
	}
	ids := apptest.IDs(t, p.DB, `SELECT email, id FROM users`)
	page := owner.Get("/t/demo/settings/users")
	if !strings.Contains(page.Body, "Reset password") {
		t.Fatalf("the users page offers no reset:\n%s", page.Body)
	}
	r = owner.Post("/t/demo/settings/users/"+strconv.FormatInt(ids[email], 10)+"/password-reset", nil)
	m := temporaryShown.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("reset: %d\n%s", r.Status, r.Body)
	}
	temporary := m[1]
	var audited int
	apptest.System(p.DB).Raw(`SELECT count(*) FROM audit_log a JOIN tenants t ON t.id = a.tenant_id
		WHERE t.slug = 'demo' AND a.action = 'member.password_reset' AND a.target = ?`, email).Scan(&audited)
	if audited != 1 {
		t.Fatalf("the reset is audited %d times in the tenant's log", audited)
	}

	mia := authtest.New(t, owner.Base, codeFrom(t, fake))
	mia.SignIn(email, temporary, phone)
	if r := mia.Get("/t/demo/dashboard"); r.Status != http.StatusSeeOther || r.Location() != "/account/new-password?next=%2Ft%2Fdemo%2Fdashboard" {
		t.Fatalf("dashboard before choosing a password: %d %s", r.Status, r.Location())
	}
	mia.Get("/account/new-password?next=%2Ft%2Fdemo%2Fdashboard")
	r = mia.Post("/account/new-password", url.Values{"new": {"mia's own passphrase"}, "confirm": {"mia's own passphrase"}, "next": {"/t/demo/dashboard"}})
	if r.Status != http.StatusSeeOther || r.Location() != "/t/demo/dashboard" {
		t.Fatalf("choose a password: %d %s\n%s", r.Status, r.Location(), r.Body)
	}
	if r := mia.Get("/t/demo/dashboard"); r.Status != http.StatusOK {
		t.Fatalf("dashboard after choosing a password: %d", r.Status)
	}
	// A marketer may read the users page but not reset anyone.
	mia.Get("/t/demo/settings/users")
	if r := mia.Post("/t/demo/settings/users/"+strconv.FormatInt(ids[adminEmail], 10)+"/password-reset", nil); r.Status != http.StatusForbidden {
		t.Fatalf("a marketer resets the owner's password: %d", r.Status)
	}
}
