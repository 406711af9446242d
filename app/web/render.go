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

// Page is embedded in every page's view model: what the layout needs. Portal pages
// get it from Layout.Page.
type Page struct {
	Title string
	// Section is the navigation entry to highlight ("dashboard", "settings.tracking").
	Section string
	// CSRF is the token every state-changing form sends as the hidden input _csrf.
	CSRF string
	// User is the signed-in user's email; empty on public pages.
	User string
	// Tenant is the tenant in the URL; Tenants are those the user may switch to.
	Tenant  TenantRef
	Tenants []TenantRef
	// Nav lists the sections of the tenant the user may open.
	Nav []NavItem
}

// Renderer renders pages built at start-up from an embedded file system: every
// page is layout/*.html plus its module's partials (<module>/_*.html) plus
// <module>/<page>.html, named "<module>/<page>". "<module>/<page>#<block>" renders
// only that block of the page, without the layout: the fragments htmx swaps in.
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
		if strings.HasPrefix(p, "layout/") || strings.HasPrefix(path.Base(p), "_") {
			continue
		}
		name := strings.TrimSuffix(p, path.Ext(p))
		partials, err := fs.Glob(fsys, path.Dir(p)+"/_*.html")
		if err != nil {
			return nil, fmt.Errorf("web: list partials: %w", err)
		}
		files := append(append(append([]string{}, layouts...), partials...), p)
		t, err := template.New(path.Base(p)).Funcs(funcs).ParseFS(fsys, files...)
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
	page, block, isFragment := strings.Cut(name, "#")
	t, ok := r.pages[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	if !isFragment {
		block = "base"
	}
	return t.ExecuteTemplate(w, block, data)
}
