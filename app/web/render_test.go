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
