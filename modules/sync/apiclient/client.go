// Package apiclient is the HTTP behaviour every connector shares: JSON requests to a
// base URL, timeouts, client-side throttling, retries with exponential backoff and
// full jitter on 429 and 5xx honouring Retry-After, a pause when the API's own
// rate-limit headers say so, and a credentials refresh on 401. Each connector adds
// only how its API phrases errors (Classify) and limits (Pace).
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/srgplatform/srg/modules/sync/connector"
)

// Verdict is what to do with a response.
type Verdict int

// Verdicts, from Classify.
const (
	// Done: the response is the answer (success, or an error the caller handles).
	Done Verdict = iota
	// Retry after a backoff (429, 5xx, quota errors).
	Retry
	// Refresh the credentials, then retry once.
	Refresh
	// Reauth: the credentials are refused for good.
	Reauth
	// Fail: a permanent error; Classification.Err says why.
	Fail
)

// Classification is Classify's reading of a response.
type Classification struct {
	Verdict Verdict
	// RetryAfter, when set, overrides the computed backoff for Retry.
	RetryAfter time.Duration
	// Err describes a Fail or Reauth in the API's own words.
	Err error
}

// Response is a received response with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Authenticator puts credentials on requests and renews them when refused.
type Authenticator interface {
	Apply(ctx context.Context, req *http.Request) error
	// Refresh renews the credentials after a 401; it returns an error wrapping
	// connector.ErrReauth when they cannot be renewed.
	Refresh(ctx context.Context) error
}

// Options configure a Client. Name and BaseURL are required.
type Options struct {
	// Name labels errors ("hubspot").
	Name    string
	BaseURL string
	// HTTP sends the requests; nil means a client with a 60 s timeout.
	HTTP *http.Client
	Auth Authenticator
	// Header is sent on every request (API versions, developer tokens).
	Header http.Header
	// Classify reads a response; nil means DefaultClassify. A connector's Classify
	// usually handles its own error bodies and falls back to DefaultClassify.
	Classify func(*Response) Classification
	// Pace returns how long to wait before the next request given a response's
	// headers (an API's "remaining" rate-limit headers); nil means never.
	Pace func(http.Header) time.Duration
	// RequestsPerSecond throttles requests on the client side; 0 means no throttle.
	RequestsPerSecond float64
	// MaxRetries is how many times a request is retried (default 6).
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff (defaults 500 ms, 60 s).
	MinBackoff, MaxBackoff time.Duration
}

// Client sends JSON requests to one API.
type Client struct {
	opt     Options
	base    *url.URL
	limiter *rate.Limiter
	sleep   func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	pauseAt time.Time
}

// New builds a client. It fails when the base URL is not an absolute http(s) URL.
func New(opt Options) (*Client, error) {
	base, err := url.Parse(strings.TrimSuffix(opt.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("%s: base URL %q is not an absolute http(s) URL", opt.Name, opt.BaseURL)
	}
	if opt.HTTP == nil {
		opt.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if opt.Classify == nil {
		opt.Classify = DefaultClassify
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = 6
	}
	if opt.MinBackoff == 0 {
		opt.MinBackoff = 500 * time.Millisecond
	}
	if opt.MaxBackoff == 0 {
		opt.MaxBackoff = time.Minute
	}
	c := &Client{opt: opt, base: base, sleep: sleepCtx}
	if opt.RequestsPerSecond > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(opt.RequestsPerSecond), 1)
	}
	return c, nil
}

// SetSleep replaces the wait between retries (tests use it to run fast).
func (c *Client) SetSleep(sleep func(ctx context.Context, d time.Duration) error) { c.sleep = sleep }

// Sleep waits d, or until ctx ends, with the client's wait: a connector that polls
// (an asynchronous report) waits the way its retries do.
func (c *Client) Sleep(ctx context.Context, d time.Duration) error { return c.sleep(ctx, d) }

// Request is one API call. Path is relative to the base URL, or absolute (a next-page
// link the API returned). Body, when not nil, is sent as JSON unless it is a
// url.Values, which is sent as a form.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Body   any
}

// Error is a request that did not succeed.
type Error struct {
	API    string
	Method string
	Path   string
	Status int
	// Body is the start of the response body, for the run log.
	Body string
	Err  error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %s %s", e.API, e.Method, e.Path)
	if e.Status != 0 {
		msg += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	} else if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// JSON sends req and decodes a successful JSON response into out (unless out is nil).
// Malformed JSON is an error naming the request.
func (c *Client) JSON(ctx context.Context, req Request, out any) error {
	resp, err := c.Do(ctx, req)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return &Error{API: c.opt.Name, Method: req.Method, Path: c.safePath(req.Path), Status: resp.Status, Body: snippet(resp.Body), Err: fmt.Errorf("malformed JSON: %w", err)}
	}
	return nil
}

// Do sends req, retrying as the response's classification says, and returns the
// final response when Classify calls it Done.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	refreshed := false
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, req)
		var cl Classification
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var perm permanent
			if errors.Is(err, connector.ErrReauth) || errors.As(err, &perm) {
				return nil, err
			}
			cl = Classification{Verdict: Retry, Err: err}
		} else {
			cl = c.opt.Classify(resp)
		}
		fail := func(e error) *Error {
			out := &Error{API: c.opt.Name, Method: req.Method, Path: c.safePath(req.Path), Err: e}
			if resp != nil {
				out.Status, out.Body = resp.Status, snippet(resp.Body)
			}
			return out
		}
		switch cl.Verdict {
		case Done:
			return resp, nil
		case Fail:
			return nil, fail(cl.Err)
		case Reauth:
			e := cl.Err
			if e == nil {
				e = errors.New("credentials refused")
			}
			return nil, fail(fmt.Errorf("%w: %v", connector.ErrReauth, e))
		case Refresh:
			if refreshed || c.opt.Auth == nil {
				return nil, fail(fmt.Errorf("%w: the API refused the credentials after a refresh", connector.ErrReauth))
			}
			refreshed = true
			if err := c.opt.Auth.Refresh(ctx); err != nil {
				return nil, fail(err)
			}
			attempt--
			continue
		case Retry:
			if attempt >= c.opt.MaxRetries {
				e := cl.Err
				if e == nil {
					e = fmt.Errorf("gave up after %d retries", attempt)
				} else {
					e = fmt.Errorf("gave up after %d retries: %w", attempt, e)
				}
				return nil, fail(e)
			}
			if err := c.sleep(ctx, c.backoff(attempt, cl.RetryAfter)); err != nil {
				return nil, err
			}
		}
	}
}

func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter + rand.N(c.opt.MinBackoff/2+1)
	}
	ceiling := c.opt.MinBackoff << min(attempt, 20)
	if ceiling <= 0 || ceiling > c.opt.MaxBackoff {
		ceiling = c.opt.MaxBackoff
	}
	return c.opt.MinBackoff/2 + rand.N(ceiling)
}

func (c *Client) once(ctx context.Context, req Request) (*Response, error) {
	c.mu.Lock()
	wait := time.Until(c.pauseAt)
	c.mu.Unlock()
	if wait > 0 {
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	u, err := c.resolve(req.Path)
	if err != nil {
		return nil, permanent{err}
	}
	if len(req.Query) > 0 {
		q := u.Query()
		for k, vs := range req.Query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	var body io.Reader
	contentType := ""
	switch b := req.Body.(type) {
	case nil:
	case url.Values:
		body, contentType = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case []byte:
		body, contentType = bytes.NewReader(b), "application/json"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, permanent{fmt.Errorf("%s: encode request: %w", c.opt.Name, err)}
		}
		body, contentType = bytes.NewReader(raw), "application/json"
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, u.String(), body)
	if err != nil {
		return nil, permanent{err}
	}
	for k, vs := range c.opt.Header {
		hr.Header[k] = vs
	}
	hr.Header.Set("Accept", "application/json")
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	if c.opt.Auth != nil {
		if err := c.opt.Auth.Apply(ctx, hr); err != nil {
			return nil, err
		}
	}
	res, err := c.opt.HTTP.Do(hr)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if c.opt.Pace != nil {
		if d := c.opt.Pace(res.Header); d > 0 {
			c.mu.Lock()
			c.pauseAt = time.Now().Add(d)
			c.mu.Unlock()
		}
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: raw}, nil
}

// permanent marks a request that cannot succeed however often it is sent.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// resolve joins a relative path to the base URL; an absolute URL must be on the
// base URL's host, so a next-page link can never send credentials elsewhere.
func (c *Client) resolve(path string) (*url.URL, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		u, err := url.Parse(path)
		if err != nil {
			return nil, fmt.Errorf("%s: bad link %q: %w", c.opt.Name, path, err)
		}
		if u.Host != c.base.Host {
			return nil, fmt.Errorf("%s: link %q leaves %s", c.opt.Name, c.safePath(path), c.base.Host)
		}
		return u, nil
	}
	u := *c.base
	rel, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("%s: bad path %q: %w", c.opt.Name, path, err)
	}
	if strings.HasPrefix(rel.Path, c.base.Path+"/") {
		u.Path = rel.Path
	} else {
		u.Path = c.base.Path + "/" + strings.TrimPrefix(rel.Path, "/")
	}
	u.RawQuery = rel.RawQuery
	return &u, nil
}

// safePath drops the query string, which may hold tokens.
func (c *Client) safePath(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return path[:i]
	}
	return path
}

// DefaultClassify: 2xx is done; 401 asks for a refresh; 408, 425, 429 and 5xx are
// retried, honouring Retry-After; any other status fails with its body.
func DefaultClassify(r *Response) Classification {
	switch {
	case r.Status >= 200 && r.Status < 300:
		return Classification{Verdict: Done}
	case r.Status == http.StatusUnauthorized:
		return Classification{Verdict: Refresh}
	case r.Status == http.StatusTooManyRequests || r.Status == http.StatusRequestTimeout ||
		r.Status == http.StatusTooEarly || r.Status >= 500:
		return Classification{Verdict: Retry, RetryAfter: RetryAfter(r.Header), Err: fmt.Errorf("HTTP %d", r.Status)}
	default:
		return Classification{Verdict: Fail, Err: fmt.Errorf("HTTP %d: %s", r.Status, snippet(r.Body))}
	}
}

// RetryAfter reads a Retry-After header in seconds or as an HTTP date; 0 when absent
// or unreadable. It is capped at ten minutes.
func RetryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		d = time.Duration(secs * float64(time.Second))
	} else if at, err := http.ParseTime(v); err == nil {
		d = time.Until(at)
	}
	return max(0, min(d, 10*time.Minute))
}

func snippet(b []byte) string {
	const n = 300
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
