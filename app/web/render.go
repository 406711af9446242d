package web

import (
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// Page is embedded in every page's view model: what the layout needs.
type Page struct {
	Title string
}

// Renderer renders pages built at start-up from an embedded file system: every
// page is layout/*.html plus <module>/<page>.html, named "<module>/<page>".
type Renderer struct {
	pages map[string]*template.Template
}

// NewRenderer parses every page of fsys; a parse error stops start-up.
func NewRenderer(fsys fs.FS, funcs template.FuncMap) (*Renderer, error) {
	layouts, err := fs.Glob(fsys, "layout/*.html")
	if err != nil || len(layouts) == 0 {
		return nil, fmt.Errorf("web: no layout templates found")
	}
	pages, err := fs.Glob(fsys, "*/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list templates: %w", err)
	}
	r := &Renderer{pages: map[string]*template.Template{}}
	for _, p := range pages {
		if strings.HasPrefix(p, "layout/") {
			continue
		}
		name := strings.TrimSuffix(p, path.Ext(p))
		t, err := template.New(path.Base(p)).Funcs(funcs).ParseFS(fsys, append(append([]string{}, layouts...), p)...)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("web: template %s defines no \"content\" block", name)
		}
		r.pages[name] = t
	}
	return r, nil
}

// Has reports whether a page exists.
func (r *Renderer) Has(name string) bool {
	_, ok := r.pages[name]
	return ok
}

// Names lists the page names.
func (r *Renderer) Names() []string {
	out := make([]string, 0, len(r.pages))
	for n := range r.pages {
		out = append(out, n)
	}
	return out
}

// Render implements echo.Renderer.
func (r *Renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	return t.ExecuteTemplate(w, "base", data)
}
