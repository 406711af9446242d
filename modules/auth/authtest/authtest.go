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

// Visit requests an absolute URL (another site's, such as an identity provider's)
// with the browser's cookies, not following redirects.
func (b *Browser) Visit(rawURL string) Response {
	b.T.Helper()
	resp, err := b.Client.Get(rawURL)
	if err != nil {
		b.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
}

// Path is the part of an absolute URL of the browser's site after its base.
func (b *Browser) Path(rawURL string) string {
	b.T.Helper()
	p, ok := strings.CutPrefix(rawURL, b.Base)
	if !ok {
		b.T.Fatalf("%s is not on %s", rawURL, b.Base)
	}
	return p
}

// ProviderAnswer starts a single sign-on with a workspace (query, as the SSO form
// sends it: "tenant=acme&next=...") and lets its identity provider, which must
// approve without asking, answer; it returns the URL the provider sends the browser
// back to, or fails the test with the response that did not go there.
func (b *Browser) ProviderAnswer(query string) string {
	b.T.Helper()
	r := b.Get("/login/sso?" + query)
	if r.Status != http.StatusSeeOther {
		b.T.Fatalf("single sign-on did not start: %d\n%s", r.Status, r.Body)
	}
	idp := b.Visit(r.Location())
	if idp.Status != http.StatusFound || !strings.HasPrefix(idp.Location(), b.Base+"/login/sso/callback?") {
		b.T.Fatalf("the identity provider did not send the browser back: %d %s\n%s", idp.Status, idp.Location(), idp.Body)
	}
	return idp.Location()
}

// SSO goes through a single sign-on with a workspace (see ProviderAnswer) and returns
// the response of srg's callback.
func (b *Browser) SSO(query string) Response {
	b.T.Helper()
	return b.Get(b.Path(b.ProviderAnswer(query)))
}

// SetCookie puts a cookie of the browser's site in its jar, as an earlier response
// could have.
func (b *Browser) SetCookie(name, value, path string) {
	u, _ := url.Parse(b.Base)
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: path}})
}
