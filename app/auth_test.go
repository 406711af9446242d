package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/app"
	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/auth/authtest"
	"github.com/srgplatform/srg/modules/auth/twiliofake"
)

const (
	adminEmail    = "admin@demo.example"
	adminPhone    = "+15555550100"
	adminPassword = "the demo admin's password"
	// adminPasswordEnv is the variable the declaration names for the first password.
	adminPasswordEnv = "DEMO_ADMIN_PASSWORD"
)

// authConfig is a test config whose demo tenant's owner gets a first password from the
// environment, with Twilio's Messages API replaced by a fake.
func authConfig(t *testing.T) (config.Config, *twiliofake.Server) {
	t.Helper()
	fake := twiliofake.New()
	fsrv := httptest.NewServer(fake)
	t.Cleanup(fsrv.Close)
	cfg := apptest.Config(t)
	cfg.Auth.Argon2 = config.Argon2{Memory: 8 * 1024, Iterations: 1, Parallelism: 1}
	cfg.Auth.Twilio = config.Twilio{AccountSID: twiliofake.AccountSID, AuthToken: twiliofake.AuthToken, From: twiliofake.From,
		BaseURL: fsrv.URL, Timeout: 5 * time.Second}
	t.Setenv(adminPasswordEnv, adminPassword)
	cfg.Tenants = []config.Tenant{{
		Slug: "demo", Name: "Demo",
		Sites:  []config.Site{{Key: "demo-site", Domains: []string{"localhost", "127.0.0.1"}}},
		Admins: []config.Admin{{Name: "Admin", Email: adminEmail, Phone: adminPhone, Role: "owner", PasswordEnv: adminPasswordEnv}},
	}}
	return cfg, fake
}

// signedIn serves p and returns the declared owner's browser, signed in.
func signedIn(t *testing.T, p *app.Platform, fake *twiliofake.Server) (*authtest.Browser, authtest.Response) {
	t.Helper()
	indicesReady(t, p)
	srv := httptest.NewServer(p.Echo)
	t.Cleanup(srv.Close)
	b := authtest.New(t, srv.URL, codeFrom(t, fake))
	return b, b.SignIn(adminEmail, adminPassword, adminPhone)
}

func codeFrom(t *testing.T, fake *twiliofake.Server) func(string) string {
	return func(phone string) string {
		code, ok := fake.LastCode(phone)
		if !ok {
			t.Fatalf("no code texted to %s", phone)
		}
		return code
	}
}

// TestSignInThroughThePlatform signs the declared owner in with the first password from
// the environment and the code texted through the fake Twilio.
func TestSignInThroughThePlatform(t *testing.T) {
	cfg, fake := authConfig(t)
	b, r := signedIn(t, build(t, cfg), fake)
	if c := r.Cookie("srg_session"); c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", c)
	}
	// The global middleware recognises the session on any route.
	if r := b.Get("/login"); r.Status != http.StatusSeeOther || r.Location() != "/" {
		t.Fatalf("sign-in page when signed in: %d %s", r.Status, r.Location())
	}
	if msgs := fake.Messages(); len(msgs) != 1 || msgs[0].To != adminPhone || !strings.Contains(msgs[0].Body, "Your SRG login code is") {
		t.Fatalf("texts %+v", msgs)
	}

	stranger := authtest.New(t, b.Base, nil)
	for _, path := range []string{"/api/tenants/demo/tokens", "/api/v1/tenants/demo/tokens"} {
		r := stranger.Do(http.MethodGet, path, nil, map[string]string{"Accept": "application/json"})
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, `"error"`) {
			t.Fatalf("%s before sign-in: %d %s", path, r.Status, r.Body)
		}
	}
	if r := stranger.Get("/account"); r.Status != http.StatusSeeOther || r.Location() != "/login?next=%2Faccount" {
		t.Fatalf("account page before sign-in: %d %s", r.Status, r.Location())
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	cfg, _ := authConfig(t)
	cfg.Tracking.RateLimitPerIP, cfg.Tracking.RateLimitPerSite = 0, 0
	p := build(t, cfg)
	srv := httptest.NewServer(p.Echo)
	defer srv.Close()
	page := authtest.New(t, srv.URL, nil).Get("/login")
	css := strings.Split(strings.Split(page.Body, `href="/static/`)[1], `"`)[0]
	collect := `{"v":1,"site":"demo-site","events":[{"type":"pageview","id":"evt-0000000000000001","vid":"visitor-1","sid":"session-1","ts":` +
		strconv.FormatInt(time.Now().UnixMilli(), 10) + `,"url":"http://localhost:3000/"}]}`
	thirdParty := map[string]string{"Origin": "http://localhost:3000", "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		// crossOrigin responses go to other sites' pages: no cookie of srg's.
		crossOrigin bool
	}{
		{"sign-in page", http.MethodGet, "/login", "", nil, http.StatusOK, false},
		{"stylesheet", http.MethodGet, "/static/" + css, "", nil, http.StatusOK, false},
		{"health", http.MethodGet, "/healthz", "", nil, http.StatusOK, false},
		{"not found", http.MethodGet, "/nowhere", "", nil, http.StatusNotFound, false},
		{"tracker script", http.MethodGet, "/sona.js", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusOK, true},
		{"collect from a customer's site, no CSRF token", http.MethodPost, "/t/collect", collect, thirdParty, http.StatusNoContent, true},
		{"collect preflight", http.MethodOptions, "/t/collect", "", map[string]string{"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}, http.StatusNoContent, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := authtest.New(t, srv.URL, nil).Do(tt.method, tt.path, strings.NewReader(tt.body), tt.header)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			h := r.Header
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-inline' ;") || strings.Contains(strings.Split(strings.Split(csp, "script-src")[1], ";")[0], "unsafe") {
				t.Errorf("CSP %q", csp)
			}
			for name, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"} {
				if h.Get(name) != want {
					t.Errorf("%s = %q, want %q", name, h.Get(name), want)
				}
			}
			if h.Get("Strict-Transport-Security") != "" {
				t.Error("HSTS over plain HTTP")
			}
			if tt.crossOrigin && len(h.Values("Set-Cookie")) > 0 {
				t.Errorf("a response to a third-party page sets cookies: %v", h.Values("Set-Cookie"))
			}
			if tt.crossOrigin && tt.method != http.MethodGet && h.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
				t.Errorf("CORS header lost: %q", h.Get("Access-Control-Allow-Origin"))
			}
		})
	}
}

// TestCrossOriginRoutesAreTheTrackersOnly pins the CSRF exemption: only the tracker's
// public endpoints take requests from other sites without a token.
func TestCrossOriginRoutesAreTheTrackersOnly(t *testing.T) {
	cfg, _ := authConfig(t)
	p := build(t, cfg)
	var got []string
	for _, rt := range p.Router.Routes() {
		if rt.CrossOrigin {
			got = append(got, rt.Method+" "+rt.Path)
			if !rt.Perm.Public {
				t.Errorf("%s %s is cross-origin but not public", rt.Method, rt.Path)
			}
		}
	}
	want := []string{"GET /sona.js", "GET /t/config/:key", "GET /t/p.gif", "OPTIONS /t/collect", "POST /t/collect"}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("cross-origin routes %v, want %v", got, want)
	}
}

// TestEveryStateChangingRouteNeedsACSRFToken requests every route of the platform that
// changes state as a signed-in browser with a forged token: the CSRF check refuses each
// before its permission is even looked at.
func TestEveryStateChangingRouteNeedsACSRFToken(t *testing.T) {
	cfg, fake := authConfig(t)
	p := build(t, cfg)
	b, _ := signedIn(t, p, fake)
	params := strings.NewReplacer(":tenant", "demo", ":key", "demo-site", ":kind", "contacts", ":source", "hubspot", ":hash", "x", "*", "x")
	checked := 0
	for _, rt := range p.Router.Routes() {
		if rt.CrossOrigin || slices.Contains([]string{http.MethodGet, http.MethodHead, http.MethodOptions}, rt.Method) {
			continue
		}
		path := params.Replace(rt.Path)
		for strings.Contains(path, ":") {
			i := strings.Index(path, ":")
			j := strings.IndexByte(path[i:], '/')
			if j < 0 {
				j = len(path) - i
			}
			path = path[:i] + "1" + path[i+j:]
		}
		r := b.Do(rt.Method, path, nil, map[string]string{"X-CSRF-Token": "forged", "Accept": "application/json"})
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "did not come from this site") {
			t.Errorf("%s %s with a forged CSRF token: %d %s", rt.Method, rt.Path, r.Status, r.Body)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d state-changing routes", checked)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns their paths
// and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "srg test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	cfg, fake := authConfig(t)
	certFile, keyFile, pool := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "https://" + ln.Addr().String()
	cfg.Server.PublicURL = base
	cfg.Server.TLS = config.TLS{CertFile: certFile, KeyFile: keyFile, RedirectAddr: rln.Addr().String()}
	if p := cfg.Validate(); len(p) > 0 {
		t.Fatal(p)
	}
	p := build(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 2)
	go func() { served <- p.Serve(ctx, ln) }()
	go func() { served <- p.ServeRedirect(ctx, rln) }()
	defer func() {
		cancel()
		for i := 0; i < 2; i++ {
			if err := <-served; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	}()

	client := func(maxVersion uint16) *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, Timeout: 10 * time.Second,
			Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: maxVersion}},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if _, err := client(tls.VersionTLS11).Get(base + "/healthz"); err == nil {
		t.Fatal("a TLS 1.1 client was served")
	}
	b := authtest.New(t, base, codeFrom(t, fake))
	b.Client = client(tls.VersionTLS12)
	r := b.Get("/login")
	if r.Status != http.StatusOK || r.Header.Get("Strict-Transport-Security") != web.HSTS {
		t.Fatalf("over TLS 1.2: %d, HSTS %q", r.Status, r.Header.Get("Strict-Transport-Security"))
	}
	if c := r.Cookie("srg_csrf"); c == nil || !c.Secure {
		t.Fatalf("CSRF cookie not Secure under TLS: %+v", c)
	}
	r = b.SignIn(adminEmail, adminPassword, adminPhone)
	if c := r.Cookie("srg_session"); c == nil || !c.Secure || !c.HttpOnly {
		t.Fatalf("session cookie not Secure under TLS: %+v", c)
	}

	plain := client(0)
	for _, tt := range []struct {
		method string
		status int
	}{{http.MethodGet, http.StatusMovedPermanently}, {http.MethodPost, http.StatusPermanentRedirect}} {
		req, _ := http.NewRequest(tt.method, "http://"+rln.Addr().String()+"/login?next=%2Faccount", nil)
		resp, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Location") != base+"/login?next=%2Faccount" {
			t.Fatalf("plain HTTP %s: %d %q", tt.method, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestBadCertificateStopsStart(t *testing.T) {
	cfg := apptest.Config(t)
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	cfg.Server.PublicURL = "https://srg.example"
	cfg.Server.TLS = config.TLS{CertFile: bad, KeyFile: bad}
	if _, err := app.Build(context.Background(), cfg, apptest.Logger(t)); err == nil || !strings.Contains(err.Error(), "server.tls") {
		t.Fatalf("a broken certificate was accepted: %v", err)
	}
}
