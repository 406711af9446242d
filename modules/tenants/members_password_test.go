package tenants_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/apptest"
)

// tablePasswords stands in for modules/auth's reset (whose own tests cover it, and the
// app's the two together): in the caller's transaction it marks the account and ends
// its sessions, and names the password after the user.
type tablePasswords struct{}

func (tablePasswords) ResetPassword(ctx context.Context, tx *gorm.DB, userID int64) (string, int64, error) {
	if err := tx.WithContext(ctx).Exec(`UPDATE users SET password_hash = 'reset', must_change_password = true WHERE id = ?`, userID).Error; err != nil {
		return "", 0, err
	}
	res := tx.WithContext(ctx).Exec(`DELETE FROM sessions WHERE user_id = ?`, userID)
	return fmt.Sprintf("temporary-of-%d", userID), res.RowsAffected, res.Error
}

func (tablePasswords) LiveTokensOf(ctx context.Context, tx *gorm.DB, userID int64) (int64, error) {
	var n int64
	err := tx.WithContext(ctx).Raw(`SELECT count(*) FROM api_tokens WHERE created_by = ? AND revoked_at IS NULL`, userID).Scan(&n).Error
	return n, err
}

func TestResetPasswordPage(t *testing.T) {
	p := newPortal(t)
	const users = "/t/acme/settings/users"
	u := func(email string) string { return fmt.Sprintf("%s/%d/password-reset", users, p.users[email]) }
	step := func(name, who, path string, status int, want ...string) pageStep {
		return pageStep{who, apptest.Scenario{Name: name, Method: "POST", Path: path, Form: form(), Status: status, Want: want}}
	}
	p.runPages(t, []pageStep{
		step("viewer may not", "viewer", u("analyst@acme.test"), 403),
		step("marketer may not", "marketer", u("analyst@acme.test"), 403),
		step("admin resets an analyst", "admin", u("analyst@acme.test"), 200, "Temporary password of analyst@acme.test",
			fmt.Sprintf(`<pre class="snippet" id="temporary-password">temporary-of-%d</pre>`, p.users["analyst@acme.test"]), "shown this once"),
		step("admin cannot reset the owner", "admin", u("owner@acme.test"), 403, "takes that role or a higher one", `role="alert"`),
		step("not for someone in another tenant", "owner", u("both@x.test"), 409, "also belongs to another workspace: only they can change their password"),
		step("not one's own", "owner", u("owner@acme.test"), 409, "change your own password on your account page"),
		step("foreign user", "owner", u("gviewer@globex.test"), 404),
		step("user id not a number", "owner", users+"/me/password-reset", 400, "a user id is a positive whole number"),
	})
	if strings.Contains(apptest.DoAs(p.e, "owner", "POST", u("analyst@acme.test"), form()).Body.String(), `id="reset-live-tokens"`) {
		t.Error("the reset of a member who created no token warns of live tokens")
	}
	apptest.System(p.db).Exec(`UPDATE users SET phone = '' WHERE email = 'marketer@acme.test'`)
	apptest.System(p.db).Exec(`INSERT INTO api_tokens (tenant_id, name, role, token_hash, created_by, revoked_at)
		VALUES (?, 'loader', 'viewer', '\x01', ?, NULL), (?, 'old loader', 'viewer', '\x02', ?, now())`,
		p.ids["acme"], p.users["marketer@acme.test"], p.ids["acme"], p.users["marketer@acme.test"])
	rec := apptest.DoAs(p.e, "owner", "POST", u("marketer@acme.test"), form())
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("reset page: %d, Cache-Control %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	if !strings.Contains(rec.Body.String(), `id="reset-no-phone"`) {
		t.Error("resetting a member without a phone does not warn that they cannot sign in")
	}
	if body := rec.Body.String(); !strings.Contains(body, "created 1 API token that still works") || !strings.Contains(body, `href="/t/acme/settings/tokens"`) {
		t.Error("resetting a member who created a live API token does not name it with a way to revoke it")
	}
	var audited int64
	apptest.System(p.db).Raw(`SELECT count(*) FROM audit_log WHERE action = 'member.password_reset' AND (details->>'live_api_tokens')::int = 1`).Scan(&audited)
	if audited != 1 {
		t.Error("the audit log does not record the live tokens at the reset")
	}
	page := apptest.DoAs(p.e, "owner", "GET", users, nil).Body.String()
	if strings.Contains(page, "temporary-of-") {
		t.Fatal("the users page shows a temporary password again")
	}
	if !strings.Contains(page, fmt.Sprintf(`id="no-phone-%d"`, p.users["marketer@acme.test"])) {
		t.Error("the users page does not mark a member without a phone")
	}
	apptest.System(p.db).Exec(`UPDATE users SET phone = '+15555550100' WHERE email = 'marketer@acme.test'`)
	rec = apptest.DoAs(p.e, "owner", "POST", u("marketer@acme.test"), form())
	if strings.Contains(rec.Body.String(), "reset-no-phone") || strings.Contains(rec.Body.String(), fmt.Sprintf(`id="no-phone-%d"`, p.users["marketer@acme.test"])) {
		t.Error("a member with a phone is said to have none")
	}
	reset := apptest.IDs(t, p.db, `SELECT email, must_change_password::int FROM users WHERE email IN ('analyst@acme.test', 'marketer@acme.test', 'owner@acme.test', 'both@x.test')`)
	if reset["analyst@acme.test"] != 1 || reset["marketer@acme.test"] != 1 || reset["owner@acme.test"] != 0 || reset["both@x.test"] != 0 {
		t.Errorf("accounts reset: %v", reset)
	}
	var logged []string
	apptest.System(p.db).Raw(`SELECT target || ' ' || actor FROM audit_log WHERE action = 'member.password_reset' AND tenant_id = ? ORDER BY id`, p.ids["acme"]).Scan(&logged)
	owner := p.users["owner@acme.test"]
	want := fmt.Sprintf("analyst@acme.test user:%d|analyst@acme.test user:%d|marketer@acme.test user:%d|marketer@acme.test user:%d", p.users["admin@acme.test"], owner, owner, owner)
	if strings.Join(logged, "|") != want {
		t.Errorf("audited %q, want %q", strings.Join(logged, "|"), want)
	}
}
