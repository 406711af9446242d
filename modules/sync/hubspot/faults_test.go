package hubspot

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/hubspot/hubspotfake"
)

func TestPullFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		creds map[string]any
		// warm runs a first pull before the fault, so a token has been issued.
		warm       bool
		fault      func(f *hubspotfake.Server)
		wantErr    string
		wantReauth bool
		// wantSleep is the least wait the client must have taken.
		wantSleep time.Duration
		// wantTokens is how many token requests the fake must have seen.
		wantTokens int
	}{
		{name: "429 on search honours Retry-After", creds: privateApp(), wantSleep: 3 * time.Second,
			fault: func(f *hubspotfake.Server) {
				f.Inject(hubspotfake.Fault{Kind: hubspotfake.RateLimited, Path: "/search", Times: 2, RetryAfter: 3 * time.Second})
			}},
		{name: "429 on associations", creds: privateApp(), wantSleep: time.Second,
			fault: func(f *hubspotfake.Server) {
				f.Inject(hubspotfake.Fault{Kind: hubspotfake.RateLimited, Path: "/crm/v4/associations", Times: 3})
			}},
		{name: "5xx retried", creds: privateApp(),
			fault: func(f *hubspotfake.Server) {
				f.Inject(hubspotfake.Fault{Kind: hubspotfake.ServerError, Times: 4})
			}},
		{name: "5xx until the retries run out", creds: privateApp(), wantErr: "gave up after 6 retries",
			fault: func(f *hubspotfake.Server) {
				f.Inject(hubspotfake.Fault{Kind: hubspotfake.ServerError, Path: "/pipelines", Times: 100})
			}},
		{name: "expired OAuth token is refreshed", creds: oauthApp(), warm: true, wantTokens: 2,
			fault: func(f *hubspotfake.Server) { f.ExpireAccessTokens() }},
		{name: "revoked OAuth app needs re-authorisation", creds: oauthApp(), warm: true, wantReauth: true,
			wantErr: "BAD_REFRESH_TOKEN", fault: func(f *hubspotfake.Server) { f.Revoke() }},
		{name: "revoked private app token needs re-authorisation", creds: privateApp(), wantReauth: true,
			wantErr: "token was refused", fault: func(f *hubspotfake.Server) { f.Revoke() }},
		{name: "wrong private app token", creds: map[string]any{"access_token": "pat-na1-wrong"}, wantReauth: true,
			wantErr: "token was refused", fault: func(*hubspotfake.Server) {}},
		{name: "wrong OAuth client secret", creds: map[string]any{"client_id": "fake-client-id", "client_secret": "nope",
			"refresh_token": "fake-refresh-token"}, wantReauth: true, wantErr: "token refresh refused", fault: func(*hubspotfake.Server) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := hubspotfake.New(hubspotfake.Options{})
			defer f.Close()
			f.Seed(150, 20, 60)
			c, sl := newConnector(t, fastSettings(f), tc.creds)
			m := newMemMirror()
			if tc.warm {
				pull(t, c, m)
			}
			tc.fault(f)
			err := c.Pull(t.Context(), &memRun{m: m, left: -1})
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Pull: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Pull error = %v, want one containing %q", err, tc.wantErr)
			}
			if got := errors.Is(err, connector.ErrReauth); got != tc.wantReauth {
				t.Errorf("errors.Is(%v, ErrReauth) = %v, want %v", err, got, tc.wantReauth)
			}
			if err == nil {
				checkMirror(t, f, m)
				if n := f.PendingFaults(); n != 0 {
					t.Errorf("%d faults never triggered", n)
				}
			}
			if got := sl.longest(); got < tc.wantSleep {
				t.Errorf("longest wait %v, want at least %v", got, tc.wantSleep)
			}
			if tc.wantTokens > 0 {
				if got := f.Requests("/oauth/v1/token"); got != tc.wantTokens {
					t.Errorf("%d token requests, want %d", got, tc.wantTokens)
				}
			}
		})
	}
}

func TestPullMalformedJSON(t *testing.T) {
	for _, tc := range []struct {
		name, method, path string
		// wantBefore are the types fully mirrored before the failing page.
		wantBefore []connector.Object
		// wantNone are the types of which nothing may be committed.
		wantNone []connector.Object
	}{
		{name: "pipelines", method: http.MethodGet, path: "/pipelines",
			wantNone: []connector.Object{connector.ObjAccount, connector.ObjContact, connector.ObjOpportunity}},
		{name: "contact search", method: http.MethodPost, path: "/contacts/search",
			wantBefore: []connector.Object{connector.ObjAccount}, wantNone: []connector.Object{connector.ObjContact, connector.ObjOpportunity}},
		{name: "contact companies", method: http.MethodPost, path: "/associations/contacts/companies",
			wantBefore: []connector.Object{connector.ObjAccount}, wantNone: []connector.Object{connector.ObjContact, connector.ObjOpportunity}},
		{name: "deal contacts", method: http.MethodPost, path: "/associations/deals/contacts",
			wantBefore: []connector.Object{connector.ObjAccount, connector.ObjContact}, wantNone: []connector.Object{connector.ObjOpportunity}},
		{name: "archived deals", method: http.MethodGet, path: "/crm/v3/objects/deals",
			wantBefore: []connector.Object{connector.ObjAccount, connector.ObjContact, connector.ObjOpportunity}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := hubspotfake.New(hubspotfake.Options{})
			defer f.Close()
			f.Seed(80, 10, 40)
			if err := f.Archive(hubspotfake.Deals, f.LiveIDs(hubspotfake.Deals)[0]); err != nil {
				t.Fatal(err)
			}
			c, _ := newConnector(t, fastSettings(f), privateApp())
			f.Inject(hubspotfake.Fault{Kind: hubspotfake.MalformedJSON, Method: tc.method, Path: tc.path})
			m := newMemMirror()
			err := c.Pull(t.Context(), &memRun{m: m, left: -1})
			if err == nil || !strings.Contains(err.Error(), "malformed JSON") || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("Pull error = %v, want malformed JSON naming %s", err, tc.path)
			}
			for _, obj := range tc.wantBefore {
				if len(m.ids(obj, true)) == 0 {
					t.Errorf("no %s committed before the failing page", obj)
				}
			}
			for _, obj := range tc.wantNone {
				if ids := m.ids(obj, true); len(ids) != 0 {
					t.Errorf("%d %s committed from or after the failing page", len(ids), obj)
				}
			}
			if ids := m.ids(connector.ObjOpportunity, false); len(ids) != 0 {
				t.Errorf("archived deals marked deleted despite the failure: %v", ids)
			}
			pull(t, c, m)
			checkMirror(t, f, m)
		})
	}
}

func TestPullUnderRateLimit(t *testing.T) {
	t.Parallel()
	// Real waits: the fake refuses more than 5 requests a second and says how many
	// are left; the connector at its default pace must finish without giving up.
	f := hubspotfake.New(hubspotfake.Options{RequestsPerSecond: 5, SearchRequestsPerSecond: 3})
	defer f.Close()
	f.Seed(30, 6, 12)
	settings := map[string]any{"base_url": f.URL, "token_url": f.TokenURL}
	c, err := New(connector.Config{Settings: mustJSON(t, settings), Credentials: mustJSON(t, privateApp())})
	if err != nil {
		t.Fatal(err)
	}
	m := newMemMirror()
	start := time.Now()
	pull(t, c, m)
	checkMirror(t, f, m)
	if n := f.Requests(""); time.Since(start) < time.Duration(n/5-1)*time.Second {
		t.Errorf("%d requests in %v: faster than the fake's limit allows", n, time.Since(start))
	}
	t.Logf("%d requests, %d refused with 429, in %v", f.Requests(""), f.RateLimited(), time.Since(start))
}
