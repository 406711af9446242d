package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/secrets"
)

// Members gives the people a tenant's identity provider signs in their membership;
// modules/tenants implements it.
type Members interface {
	// Provision finds the user with this email (creating them, with name, when new) and
	// gives them role in the tenant, auditing a new membership or a changed role under
	// actor. It returns the user's id.
	Provision(ctx context.Context, tenantID int64, email, name, role, actor, remoteAddr string) (int64, error)
}

// SSOCallbackPath is where identity providers send the browser back; register
// <public URL>/login/sso/callback as the redirect URI.
const SSOCallbackPath = "/login/sso/callback"

// maxClientSecret bounds a client secret (providers use 32-128 characters).
const maxClientSecret = 1024

// SSODeps are what single sign-on needs beyond the sign-in service.
type SSODeps struct {
	Box     *secrets.Box
	Members Members
	// PublicURL is where srg is reached; the redirect URI is PublicURL + SSOCallbackPath.
	PublicURL string
	// HTTP is the client for identity providers (ssoHTTPTimeout when nil).
	HTTP *http.Client
	Log  *slog.Logger
}

// SSO is single sign-on with each tenant's OpenID Connect provider: its settings and
// the sign-in flow. It never imports echo.
type SSO struct {
	svc         *Service
	box         *secrets.Box
	members     Members
	http        *http.Client
	redirectURL string
	log         *slog.Logger

	mu        sync.Mutex
	providers map[string]cachedProvider
}

// NewSSO builds single sign-on over the sign-in service, whose sessions it opens.
func NewSSO(svc *Service, d SSODeps) (*SSO, error) {
	if d.Box == nil || d.Members == nil {
		return nil, fmt.Errorf("auth: single sign-on needs the secrets box and the members service")
	}
	if !strings.HasPrefix(d.PublicURL, "http://") && !strings.HasPrefix(d.PublicURL, "https://") {
		return nil, fmt.Errorf("auth: single sign-on needs the public URL, got %q", d.PublicURL)
	}
	client := d.HTTP
	if client == nil {
		client = &http.Client{Timeout: ssoHTTPTimeout}
	}
	return &SSO{svc: svc, box: d.Box, members: d.Members, http: client, log: d.Log,
		redirectURL: strings.TrimSuffix(d.PublicURL, "/") + SSOCallbackPath, providers: map[string]cachedProvider{}}, nil
}

// RedirectURL is the redirect URI to register at identity providers.
func (s *SSO) RedirectURL() string { return s.redirectURL }

// SSOSettings are a tenant's single sign-on settings as shown: never the secret.
type SSOSettings struct {
	IssuerURL       string            `json:"issuer_url"`
	ClientID        string            `json:"client_id"`
	ClientSecretSet bool              `json:"client_secret_set"`
	AllowedDomains  []string          `json:"allowed_domains"`
	GroupsClaim     string            `json:"groups_claim"`
	GroupRoles      map[string]string `json:"group_roles"`
	// Source is "config" for settings declared in the config file, which only the
	// file changes, or "api".
	Source string `json:"source"`
	// RedirectURL is the redirect URI to register at the identity provider.
	RedirectURL string    `json:"redirect_url"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// SSOInput is what PUT /api/tenants/:tenant/sso sets. An empty ClientSecret keeps the
// stored one.
type SSOInput struct {
	IssuerURL      string            `json:"issuer_url"`
	ClientID       string            `json:"client_id"`
	ClientSecret   string            `json:"client_secret"`
	AllowedDomains []string          `json:"allowed_domains"`
	GroupsClaim    string            `json:"groups_claim"`
	GroupRoles     map[string]string `json:"group_roles"`
}

func (in SSOInput) settings() config.SSO {
	return config.SSO{IssuerURL: in.IssuerURL, ClientID: in.ClientID, AllowedDomains: in.AllowedDomains,
		GroupsClaim: in.GroupsClaim, GroupRoles: in.GroupRoles}
}

// DeclaredSSO is a tenant's single sign-on declared in the config file, with its
// client secret read from the environment.
type DeclaredSSO struct {
	Tenant   string
	Settings config.SSO
	Secret   string
}

// errDeclared refuses API changes to settings the config file declares.
var errDeclared = errs.Conflict("this workspace's single sign-on is declared in the config file (tenants[].sso): change it there")

func (s *SSO) view(r ssoRow) (SSOSettings, error) {
	roles, err := r.roles()
	if err != nil {
		return SSOSettings{}, err
	}
	domains := []string(r.AllowedDomains)
	if domains == nil {
		domains = []string{}
	}
	return SSOSettings{IssuerURL: r.IssuerURL, ClientID: r.ClientID, ClientSecretSet: len(r.ClientSecret) > 0, AllowedDomains: domains,
		GroupsClaim: r.GroupsClaim, GroupRoles: roles, Source: r.Source, RedirectURL: s.redirectURL, UpdatedAt: r.UpdatedAt}, nil
}

// Settings returns a tenant's settings; errs.NotFound when it has none.
func (s *SSO) Settings(ctx context.Context, tenantID int64) (SSOSettings, error) {
	ctx = db.WithTenant(ctx, tenantID)
	r, ok, err := ssoOf(ctx, s.svc.db, tenantID)
	if err != nil {
		return SSOSettings{}, err
	}
	if !ok {
		return SSOSettings{}, errs.NotFound("this workspace has no single sign-on")
	}
	return s.view(r)
}

// secretAD binds a sealed client secret to its tenant.
func secretAD(tenantID int64) []byte { return []byte("tenant-sso:" + strconv.FormatInt(tenantID, 10)) }

func (s *SSO) openSecret(r ssoRow) (string, error) {
	plain, err := s.box.Open(r.ClientSecret, secretAD(r.TenantID))
	if err != nil {
		return "", fmt.Errorf("auth: client secret of tenant %d: %w", r.TenantID, err)
	}
	return string(plain), nil
}

// checkInput reports every problem of the settings at once, the first one's field
// named.
func checkInput(in SSOInput, secretRequired bool) error {
	problems := in.settings().Problems()
	switch {
	case in.ClientSecret == "" && secretRequired:
		problems = append(problems, config.FieldProblem{Field: "client_secret", Message: "required: the client secret the identity provider gave SRG"})
	case len(in.ClientSecret) > maxClientSecret:
		problems = append(problems, config.FieldProblem{Field: "client_secret", Message: fmt.Sprintf("must be at most %d characters", maxClientSecret)})
	case strings.IndexFunc(in.ClientSecret, unicode.IsControl) >= 0:
		problems = append(problems, config.FieldProblem{Field: "client_secret", Message: "must not contain control characters"})
	}
	if len(problems) == 0 {
		return nil
	}
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.Field + ": " + p.Message
	}
	return errs.Invalid(problems[0].Field, "%s", strings.Join(msgs, "; "))
}

// mayGrant refuses settings that would give a role above the actor's own, so that an
// admin cannot make owners through the identity provider, nor change settings an
// owner made to grant owner.
func mayGrant(actorRole string, roles ...map[string]string) error {
	for _, m := range roles {
		for _, g := range slices.Sorted(maps.Keys(m)) {
			if roleRank[m[g]] > roleRank[actorRole] {
				return errs.Forbidden("your role (%s) cannot grant the %s role that group %q maps to", actorRole, m[g], g)
			}
		}
	}
	return nil
}

// Set creates or replaces a tenant's settings through the API, as actor with
// actorRole. The issuer must answer discovery, so that a wrong URL is refused now
// rather than at the first sign-in.
func (s *SSO) Set(ctx context.Context, tenantID int64, actorRole string, in SSOInput, actor string, cl Client) (SSOSettings, error) {
	ctx = db.WithTenant(ctx, tenantID)
	in.IssuerURL, in.ClientID = strings.TrimSpace(in.IssuerURL), strings.TrimSpace(in.ClientID)
	cur, exists, err := ssoOf(ctx, s.svc.db, tenantID)
	if err != nil {
		return SSOSettings{}, err
	}
	if err := checkInput(in, !exists); err != nil {
		return SSOSettings{}, err
	}
	if exists && cur.Source == sourceConfig {
		return SSOSettings{}, errDeclared
	}
	var curRoles map[string]string
	if exists {
		if curRoles, err = cur.roles(); err != nil {
			return SSOSettings{}, err
		}
	}
	if err := mayGrant(actorRole, in.GroupRoles, curRoles); err != nil {
		return SSOSettings{}, err
	}
	if err := s.checkIssuer(ctx, in.IssuerURL); err != nil {
		return SSOSettings{}, err
	}
	secret := in.ClientSecret
	if secret == "" {
		if secret, err = s.openSecret(cur); err != nil {
			return SSOSettings{}, err
		}
	}
	row, err := s.row(tenantID, in.settings(), secret, sourceAPI)
	if err != nil {
		return SSOSettings{}, err
	}
	err = s.svc.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := saveSSO(ctx, tx, row); err != nil {
			return err
		}
		return s.audit(ctx, tx, row, "sso.configured", actor, cl.IP, map[string]any{"client_secret_changed": in.ClientSecret != ""})
	})
	if err != nil {
		return SSOSettings{}, err
	}
	return s.view(row)
}

// row makes the stored form of settings, the secret sealed.
func (s *SSO) row(tenantID int64, set config.SSO, secret, source string) (ssoRow, error) {
	sealed, err := s.box.Seal([]byte(secret), secretAD(tenantID))
	if err != nil {
		return ssoRow{}, err
	}
	roles, err := json.Marshal(set.GroupRoles)
	if err != nil {
		return ssoRow{}, fmt.Errorf("auth: group roles: %w", err)
	}
	domains := set.AllowedDomains
	if domains == nil {
		domains = []string{}
	}
	return ssoRow{TenantID: tenantID, IssuerURL: set.IssuerURL, ClientID: set.ClientID, ClientSecret: sealed, AllowedDomains: domains,
		GroupsClaim: set.Claim(), GroupRoles: roles, Source: source, UpdatedAt: s.svc.now()}, nil
}

// audit records a settings change: what it set, never the secret.
func (s *SSO) audit(ctx context.Context, tx *gorm.DB, r ssoRow, action, actor, ip string, extra map[string]any) error {
	details := map[string]any{"issuer_url": r.IssuerURL, "client_id": r.ClientID, "allowed_domains": []string(r.AllowedDomains),
		"groups_claim": r.GroupsClaim, "group_roles": json.RawMessage(r.GroupRoles), "source": r.Source}
	maps.Copy(details, extra)
	return audit.Record(ctx, tx, audit.Entry{TenantID: &r.TenantID, Actor: actor, Action: action, Target: r.IssuerURL, RemoteAddr: ip, Details: details})
}

// Delete removes a tenant's settings through the API: its SSO sessions end and its
// pending sign-ins fail.
func (s *SSO) Delete(ctx context.Context, tenantID int64, actorRole, actor string, cl Client) error {
	ctx = db.WithTenant(ctx, tenantID)
	cur, exists, err := ssoOf(ctx, s.svc.db, tenantID)
	if err != nil {
		return err
	}
	if !exists {
		return errs.NotFound("this workspace has no single sign-on")
	}
	if cur.Source == sourceConfig {
		return errDeclared
	}
	roles, err := cur.roles()
	if err != nil {
		return err
	}
	if err := mayGrant(actorRole, roles); err != nil {
		return err
	}
	return s.remove(ctx, cur, actor, cl.IP)
}

func (s *SSO) remove(ctx context.Context, cur ssoRow, actor, ip string) error {
	return s.svc.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ended, err := deleteSSO(ctx, tx, cur.TenantID)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, cur, "sso.removed", actor, ip, map[string]any{"sessions_ended": ended})
	})
}

// ApplyDeclared makes the stored settings of config-declared tenants (ids by slug in
// tenantIDs) what the file says, and removes settings the file declared before and no
// longer does. Applying the same declarations again changes nothing.
func (s *SSO) ApplyDeclared(ctx context.Context, decl []DeclaredSSO, tenantIDs map[string]int64) (changed int, err error) {
	// The file declares the settings of any tenant: what it declared before is found
	// across tenants, and each tenant's settings are then written in its own scope.
	ctx = db.WithSystem(ctx)
	declared := map[int64]bool{}
	for _, d := range decl {
		id, ok := tenantIDs[d.Tenant]
		if !ok {
			return changed, fmt.Errorf("auth: sso of tenant %q: no such tenant", d.Tenant)
		}
		declared[id] = true
		tctx := db.WithTenant(ctx, id)
		same, err := s.sameAsStored(tctx, id, d)
		if err != nil {
			return changed, err
		}
		if same {
			continue
		}
		row, err := s.row(id, d.Settings, d.Secret, sourceConfig)
		if err != nil {
			return changed, err
		}
		err = s.svc.db.WithContext(tctx).Transaction(func(tx *gorm.DB) error {
			if err := saveSSO(tctx, tx, row); err != nil {
				return err
			}
			return s.audit(tctx, tx, row, "sso.configured", "config", "", nil)
		})
		if err != nil {
			return changed, err
		}
		changed++
	}
	before, err := ssoTenantsFrom(ctx, s.svc.db, sourceConfig)
	if err != nil {
		return changed, err
	}
	for _, id := range before {
		if declared[id] {
			continue
		}
		tctx := db.WithTenant(ctx, id)
		cur, ok, err := ssoOf(tctx, s.svc.db, id)
		if err != nil {
			return changed, err
		}
		if !ok {
			continue
		}
		if err := s.remove(tctx, cur, "config", ""); err != nil {
			return changed, err
		}
		changed++
	}
	return changed, nil
}

// sameAsStored reports whether the tenant's stored settings are already d.
func (s *SSO) sameAsStored(ctx context.Context, tenantID int64, d DeclaredSSO) (bool, error) {
	cur, ok, err := ssoOf(ctx, s.svc.db, tenantID)
	if err != nil || !ok || cur.Source != sourceConfig {
		return false, err
	}
	roles, err := cur.roles()
	if err != nil {
		return false, err
	}
	secret, err := s.openSecret(cur)
	if err != nil {
		// A secret sealed under a former key: store it again.
		return false, nil
	}
	want := d.Settings
	sameDomains := len(cur.AllowedDomains) == 0 && len(want.AllowedDomains) == 0 || slices.Equal([]string(cur.AllowedDomains), want.AllowedDomains)
	return cur.IssuerURL == want.IssuerURL && cur.ClientID == want.ClientID && secret == d.Secret && sameDomains &&
		cur.GroupsClaim == want.Claim() && maps.Equal(roles, want.GroupRoles), nil
}
