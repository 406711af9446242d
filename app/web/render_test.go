package web_test

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/templates"
)

// samples holds a view model for every page of this package; a page without one fails
// the test. Module pages, whose view models this package cannot import, are rendered
// by app's TestEveryPageRenders.
var samples = map[string]any{
	"web/error": web.ErrorPage{Page: web.Page{Title: "Not Found"}, Status: 404, Message: "no <such> page"},
}

func TestEveryTemplateRenders(t *testing.T) {
	funcs := web.Funcs()
	funcs["asset"] = func(p string) string { return "/static/x/" + p }
	r, err := web.NewRenderer(templates.FS, funcs)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range r.Names() {
		if !strings.HasPrefix(name, "web/") {
			continue
		}
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
