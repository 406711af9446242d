// Package auth signs people in and out: email and password (argon2id), then a 6-digit
// code by text message (Twilio Verify, or a code SRG makes and sends with Twilio's
// Messages API), with throttling per account and per address; or single sign-on with a
// tenant's OpenID Connect provider, whose groups map to roles; server-side sessions
// with idle and absolute timeouts; CSRF protection of every state-changing request;
// per-tenant API tokens for the JSON API; and the account page.
package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/app/web"
)

// Tenants resolves tenants and memberships; modules/tenants implements it.
type Tenants interface {
	// TenantID returns the id of the tenant with this slug (errs.NotFound otherwise).
	TenantID(ctx context.Context, slug string) (int64, error)
	// RoleOf returns the user's role in the tenant (errs.NotFound for a non-member).
	RoleOf(ctx context.Context, tenantID, userID int64) (string, error)
}

// RouteTable tells the middleware what a route declared; *web.Router implements it.
type RouteTable interface {
	Lookup(method, path string) (web.RouteInfo, bool)
}

// InitialPassword is a declared user's first password (tenants[].admins[].password_env).
type InitialPassword struct {
	Email    string
	Password string
	// Source names where it came from, for messages: "$DEMO_ADMIN_PASSWORD".
	Source string
}

// Deps are what the module needs.
type Deps struct {
	Config config.Auth
	DB     *gorm.DB
	// Exactly one of Codes and Verifier is set.
	Codes    CodeSender
	Verifier Verifier
	// CodeKey keys the HMAC of stored login codes (32 bytes).
	CodeKey []byte
	Tenants Tenants
	Routes  RouteTable
	// SecureCookies marks cookies Secure: srg is reached over HTTPS.
	SecureCookies    bool
	InitialPasswords []InitialPassword
	// SSO is what single sign-on needs; DeclaredSSO the tenants' settings from the
	// config file, applied at start.
	SSO         SSODeps
	DeclaredSSO []DeclaredSSO
	Log         *slog.Logger
	// Now is the clock (time.Now when nil); Limits the sign-in rules (DefaultLimits
	// when nil). Tests replace both.
	Now    func() time.Time
	Limits *Limits
	// Layout builds the account and API tokens pages; nil renders them bare.
	Layout *web.Layout
}

// Module is the auth module.
type Module struct {
	svc      *Service
	sso      *SSO
	declared []DeclaredSSO
	tenants  Tenants
	routes   RouteTable
	secure   bool
	limits   Limits
	initial  []InitialPassword
	log      *slog.Logger
	csrf     echo.MiddlewareFunc
	idleTime time.Duration
	layout   *web.Layout
}

// New builds the module.
func New(d Deps) (*Module, error) {
	limits := DefaultLimits()
	if d.Limits != nil {
		limits = *d.Limits
	}
	svc, err := NewService(ServiceDeps{DB: d.DB, Argon2: d.Config.Argon2, Session: d.Config.Session, Codes: d.Codes,
		Verifier: d.Verifier, CodeKey: d.CodeKey, Limits: limits, Now: d.Now, Log: d.Log})
	if err != nil {
		return nil, err
	}
	if d.SSO.Log == nil {
		d.SSO.Log = d.Log
	}
	sso, err := NewSSO(svc, d.SSO)
	if err != nil {
		return nil, err
	}
	m := &Module{svc: svc, sso: sso, declared: d.DeclaredSSO, tenants: d.Tenants, routes: d.Routes, secure: d.SecureCookies, limits: limits,
		initial: d.InitialPasswords, log: d.Log, idleTime: d.Config.Session.IdleTimeout, layout: d.Layout}
	m.csrf = m.newCSRF()
	return m, nil
}

// Service exposes the service (for the command line).
func (m *Module) Service() *Service { return m.svc }

// SSO exposes single sign-on.
func (m *Module) SSO() *SSO { return m.sso }

// Name implements module.Module.
func (m *Module) Name() string { return "auth" }

// Routes implements module.Module. Signing in and out is public; the account page is
// any signed-in user's ("self", which the authorizer grants to everyone signed in); a
// tenant's single sign-on settings are its user managers'.
func (m *Module) Routes() []web.Route {
	self := func(action string) web.Permission { return web.Perm("self", action) }
	users := func(action string) web.Permission { return web.Perm("settings.users", action) }
	return []web.Route{
		{Method: http.MethodGet, Path: "/login", Perm: web.Public, Handler: m.loginPage},
		{Method: http.MethodPost, Path: "/login", Perm: web.Public, Handler: m.login},
		{Method: http.MethodGet, Path: "/login/code", Perm: web.Public, Handler: m.codePage},
		{Method: http.MethodPost, Path: "/login/code", Perm: web.Public, Handler: m.verifyCode},
		{Method: http.MethodPost, Path: "/login/code/resend", Perm: web.Public, Handler: m.resendCode},
		{Method: http.MethodPost, Path: "/logout", Perm: web.Public, Handler: m.logout},
		{Method: http.MethodGet, Path: "/login/sso", Perm: web.Public, Handler: m.ssoStart},
		{Method: http.MethodGet, Path: SSOCallbackPath, Perm: web.Public, Handler: m.ssoCallback},

		{Method: http.MethodGet, Path: "/account", Perm: self("read"), Handler: m.accountPage},
		{Method: http.MethodPost, Path: "/account/password", Perm: self("write"), Handler: m.changePassword},
		{Method: http.MethodPost, Path: "/account/phone", Perm: self("write"), Handler: m.startPhoneChange},
		{Method: http.MethodPost, Path: "/account/phone/code", Perm: self("write"), Handler: m.confirmPhone},
		{Method: http.MethodPost, Path: "/account/phone/resend", Perm: self("write"), Handler: m.resendPhoneCode},
		{Method: http.MethodPost, Path: "/account/phone/cancel", Perm: self("write"), Handler: m.cancelPhoneChange},
		{Method: http.MethodGet, Path: newPasswordPath, Perm: self("read"), Handler: m.newPasswordPage},
		{Method: http.MethodPost, Path: newPasswordPath, Perm: self("write"), Handler: m.chooseNewPassword},
		{Method: http.MethodPost, Path: "/account/logout-everywhere", Perm: self("write"), Handler: m.logoutEverywhere},

		{Method: http.MethodGet, Path: "/api/tenants/:tenant/tokens", Perm: web.Perm("settings.users", "read"), Handler: m.listTokens},
		{Method: http.MethodPost, Path: "/api/tenants/:tenant/tokens", Perm: web.Perm("settings.users", "write"), Handler: m.createToken},
		{Method: http.MethodDelete, Path: "/api/tenants/:tenant/tokens/:id", Perm: web.Perm("settings.users", "write"), Handler: m.revokeToken},

		{Method: http.MethodGet, Path: "/api/tenants/:tenant/sso", Perm: users("read"), Handler: m.getSSO},
		{Method: http.MethodPut, Path: "/api/tenants/:tenant/sso", Perm: users("write"), Handler: m.putSSO},
		{Method: http.MethodDelete, Path: "/api/tenants/:tenant/sso", Perm: users("write"), Handler: m.deleteSSO},
		{Method: http.MethodGet, Path: "/t/:tenant/settings/sso", Perm: users("read"), Handler: m.ssoSettingsPage},
		{Method: http.MethodPost, Path: "/t/:tenant/settings/sso", Perm: users("write"), Handler: m.saveSSOPage},
		{Method: http.MethodPost, Path: "/t/:tenant/settings/sso/delete", Perm: users("write"), Handler: m.deleteSSOPage},
		{Method: http.MethodGet, Path: "/t/:tenant/settings/tokens", Perm: web.Perm("settings.users", "read"), Handler: m.tokensPage},
		{Method: http.MethodPost, Path: "/t/:tenant/settings/tokens", Perm: web.Perm("settings.users", "write"), Handler: m.createTokenPage},
		{Method: http.MethodPost, Path: "/t/:tenant/settings/tokens/:id/revoke", Perm: web.Perm("settings.users", "write"), Handler: m.revokeTokenPage},
	}
}

// Jobs implements module.Module: ended sessions, old challenges and old attempt records
// are deleted every hour.
func (m *Module) Jobs() []jobs.Job {
	return []jobs.Job{{
		Name:     "auth.prune",
		Schedule: "@every 1h",
		Timeout:  5 * time.Minute,
		Run: func(ctx context.Context) error {
			return prune(ctx, m.svc.db, m.svc.now(), m.idleTime, m.limits.ChallengeMaxAge, attemptRetention)
		},
	}}
}

// Start sets the first password of declared users who have none, and applies the
// single sign-on settings the config file declares.
func (m *Module) Start(ctx context.Context) error {
	ids := map[string]int64{}
	for _, d := range m.declared {
		id, err := m.tenants.TenantID(ctx, d.Tenant)
		if err != nil {
			return fmt.Errorf("auth: single sign-on of tenant %s: %w", d.Tenant, err)
		}
		ids[d.Tenant] = id
	}
	changed, err := m.sso.ApplyDeclared(ctx, m.declared, ids)
	if err != nil {
		return err
	}
	if changed > 0 {
		m.log.Info("single sign-on settings applied", "changed", changed)
	}
	for _, ip := range m.initial {
		set, err := m.svc.SetInitialPassword(ctx, ip.Email, ip.Password)
		if err != nil {
			return fmt.Errorf("auth: first password of %s from %s: %w", ip.Email, ip.Source, err)
		}
		if set {
			m.log.Info("first password set", "user", ip.Email, "from", ip.Source)
		}
	}
	return nil
}
