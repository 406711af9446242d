package auth_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/secrets"
	"github.com/srgplatform/srg/app/sms"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/auth"
	"github.com/srgplatform/srg/modules/auth/authtest"
	"github.com/srgplatform/srg/modules/auth/twiliofake"
)

// Delivery modes of the test environments.
const (
	viaMessages = "messages"
	viaVerify   = "verify"
	viaLog      = "development log"
)

// The people every environment starts with.
const (
	annEmail    = "ann@acme.example"
	annPassword = "correct horse battery"
	annPhone    = "+15555550101"
	bobEmail    = "bob@acme.example"
	bobPassword = "another long password"
	bobPhone    = "+15555550102"
	// noPhoneEmail has a password but no phone.
	noPhoneEmail = "nophone@acme.example"
)

// clock is the injectable time of an environment.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log destination read while the server writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is the auth module mounted on echo the way app/platform.go mounts it, over a
// database of its own, with Twilio replaced by twiliofake.
type env struct {
	t      *testing.T
	db     *gorm.DB
	mod    *auth.Module
	clock  *clock
	twilio *twiliofake.Server
	logs   *syncBuffer
	url    string
	mode   string
	// acme and globex are tenant ids; Ann is acme's owner and globex's viewer, Bob
	// acme's analyst.
	acme, globex int64
	users        map[string]int64
	// sso is what the module's single sign-on was built with.
	sso auth.SSODeps
}

type envOptions struct {
	mode   string
	limits *auth.Limits
}

// fastArgon2 keeps tests quick; production defaults are in config.Default.
var fastArgon2 = config.Argon2{Memory: 8 * 1024, Iterations: 1, Parallelism: 1}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	if o.mode == "" {
		o.mode = viaMessages
	}
	cfg := apptest.Config(t)
	en := &env{t: t, db: apptest.DB(t, cfg), clock: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, mode: o.mode,
		twilio: twiliofake.New(), logs: &syncBuffer{}, users: map[string]int64{}}
	en.twilio.Now = en.clock.Now
	fake := httptest.NewServer(en.twilio)
	t.Cleanup(fake.Close)
	en.seed()

	log := slog.New(slog.NewTextHandler(en.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	e := web.NewEcho(log, nil, apptest.Renderer(t))
	// Every test client is on loopback; X-Forwarded-For stands for other addresses.
	e.IPExtractor = echo.ExtractIPFromXFFHeader(echo.TrustLoopback(true))
	e.Pre(web.StripAPIVersion)
	router := web.NewRouter(e, memberAuthorizer{db: en.db}, apptest.TenantsIn(en.db))
	// The server's address is known before it serves: single sign-on's redirect URI
	// names it.
	srv := httptest.NewUnstartedServer(e)
	t.Cleanup(srv.Close)
	en.url = "http://" + srv.Listener.Addr().String()
	box, err := secrets.New(apptest.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	en.sso = auth.SSODeps{Box: box, Members: membersOf{en.db}, PublicURL: en.url}

	tw := config.Twilio{AccountSID: twiliofake.AccountSID, AuthToken: twiliofake.AuthToken, BaseURL: fake.URL, Timeout: 5 * time.Second}
	d := auth.Deps{
		Config:  config.Auth{Argon2: fastArgon2, Session: config.Session{IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 12 * time.Hour}},
		DB:      en.db,
		CodeKey: bytes.Repeat([]byte{7}, 32),
		Tenants: tenantsOf{en.db},
		Routes:  router,
		SSO:     en.sso,
		Log:     log,
		Now:     en.clock.Now,
		Limits:  o.limits,
	}
	switch o.mode {
	case viaMessages:
		tw.From = twiliofake.From
		client, err := sms.NewTwilio(tw)
		if err != nil {
			t.Fatal(err)
		}
		d.Codes = client
	case viaVerify:
		tw.VerifyServiceSID = twiliofake.VerifyServiceSID
		client, err := sms.NewTwilio(tw)
		if err != nil {
			t.Fatal(err)
		}
		d.Verifier = client
	case viaLog:
		d.Codes = sms.DevLog{Log: log}
	}
	if en.mod, err = auth.New(d); err != nil {
		t.Fatal(err)
	}
	e.Use(en.mod.Middleware()...)
	router.Mount(en.mod.Routes()...)
	router.Mount(testRoutes...)
	srv.Start()
	return en
}

// testRoutes stand for other modules' routes: a protected page and API, and a
// cross-origin public endpoint like the tracker's.
var testRoutes = []web.Route{
	{Method: http.MethodGet, Path: "/t/:tenant/dashboard", Perm: web.Perm("dashboards", "read"), Handler: func(c echo.Context) error {
		return c.String(http.StatusOK, "dashboard of "+web.PrincipalOf(c).Email)
	}},
	{Method: http.MethodPost, Path: "/api/tenants/:tenant/things", Perm: web.Perm("settings.channels", "write"), Handler: func(c echo.Context) error {
		return c.String(http.StatusCreated, "made")
	}},
	{Method: http.MethodPost, Path: "/test/beacon", Perm: web.Public, CrossOrigin: true, Handler: func(c echo.Context) error {
		return c.NoContent(http.StatusNoContent)
	}},
}

func (en *env) seed() {
	en.t.Helper()
	hash := func(pw string) string {
		h, err := argon2id.CreateHash(pw, &argon2id.Params{Memory: uint32(fastArgon2.Memory), Iterations: uint32(fastArgon2.Iterations),
			Parallelism: uint8(fastArgon2.Parallelism), SaltLength: 16, KeyLength: 32})
		if err != nil {
			en.t.Fatal(err)
		}
		return h
	}
	// The fixture spans both tenants.
	exec := func(q string, args ...any) int64 {
		var id int64
		if err := apptest.System(en.db).Raw(q, args...).Scan(&id).Error; err != nil {
			en.t.Fatal(err)
		}
		return id
	}
	en.acme = exec(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id`)
	en.globex = exec(`INSERT INTO tenants (slug, name) VALUES ('globex', 'Globex') RETURNING id`)
	for _, u := range []struct{ email, phone, password string }{
		{annEmail, annPhone, annPassword}, {bobEmail, bobPhone, bobPassword}, {noPhoneEmail, "", annPassword},
	} {
		en.users[u.email] = exec(`INSERT INTO users (email, name, phone, password_hash) VALUES (?, ?, ?, ?) RETURNING id`,
			u.email, strings.Split(u.email, "@")[0], u.phone, hash(u.password))
	}
	for _, m := range []struct {
		tenant int64
		email  string
		role   string
	}{{en.acme, annEmail, "owner"}, {en.globex, annEmail, "viewer"}, {en.acme, bobEmail, "analyst"}} {
		exec(`INSERT INTO tenant_members (tenant_id, user_id, role) VALUES (?, ?, ?) RETURNING user_id`, m.tenant, en.users[m.email], m.role)
	}
}

// tenantsOf implements auth.Tenants over the tables, as modules/tenants does.
type tenantsOf struct{ db *gorm.DB }

func (t tenantsOf) TenantID(ctx context.Context, slug string) (int64, error) {
	var ids []int64
	if err := t.db.WithContext(ctx).Raw(`SELECT id FROM tenants WHERE slug = ?`, slug).Scan(&ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, errs.NotFound("no tenant %q", slug)
	}
	return ids[0], nil
}

func (t tenantsOf) RoleOf(ctx context.Context, tenantID, userID int64) (string, error) {
	var roles []string
	ctx = db.WithTenant(ctx, tenantID)
	if err := t.db.WithContext(ctx).Raw(`SELECT role FROM tenant_members WHERE tenant_id = ? AND user_id = ?`, tenantID, userID).Scan(&roles).Error; err != nil {
		return "", err
	}
	if len(roles) == 0 {
		return "", errs.NotFound("not a member")
	}
	return roles[0], nil
}

// membersOf implements auth.Members over the tables, as modules/tenants does; the
// tenants module's tests and the app's cover the real one and its audit entries.
type membersOf struct{ db *gorm.DB }

func (m membersOf) Provision(ctx context.Context, tenantID int64, email, name, role, _, _ string) (int64, error) {
	var userID int64
	err := m.db.WithContext(db.WithTenant(ctx, tenantID)).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO users (email, name) VALUES (?, ?) ON CONFLICT ((lower(email))) DO NOTHING`, email, name).Error; err != nil {
			return err
		}
		if err := tx.Raw(`SELECT id FROM users WHERE lower(email) = lower(?)`, email).Scan(&userID).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO tenant_members (tenant_id, user_id, role) VALUES (?, ?, ?)
			ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role`, tenantID, userID, role).Error
	})
	return userID, err
}

// memberAuthorizer stands in for the Casbin authorizer: "self" is anyone signed in; a
// tenant route needs membership (or a token of that tenant). Roles are not checked.
type memberAuthorizer struct{ db *gorm.DB }

func (a memberAuthorizer) Authorize(c echo.Context, p web.Permission) error {
	pr := web.PrincipalOf(c)
	if pr == nil {
		return errs.Forbidden("not signed in")
	}
	if p.Resource == "self" {
		return nil
	}
	tid, err := tenantsOf(a).TenantID(c.Request().Context(), c.Param("tenant"))
	if err != nil {
		return err
	}
	if pr.TokenID != 0 {
		if pr.TokenTenantID != tid {
			return errs.NotFound("no such tenant")
		}
		return nil
	}
	if _, err := tenantsOf(a).RoleOf(c.Request().Context(), tid, pr.UserID); err != nil {
		return errs.NotFound("no such tenant")
	}
	return nil
}

// browser is a person's browser on the environment's server.
type browser = authtest.Browser

// response is what a request got.
type response = authtest.Response

func (en *env) browser() *browser {
	b := authtest.New(en.t, en.url, en.lastCode)
	b.IP = "198.51.100.7"
	return b
}

var devLogCode = regexp.MustCompile(`DEVELOPMENT ONLY: SMS code for (\+[0-9]+): ([0-9]{6})`)

// lastCode is the newest code that reached phone: from the fake Twilio, or from the
// development log.
func (en *env) lastCode(phone string) string {
	en.t.Helper()
	if en.mode == viaLog {
		code := ""
		for _, m := range devLogCode.FindAllStringSubmatch(en.logs.String(), -1) {
			if m[1] == phone {
				code = m[2]
			}
		}
		if code == "" {
			en.t.Fatalf("no code for %s in the log:\n%s", phone, en.logs.String())
		}
		return code
	}
	code, ok := en.twilio.LastCode(phone)
	if !ok {
		en.t.Fatalf("Twilio delivered no code to %s", phone)
	}
	return code
}

func (en *env) codesSent(phone string) int {
	if en.mode == viaLog {
		n := 0
		for _, m := range devLogCode.FindAllStringSubmatch(en.logs.String(), -1) {
			if m[1] == phone {
				n++
			}
		}
		return n
	}
	return len(en.twilio.Codes(phone))
}

// wrong returns a code that is not right.
func wrong(right string) string {
	if right == "000000" {
		return "111111"
	}
	return "000000"
}

// count runs a check that returns a number, under the system scope (checks look across
// tenants and at entries of none).
func (en *env) count(q string, args ...any) int {
	en.t.Helper()
	var n int
	if err := apptest.System(en.db).Raw(q, args...).Scan(&n).Error; err != nil {
		en.t.Fatal(err)
	}
	return n
}

func mustContain(t *testing.T, what string, r response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.Body, w) {
			t.Fatalf("%s: body lacks %q (status %d):\n%s", what, w, r.Status, r.Body)
		}
	}
}

func httptestServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
