package app

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/sms"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/auth"
	"github.com/srgplatform/srg/modules/tenants"
)

// configureHTTP applies the server settings that concern every request: the client
// address behind trusted proxies, /api/v1 as the versioned API prefix, and TLS.
func (p *Platform) configureHTTP() error {
	ipx, err := web.IPExtractor(p.Config.Tracking.TrustedProxies)
	if err != nil {
		return err
	}
	p.Echo.IPExtractor = ipx
	p.Echo.Pre(web.StripAPIVersion)
	if t := p.Config.Server.TLS; t.Enabled() {
		if p.tls, err = web.TLSConfig(t.CertFile, t.KeyFile); err != nil {
			return err
		}
	}
	return nil
}

// buildAuth wires sign-in: Twilio (Verify or Messages) when configured, else, in
// development only, codes written to the log; and single sign-on, with the tenants'
// settings the config file declares.
func (p *Platform) buildAuth() (*auth.Module, error) {
	cfg := p.Config
	log := p.Log.With("module", "auth")
	d := auth.Deps{
		Config:           cfg.Auth,
		DB:               p.DB,
		Tenants:          authTenants{p.Tenants.Service()},
		Routes:           p.Router,
		SecureCookies:    cfg.Server.TLS.Enabled() || strings.HasPrefix(cfg.Server.PublicURL, "https://"),
		InitialPasswords: initialPasswords(cfg.Tenants, os.LookupEnv),
		SSO:              auth.SSODeps{Box: p.Secrets, Members: p.Tenants.Service(), PublicURL: cfg.Server.PublicURL},
		Log:              log,
		Layout:           p.Layout,
	}
	var err error
	if d.DeclaredSSO, err = declaredSSO(cfg.Tenants, os.LookupEnv); err != nil {
		return nil, err
	}
	key, err := hkdf.Key(sha256.New, []byte(cfg.Secrets.Key), nil, "srg auth login codes", 32)
	if err != nil {
		return nil, fmt.Errorf("app: login code key: %w", err)
	}
	d.CodeKey = key
	switch {
	case cfg.Auth.Twilio.Configured():
		tw, err := sms.NewTwilio(cfg.Auth.Twilio)
		if err != nil {
			return nil, err
		}
		if tw.UsesVerify() {
			d.Verifier = tw
		} else {
			d.Codes = tw
		}
	case cfg.Production():
		return nil, fmt.Errorf("config: auth.twilio: production mode needs Twilio for login codes")
	default:
		log.Warn("Twilio is not configured: sign-in codes are written to this log (development mode only)")
		d.Codes = sms.DevLog{Log: log}
	}
	return auth.New(d)
}

// initialPasswords reads the first passwords of declared users from the variables
// their password_env names; unset or empty variables are skipped.
func initialPasswords(decl []config.Tenant, lookup func(string) (string, bool)) []auth.InitialPassword {
	var out []auth.InitialPassword
	for _, t := range decl {
		for _, a := range t.Admins {
			if a.PasswordEnv == "" {
				continue
			}
			if pw, ok := lookup(a.PasswordEnv); ok && pw != "" {
				out = append(out, auth.InitialPassword{Email: a.Email, Password: pw, Source: "$" + a.PasswordEnv})
			}
		}
	}
	return out
}

// declaredSSO reads the single sign-on the config file declares, each client secret from
// the variable its client_secret_env names; an unset or empty variable stops start-up.
func declaredSSO(decl []config.Tenant, lookup func(string) (string, bool)) ([]auth.DeclaredSSO, error) {
	var out []auth.DeclaredSSO
	for i, t := range decl {
		if !t.SSO.Declared() {
			continue
		}
		secret, ok := lookup(t.SSO.ClientSecretEnv)
		if !ok || secret == "" {
			return nil, fmt.Errorf("config: tenants[%d].sso.client_secret_env: $%s is not set: it must hold the client secret of tenant %s",
				i, t.SSO.ClientSecretEnv, t.Slug)
		}
		out = append(out, auth.DeclaredSSO{Tenant: t.Slug, Settings: t.SSO, Secret: secret})
	}
	return out, nil
}

// environLookup looks variables up in environ (KEY=value entries), as os.LookupEnv does
// in the process environment.
func environLookup(environ []string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for i := len(environ) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(environ[i], name+"="); ok {
				return v, true
			}
		}
		return "", false
	}
}

// ServeRedirect serves plain HTTP on ln, redirecting every request to
// server.public_url, until ctx ends.
func (p *Platform) ServeRedirect(ctx context.Context, ln net.Listener) error {
	h, err := web.RedirectToHTTPS(p.Config.Server.PublicURL)
	if err != nil {
		return err
	}
	return web.Serve(ctx, h, ln, web.ServerConfig{
		ReadTimeout:     p.Config.Server.ReadTimeout,
		WriteTimeout:    p.Config.Server.WriteTimeout,
		ShutdownTimeout: p.Config.Server.ShutdownTimeout,
	})
}

type authTenants struct{ svc *tenants.Service }

func (a authTenants) TenantID(ctx context.Context, slug string) (int64, error) {
	t, err := a.svc.BySlug(ctx, slug)
	return t.ID, err
}

func (a authTenants) RoleOf(ctx context.Context, tenantID, userID int64) (string, error) {
	return a.svc.RoleOf(ctx, tenantID, userID)
}
