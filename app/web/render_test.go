package web_test

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/templates"
)

// samples holds a view model for every page; a page without one fails the test, so a
// new page cannot ship without being rendered once here.
var samples = map[string]any{
	"web/error": web.ErrorPage{Page: web.Page{Title: "Not Found"}, Status: 404, Message: "no <such> page"},
	"portal/home": struct {
		web.Page
		Version string
	}{web.Page{Title: "Welcome"}, "v1.2.3"},
	// The auth pages' view models (modules/auth) have these fields.
	"auth/login": struct {
		web.Page
		CSRF, Email, Next, Error, Field string
	}{web.Page{Title: "Sign in"}, "tok", "ann@acme.example", "/t/acme", "Wrong email or password.", "password"},
	"auth/code": struct {
		web.Page
		CSRF, Next, Phone      string
		AttemptsLeft, ResendIn int
		Sent                   bool
		Error                  string
	}{web.Page{Title: "Enter your code"}, "tok", "/", "••••••0100", 4, 12, true, "Wrong code. 4 tries left."},
	"auth/sso": struct {
		web.Page
		Tenant, Next, Error string
	}{web.Page{Title: "Single sign-on"}, "acme", "/t/acme/dashboard", "Your account at the identity provider is in no group that has access to this workspace."},
	"auth/throttled": struct {
		web.Page
		Message, Back string
	}{web.Page{Title: "Too many attempts"}, "Too many failed sign-ins. Try again in 3 minutes.", "/login"},
	"auth/account": struct {
		web.Page
		CSRF    string
		Account struct {
			Email, Name, Phone string
			Sessions           int
		}
		Notice, Error, Field string
	}{Page: web.Page{Title: "Your account"}, CSRF: "tok", Notice: "Your password was changed.", Field: "new"},
}

func TestEveryTemplateRenders(t *testing.T) {
	r, err := web.NewRenderer(templates.FS, template.FuncMap{"asset": func(p string) string { return "/static/x/" + p }})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range r.Names() {
		t.Run(name, func(t *testing.T) {
			data, ok := samples[name]
			if !ok {
				t.Fatalf("no sample view model for page %s", name)
			}
			var buf bytes.Buffer
			if err := r.Render(&buf, name, data, nil); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), "</html>") {
				t.Fatalf("page is not a whole document:\n%s", buf.String())
			}
		})
	}
	var buf bytes.Buffer
	_ = r.Render(&buf, "web/error", samples["web/error"], nil)
	if strings.Contains(buf.String(), "<such>") {
		t.Error("a message was not HTML-escaped")
	}
}

func TestRendererRejectsBrokenTemplates(t *testing.T) {
	tests := map[string]fstest.MapFS{
		"parse error":  {"layout/base.html": {Data: []byte(`{{define "base"}}{{template "content" .}}{{end}}`)}, "m/p.html": {Data: []byte(`{{define "content"}}{{.Oops{{end}}`)}},
		"no content":   {"layout/base.html": {Data: []byte(`{{define "base"}}x{{end}}`)}, "m/p.html": {Data: []byte(`hello`)}},
		"no layout":    {"m/p.html": {Data: []byte(`{{define "content"}}x{{end}}`)}},
		"unknown func": {"layout/base.html": {Data: []byte(`{{define "base"}}{{nope}}{{end}}`)}, "m/p.html": {Data: []byte(`{{define "content"}}x{{end}}`)}},
	}
	for name, fsys := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := web.NewRenderer(fsys, nil); err == nil {
				t.Fatal("a broken template set was accepted")
			}
		})
	}
}
