package apiclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/srgplatform/srg/modules/sync/apiclient"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// script answers the n-th request with the n-th step; the last step repeats.
type script struct {
	mu    sync.Mutex
	steps []func(w http.ResponseWriter, r *http.Request)
	n     int
	auths []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i := min(s.n, len(s.steps)-1)
	s.n++
	s.auths = append(s.auths, r.Header.Get("Authorization"))
	s.mu.Unlock()
	s.steps[i](w, r)
}

func status(code int, header ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"status":%d}`, code)
	}
}

func body(s string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, s) }
}

func TestRetriesAndErrors(t *testing.T) {
	ok := body(`{"ok":true}`)
	cases := []struct {
		name     string
		steps    []func(http.ResponseWriter, *http.Request)
		auth     string // "bearer" (default) or "oauth"
		wantErr  string
		reauth   bool
		requests int
		sleeps   int
		minSleep time.Duration
	}{
		{name: "success", steps: steps(ok), requests: 1},
		{name: "429 honours Retry-After", steps: steps(status(429, "Retry-After", "7"), ok), requests: 2, sleeps: 1, minSleep: 7 * time.Second},
		{name: "5xx retried", steps: steps(status(503), status(502), ok), requests: 3, sleeps: 2},
		{name: "5xx gives up", steps: steps(status(500)), wantErr: "gave up after 3 retries", requests: 4, sleeps: 3},
		{name: "400 is not retried", steps: steps(status(400)), wantErr: "HTTP 400", requests: 1},
		{name: "malformed JSON is not retried", steps: steps(body(`{"ok":tru`)), wantErr: "malformed JSON", requests: 1},
		{name: "bearer refused means re-authorise", steps: steps(status(401)), wantErr: "re-authorisation", reauth: true, requests: 1},
		{name: "oauth 401 refreshes once", auth: "oauth", steps: steps(status(401), ok), requests: 2},
		{name: "oauth refused after refresh", auth: "oauth", steps: steps(status(401)), wantErr: "after a refresh", reauth: true, requests: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := &script{steps: c.steps}
			srv := httptest.NewServer(api)
			defer srv.Close()
			var auth apiclient.Authenticator = apiclient.Bearer("tok")
			tokens := 0
			if c.auth == "oauth" {
				ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					tokens++
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"Bearer","expires_in":3600}`, tokens)
				}))
				defer ts.Close()
				auth = apiclient.NewOAuth2(&oauth2.Config{ClientID: "c", Endpoint: oauth2.Endpoint{TokenURL: ts.URL}}, "rt", nil)
			}
			cl, err := apiclient.New(apiclient.Options{Name: "test", BaseURL: srv.URL + "/v1", Auth: auth, MaxRetries: 3})
			if err != nil {
				t.Fatal(err)
			}
			var slept []time.Duration
			cl.SetSleep(func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil })
			var out struct{ OK bool }
			err = cl.JSON(context.Background(), apiclient.Request{Method: "GET", Path: "/things?token=secret"}, &out)
			if c.wantErr == "" && (err != nil || !out.OK) {
				t.Fatalf("err = %v, out = %+v", err, out)
			}
			if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Fatalf("the error shows the query string: %v", err)
			}
			if errors.Is(err, connector.ErrReauth) != c.reauth {
				t.Fatalf("ErrReauth = %v, want %v (%v)", errors.Is(err, connector.ErrReauth), c.reauth, err)
			}
			if api.n != c.requests || len(slept) != c.sleeps {
				t.Fatalf("%d requests and %d sleeps %v, want %d and %d", api.n, len(slept), slept, c.requests, c.sleeps)
			}
			if c.minSleep > 0 && slept[0] < c.minSleep {
				t.Fatalf("slept %v, want at least %v", slept[0], c.minSleep)
			}
			if c.auth == "oauth" && c.requests == 2 && (api.auths[0] == api.auths[1] || tokens != 2) {
				t.Fatalf("no new token after a 401: %v, %d token requests", api.auths, tokens)
			}
		})
	}
}

func steps(s ...func(http.ResponseWriter, *http.Request)) []func(http.ResponseWriter, *http.Request) {
	return s
}

func TestBackoffGrowsAndIsBounded(t *testing.T) {
	srv := httptest.NewServer(&script{steps: steps(status(503))})
	defer srv.Close()
	cl, _ := apiclient.New(apiclient.Options{Name: "t", BaseURL: srv.URL, MaxRetries: 8, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	var slept []time.Duration
	cl.SetSleep(func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil })
	_ = cl.JSON(context.Background(), apiclient.Request{Method: "GET", Path: "x"}, nil)
	for i, d := range slept {
		ceiling := min(100*time.Millisecond<<i, time.Second) + 50*time.Millisecond
		if d < 50*time.Millisecond || d > ceiling {
			t.Fatalf("backoff %d = %v, want within [50ms, %v]", i, d, ceiling)
		}
	}
}

func TestLinksStayOnTheAPIHost(t *testing.T) {
	srv := httptest.NewServer(&script{steps: steps(body(`{}`))})
	defer srv.Close()
	cl, _ := apiclient.New(apiclient.Options{Name: "t", BaseURL: srv.URL, Auth: apiclient.Bearer("tok")})
	err := cl.JSON(context.Background(), apiclient.Request{Method: "GET", Path: "https://evil.example/next?page=2"}, nil)
	if err == nil || !strings.Contains(err.Error(), "leaves") {
		t.Fatalf("err = %v", err)
	}
	if err := cl.JSON(context.Background(), apiclient.Request{Method: "GET", Path: srv.URL + "/next?page=2"}, nil); err != nil {
		t.Fatalf("a link on the API host: %v", err)
	}
}

func TestPaceWaitsBeforeTheNextRequest(t *testing.T) {
	srv := httptest.NewServer(&script{steps: steps(status(200, "X-Remaining", "0"), status(200, "X-Remaining", "5"))})
	defer srv.Close()
	cl, _ := apiclient.New(apiclient.Options{Name: "t", BaseURL: srv.URL, Pace: func(h http.Header) time.Duration {
		if h.Get("X-Remaining") == "0" {
			return time.Hour
		}
		return 0
	}})
	var slept []time.Duration
	cl.SetSleep(func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil })
	for range 2 {
		if err := cl.JSON(context.Background(), apiclient.Request{Method: "GET", Path: "x"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(slept) != 1 || slept[0] < 59*time.Minute {
		t.Fatalf("slept %v, want one pause of about an hour", slept)
	}
}

func TestBadBaseURL(t *testing.T) {
	for _, u := range []string{"", "api.example.com", "ftp://x", "http://"} {
		if _, err := apiclient.New(apiclient.Options{Name: "t", BaseURL: u}); err == nil {
			t.Errorf("base URL %q accepted", u)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	cases := map[string]time.Duration{"": 0, "3": 3 * time.Second, "1.5": 1500 * time.Millisecond, "-1": 0, "soon": 0, "99999": 10 * time.Minute}
	for v, want := range cases {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		if got := apiclient.RetryAfter(h); got != want {
			t.Errorf("Retry-After %q = %v, want %v", v, got, want)
		}
	}
	h := http.Header{"Retry-After": {time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)}}
	if got := apiclient.RetryAfter(h); got < 58*time.Second || got > time.Minute {
		t.Errorf("Retry-After as a date = %v", got)
	}
}
