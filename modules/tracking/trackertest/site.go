package trackertest

import (
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// Site is a small website on 127.0.0.1 that embeds the tracker with the install snippet
// of the protocol. Pages:
//
//   - / and /app/step2 ("Home"): links #pricing, #guide (/files/guide.pdf) and #outbound
//     (https://outbound.example/x); buttons #push (pushState to /app/step2), #hash
//     (location.hash = "section") and #replace-same (replaceState to the same URL); and
//     form #demo (name demo-request, POST /thanks) with fields email, company,
//     password, a hidden token and a card number.
//   - /pricing ("Pricing"), /thanks ("Thanks"), /files/guide.pdf (an attachment).
//
// Every page's body has the id page-<name>, to wait for a page to load.
type Site struct {
	// URL is the site's base URL.
	URL string

	srg, key string

	mu     sync.Mutex
	inline string
}

// NewSite starts the website with the tracker tag pointing at srgURL (a FakeCollector's
// URL or a real srg) for siteKey; it stops when the test ends.
func NewSite(t testing.TB, srgURL, siteKey string) *Site {
	t.Helper()
	s := &Site{srg: srgURL, key: siteKey}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page("home", "Home"))
	mux.HandleFunc("GET /app/step2", s.page("home", "Home"))
	mux.HandleFunc("GET /pricing", s.page("pricing", "Pricing"))
	mux.HandleFunc("/thanks", s.page("thanks", "Thanks"))
	mux.HandleFunc("GET /files/guide.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="guide.pdf"`)
		_, _ = w.Write([]byte("%PDF-1.4\n%%EOF\n"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// At returns the site's base URL under another host name, which the browser must map
// to 127.0.0.1 (MapHost).
func (s *Site) At(host string) string {
	u, err := url.Parse(s.URL)
	if err != nil {
		panic(err) // httptest's URL always parses
	}
	u.Host = net.JoinHostPort(host, u.Port())
	return u.String()
}

// SetInline sets JavaScript that pages run right after the queue stub and before the
// tracker loads, such as sona('identify', ...) calls; "" removes it.
func (s *Site) SetInline(js string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inline = js
}

type pageData struct {
	Name, Title, SRG, Key string
	Inline                template.JS
}

func (s *Site) page(name, title string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		// The inline script is test code, trusted like the rest of the page.
		d := pageData{Name: name, Title: title, SRG: s.srg, Key: s.key, Inline: template.JS(s.inline)}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := pageTemplate.Execute(w, d); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<script>window.sona=window.sona||function(){(sona.q=sona.q||[]).push(arguments)}</script>
{{with .Inline}}<script>{{.}}</script>{{end}}
<script defer src="{{.SRG}}/sona.js" data-site="{{.Key}}"></script>
</head>
<body id="page-{{.Name}}">
<h1>{{.Title}}</h1>
{{if eq .Name "home"}}
<p>
<a id="pricing" href="/pricing">Pricing</a>
<a id="guide" href="/files/guide.pdf">Guide (PDF)</a>
<a id="outbound" href="https://outbound.example/x">Partner</a>
</p>
<p>
<button id="push" type="button" onclick="history.pushState({}, '', '/app/step2')">Step 2</button>
<button id="hash" type="button" onclick="location.hash = 'section'">Section</button>
<button id="replace-same" type="button" onclick="history.replaceState(history.state, '', location.href)">Same</button>
</p>
<form id="demo" name="demo-request" action="/thanks" method="post">
<input id="email" type="email" name="email">
<input id="company" name="company">
<input id="password" type="password" name="password">
<input id="token" type="hidden" name="token" value="hidden-token-5f2a">
<input id="card" name="card_number" autocomplete="cc-number">
<button id="submit" type="submit">Request a demo</button>
</form>
<h2 id="section">Section</h2>
{{end}}
</body>
</html>
`))
