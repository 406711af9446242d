// Package authtest drives srg's sign-in pages like a browser does, for tests: it keeps
// cookies, sends forms with the CSRF token of the last page, does not follow
// redirects, and reads the texted code from wherever the test delivers it.
package authtest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Browser is one person's browser.
type Browser struct {
	T    testing.TB
	Base string
	// Client may be replaced (for TLS); it must have a cookie jar and not follow redirects.
	Client *http.Client
	// IP is sent as X-Forwarded-For when the server trusts the test's proxy address.
	IP string
	// CSRF is the token of the last page that had a form.
	CSRF string
	// Code returns the newest code texted to phone.
	Code func(phone string) string
}

// New returns a browser for the server at base.
func New(t testing.TB, base string, code func(phone string) string) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{T: t, Base: base, Code: code, Client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Response is what a request got.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Location is the redirect target.
func (r Response) Location() string { return r.Header.Get("Location") }

// Cookie returns the cookie the response set, or nil.
func (r Response) Cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// Do sends a request that accepts HTML unless header says otherwise.
func (b *Browser) Do(method, path string, body io.Reader, header map[string]string) Response {
	b.T.Helper()
	req, err := http.NewRequest(method, b.Base+path, body)
	if err != nil {
		b.T.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	if b.IP != "" {
		req.Header.Set("X-Forwarded-For", b.IP)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		b.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := Response{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
	if m := csrfInput.FindStringSubmatch(r.Body); m != nil {
		b.CSRF = m[1]
	}
	return r
}

// Get loads a page.
func (b *Browser) Get(path string) Response { return b.Do(http.MethodGet, path, nil, nil) }

// Post submits a form with the CSRF token of the last page, as the page's form would.
func (b *Browser) Post(path string, form url.Values) Response {
	b.T.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", b.CSRF)
	}
	return b.Do(http.MethodPost, path, strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// Cookie returns the value of a cookie the browser holds.
func (b *Browser) Cookie(name string) string {
	u, _ := url.Parse(b.Base)
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Password opens the sign-in page and submits an email and password.
func (b *Browser) Password(email, password string) Response {
	b.Get("/login")
	return b.Post("/login", url.Values{"email": {email}, "password": {password}})
}

// SubmitCode submits the code form.
func (b *Browser) SubmitCode(code string) Response {
	return b.Post("/login/code", url.Values{"code": {code}})
}

// AtCode submits an email and password and opens the code page, where the texted code
// is now expected; it returns the code page.
func (b *Browser) AtCode(email, password string) Response {
	b.T.Helper()
	if r := b.Password(email, password); r.Status != http.StatusSeeOther {
		b.T.Fatalf("password step: %d\n%s", r.Status, r.Body)
	}
	return b.Get("/login/code")
}

// SignIn goes through both steps with the newest code texted to phone and fails the
// test unless it ends signed in, sent to the start page; it returns that response.
func (b *Browser) SignIn(email, password, phone string) Response {
	b.T.Helper()
	if r := b.Password(email, password); r.Status != http.StatusSeeOther || r.Location() != "/login/code" {
		b.T.Fatalf("password step: %d %s\n%s", r.Status, r.Location(), r.Body)
	}
	b.Get("/login/code")
	r := b.SubmitCode(b.Code(phone))
	if r.Status != http.StatusSeeOther || r.Location() != "/" {
		b.T.Fatalf("code step: %d %s\n%s", r.Status, r.Location(), r.Body)
	}
	return r
}
