package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/db"
)

// Limits of the single sign-on flow.
const (
	// ssoLoginTTL is how long the identity provider may take to send the browser back.
	ssoLoginTTL = 10 * time.Minute
	// ssoStartsPerIP sign-ins may be started from one address per ssoStartWindow.
	ssoStartsPerIP = 30
	ssoStartWindow = 10 * time.Minute
)

// Reasons a single sign-on fails; the audit log records them (login.sso_failed).
const (
	ReasonBadState        = "bad_state"
	ReasonStateGone       = "state_gone"
	ReasonNotConfigured   = "not_configured"
	ReasonProviderError   = "provider_error"
	ReasonNoCode          = "no_code"
	ReasonUnreachable     = "unreachable"
	ReasonExchangeRefused = "exchange_refused"
	ReasonInvalidToken    = "invalid_token"
	ReasonTokenExpired    = "token_expired"
	ReasonWrongNonce      = "wrong_nonce"
	ReasonNoEmail         = "no_email"
	ReasonEmailUnverified = "email_unverified"
	ReasonDomain          = "domain_not_allowed"
	ReasonNoRole          = "no_role"
)

// SSOError is a failed single sign-on: Reason says which check failed, Message is safe
// to show, Err is the cause (logged, never shown).
type SSOError struct {
	Reason  string
	Message string
	Err     error
}

func (e *SSOError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Reason + ": " + e.Message
}

func (e *SSOError) Unwrap() error { return e.Err }

func ssoError(reason string, err error, format string, args ...any) *SSOError {
	return &SSOError{Reason: reason, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrNoSSO answers a sign-in for a workspace without single sign-on.
var ErrNoSSO = ssoError(ReasonNotConfigured, nil, "This workspace has no single sign-on. Sign in with your email and password.")

// SSOStart is a sign-in sent to a tenant's identity provider.
type SSOStart struct {
	// AuthURL is where to send the browser: the provider's authorization endpoint with
	// state, nonce and the PKCE challenge.
	AuthURL string
	// State goes in a cookie as well, so that only this browser can finish.
	State string
}

// Start begins a single sign-on for a tenant: it keeps the state, nonce and PKCE
// verifier server-side for ssoLoginTTL and returns where to send the browser. next is
// where to go once signed in.
func (s *SSO) Start(ctx context.Context, tenantID int64, next string, cl Client) (SSOStart, error) {
	ctx = db.WithTenant(ctx, tenantID)
	now := s.svc.now()
	n, oldest, err := countSSOLoginsFrom(ctx, s.svc.db, cl.IP, now.Add(-ssoStartWindow))
	if err != nil {
		return SSOStart{}, err
	}
	if n >= ssoStartsPerIP {
		return SSOStart{}, throttled(oldest.Add(ssoStartWindow).Sub(now), "Too many single sign-ons were started from your address.")
	}
	r, ok, err := ssoOf(ctx, s.svc.db, tenantID)
	if err != nil {
		return SSOStart{}, err
	}
	if !ok {
		return SSOStart{}, ErrNoSSO
	}
	p, err := s.provider(ctx, r.IssuerURL)
	if err != nil {
		return SSOStart{}, unreachable(err)
	}
	secret, err := s.openSecret(r)
	if err != nil {
		return SSOStart{}, err
	}
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	l := ssoLogin{TenantID: tenantID, Nonce: nonce, CodeVerifier: verifier, Next: next, ExpiresAt: now.Add(ssoLoginTTL)}
	if err := createSSOLogin(ctx, s.svc.db, state, l, cl.IP, now); err != nil {
		return SSOStart{}, err
	}
	url := s.oauth(p, r, secret).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	return SSOStart{AuthURL: url, State: state}, nil
}

func unreachable(err error) *SSOError {
	return ssoError(ReasonUnreachable, err, "The identity provider of this workspace could not be reached. Try again in a minute, or sign in with your email and password.")
}

// SSOCallback is what the identity provider sent the browser back with.
type SSOCallback struct {
	// State is the state parameter; CookieState the state this browser started with.
	State, CookieState string
	Code               string
	// Error and ErrorDescription are an OAuth error response (RFC 6749 4.1.2.1).
	Error, ErrorDescription string
}

// SSOSignedIn is a completed single sign-on.
type SSOSignedIn struct {
	SignedIn
	TenantID int64
	// Next is where the sign-in was meant to lead.
	Next string
}

// idClaims are the ID token claims SRG reads besides the verified standard ones.
type idClaims struct {
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"`
	Name          string `json:"name"`
	GivenName     string `json:"given_name"`
	FamilyName    string `json:"family_name"`
}

// Finish completes a single sign-on: the state must be this browser's and unused, the
// code is exchanged with the PKCE verifier, and the ID token must be signed by the
// tenant's provider for SRG's client, unexpired, with this sign-in's nonce and a
// verified email of an allowed domain in a group that maps to a role. The person is
// then found or created, given that role in the tenant, and signed in: the browser's
// previous session ends and a new one, confined to the tenant, starts. No SMS code is
// asked: the provider is the second factor. Every failure is audited.
func (s *SSO) Finish(ctx context.Context, cb SSOCallback, previousSession string, cl Client) (SSOSignedIn, error) {
	if len(cb.State) != tokenLength || subtle.ConstantTimeCompare([]byte(cb.State), []byte(cb.CookieState)) != 1 {
		return SSOSignedIn{}, s.failed(ctx, nil, "", cl, ssoError(ReasonBadState, nil,
			"This sign-in was not started in this browser. Start the single sign-on again."))
	}
	l, ok, err := takeSSOLogin(ctx, s.svc.db, cb.State)
	if err != nil {
		return SSOSignedIn{}, err
	}
	if !ok {
		return SSOSignedIn{}, s.failed(ctx, nil, "", cl, ssoError(ReasonStateGone, nil,
			"This sign-in was already used or has been cancelled. Start the single sign-on again."))
	}
	// The rest of the sign-in is the work of the tenant the state named.
	ctx = db.WithTenant(ctx, l.TenantID)
	tenant := &l.TenantID
	if !s.svc.now().Before(l.ExpiresAt) {
		return SSOSignedIn{}, s.failed(ctx, tenant, "", cl, ssoError(ReasonStateGone, nil,
			"This sign-in took longer than %s at the identity provider. Start the single sign-on again.", humanDuration(ssoLoginTTL)))
	}
	r, ok, err := ssoOf(ctx, s.svc.db, l.TenantID)
	if err != nil {
		return SSOSignedIn{}, err
	}
	if !ok {
		return SSOSignedIn{}, s.failed(ctx, tenant, "", cl, ErrNoSSO)
	}
	if cb.Error != "" {
		return SSOSignedIn{}, s.failed(ctx, tenant, "", cl, ssoError(ReasonProviderError, nil,
			"The identity provider did not sign you in: %s.", providerMessage(cb.Error, cb.ErrorDescription)))
	}
	if cb.Code == "" {
		return SSOSignedIn{}, s.failed(ctx, tenant, "", cl, ssoError(ReasonNoCode, nil,
			"The identity provider sent you back without an authorization code. Start the single sign-on again."))
	}
	claims, idt, err := s.exchange(ctx, r, l, cb.Code)
	if err != nil {
		return SSOSignedIn{}, s.failed(ctx, tenant, "", cl, err)
	}
	email, role, err := s.admit(r, claims, idt)
	if err != nil {
		return SSOSignedIn{}, s.failed(ctx, tenant, email, cl, err)
	}
	userID, err := s.members.Provision(ctx, l.TenantID, email, displayName(claims, email), role, "sso", cl.IP)
	if err != nil {
		return SSOSignedIn{}, err
	}
	var out SSOSignedIn
	err = s.svc.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		signed, err := s.svc.openSession(ctx, tx, userID, previousSession, cl, tenant)
		if err != nil {
			return err
		}
		out = SSOSignedIn{SignedIn: signed, TenantID: l.TenantID, Next: l.Next}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenant, Actor: actorUser(userID), Action: "login.sso", Target: email,
			RemoteAddr: cl.IP, Details: map[string]any{"issuer": r.IssuerURL, "subject": idt.Subject, "role": role}})
	})
	if err != nil {
		return SSOSignedIn{}, err
	}
	return out, nil
}

// failed audits a failed single sign-on and returns its error.
func (s *SSO) failed(ctx context.Context, tenantID *int64, email string, cl Client, err error) error {
	var se *SSOError
	if !errors.As(err, &se) {
		return err
	}
	if aerr := audit.Record(ctx, s.svc.db, audit.Entry{TenantID: tenantID, Actor: "anonymous", Action: "login.sso_failed", Target: email,
		RemoteAddr: cl.IP, Details: map[string]any{"reason": se.Reason}}); aerr != nil {
		return aerr
	}
	return se
}

// providerMessage shows an OAuth error response: its code, and its description cut
// short and stripped of control characters.
func providerMessage(code, description string) string {
	clean := func(s string, n int) string {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s)
		if len([]rune(s)) > n {
			s = string([]rune(s)[:n]) + "…"
		}
		return strings.TrimSpace(s)
	}
	msg := clean(code, 64)
	if d := clean(description, 200); d != "" {
		msg += " (" + d + ")"
	}
	return msg
}

// exchange redeems the code with the PKCE verifier and verifies the ID token: issuer,
// audience, expiry and signature (go-oidc), then the nonce and the access token hash.
func (s *SSO) exchange(ctx context.Context, r ssoRow, l ssoLogin, code string) (idClaims, *oidc.IDToken, error) {
	p, err := s.provider(ctx, r.IssuerURL)
	if err != nil {
		return idClaims{}, nil, unreachable(err)
	}
	secret, err := s.openSecret(r)
	if err != nil {
		return idClaims{}, nil, err
	}
	tok, err := s.oauth(p, r, secret).Exchange(oidc.ClientContext(ctx, s.http), code, oauth2.VerifierOption(l.CodeVerifier))
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 500:
		return idClaims{}, nil, unreachable(err)
	case errors.As(err, &re):
		return idClaims{}, nil, ssoError(ReasonExchangeRefused, err,
			"The identity provider refused to complete the sign-in: %s. Ask your administrator to check the workspace's single sign-on settings.",
			providerMessage(re.ErrorCode, re.ErrorDescription))
	case err != nil:
		return idClaims{}, nil, unreachable(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return idClaims{}, nil, ssoError(ReasonInvalidToken, nil, "The identity provider answered without an ID token.")
	}
	idt, err := p.VerifierContext(oidc.ClientContext(ctx, s.http), &oidc.Config{ClientID: r.ClientID, Now: s.svc.now}).Verify(ctx, raw)
	if err != nil {
		return idClaims{}, nil, tokenError(err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(l.Nonce)) != 1 {
		return idClaims{}, nil, ssoError(ReasonWrongNonce, nil,
			"The identity provider's answer belongs to another sign-in (its nonce differs), so it was refused. Start the single sign-on again.")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return idClaims{}, nil, ssoError(ReasonInvalidToken, err, "The identity provider's ID token does not match its access token, so it was refused.")
		}
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		return idClaims{}, nil, ssoError(ReasonInvalidToken, err, "The identity provider's ID token could not be read.")
	}
	return c, idt, nil
}

// tokenError says why go-oidc refused an ID token.
func tokenError(err error) error {
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		return ssoError(ReasonTokenExpired, err, "The identity provider's ID token has expired, so it was refused. Start the single sign-on again; if this persists, the clocks of SRG and the provider may differ.")
	}
	why := "it could not be verified"
	switch msg := err.Error(); {
	case strings.Contains(msg, "expected audience"):
		why = "it was issued to another application (its audience is not SRG's client id)"
	case strings.Contains(msg, "issued by a different provider"):
		why = "it was issued by another provider than the workspace's issuer"
	case strings.Contains(msg, "failed to verify signature"), strings.Contains(msg, "malformed jwt"):
		why = "its signature is not the provider's"
	}
	return ssoError(ReasonInvalidToken, err, "The identity provider's ID token was refused: %s. No session was started.", why)
}

// admit checks the person the ID token describes and returns their email and the role
// their groups give them.
func (s *SSO) admit(r ssoRow, c idClaims, idt *oidc.IDToken) (string, string, error) {
	email := strings.TrimSpace(c.Email)
	if validEmail(email) != nil {
		return "", "", ssoError(ReasonNoEmail, nil, "The identity provider did not give an email address for your account, so SRG cannot know who you are.")
	}
	if !verified(c.EmailVerified) {
		return email, "", ssoError(ReasonEmailUnverified, nil, "The identity provider has not verified your email address %s. Verify it there, then sign in again.", email)
	}
	domain := strings.ToLower(email[strings.LastIndexByte(email, '@')+1:])
	if len(r.AllowedDomains) > 0 && !slices.Contains([]string(r.AllowedDomains), domain) {
		return email, "", ssoError(ReasonDomain, nil, "Addresses at %s may not sign in to this workspace with single sign-on.", domain)
	}
	roles, err := r.roles()
	if err != nil {
		return email, "", err
	}
	groups, err := groupsOf(idt, r.GroupsClaim)
	if err != nil {
		return email, "", ssoError(ReasonInvalidToken, err, "The identity provider's %q claim is not a list of groups.", r.GroupsClaim)
	}
	role := ""
	for _, g := range groups {
		if rr, ok := roles[g]; ok && roleRank[rr] > roleRank[role] {
			role = rr
		}
	}
	if role == "" {
		return email, "", ssoError(ReasonNoRole, nil,
			"Your account at the identity provider is in no group that has access to this workspace. Ask your administrator to add you to one.")
	}
	return email, role, nil
}

// verified reads email_verified, a boolean that some providers send as a string.
func verified(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return strings.EqualFold(t, "true")
	}
	return false
}

// groupsOf reads the groups claim: a list of strings, or one string; absent is none.
func groupsOf(idt *oidc.IDToken, claim string) ([]string, error) {
	var all map[string]json.RawMessage
	if err := idt.Claims(&all); err != nil {
		return nil, err
	}
	raw, ok := all[claim]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, err
	}
	return []string{one}, nil
}

// displayName is the name a new user gets: the token's name, else given and family
// names, else the email's local part.
func displayName(c idClaims, email string) string {
	name := strings.TrimSpace(c.Name)
	if name == "" {
		name = strings.TrimSpace(c.GivenName + " " + c.FamilyName)
	}
	if name == "" {
		if a, err := mail.ParseAddress(email); err == nil {
			name = a.Address[:strings.LastIndexByte(a.Address, '@')]
		}
	}
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	return name
}
