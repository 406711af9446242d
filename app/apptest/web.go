package apptest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/errs"

	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/static"
	"github.com/srgplatform/srg/templates"
)

// Renderer returns the production pages with the production template functions.
func Renderer(t testing.TB) *web.Renderer {
	t.Helper()
	assets, err := web.NewAssets(static.FS)
	if err != nil {
		t.Fatal(err)
	}
	funcs := web.Funcs()
	funcs["asset"] = assets.URL
	renderer, err := web.NewRenderer(templates.FS, funcs)
	if err != nil {
		t.Fatal(err)
	}
	return renderer
}

// Echo returns SRG's echo instance with the production pages and template
// functions, for HTTP tests of modules that render pages.
func Echo(t testing.TB) *echo.Echo {
	t.Helper()
	return web.NewEcho(Logger(t), prometheus.NewRegistry(), Renderer(t))
}

// Do sends a request as a browser would, asking for HTML; a form, when given, is
// the url-encoded body.
func Do(h http.Handler, method, path string, form url.Values) *httptest.ResponseRecorder {
	return DoAs(h, "", method, path, form)
}

// DoAs is Do as the principal who names (see PrincipalHeader).
func DoAs(h http.Handler, who, method, path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
	req.Header.Set("Accept", "text/html")
	if who != "" {
		req.Header.Set(PrincipalHeader, who)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// AllowAll is an authorizer that allows every request: tests of a module's pages
// and APIs run with it, as the authorizer's own tests check permissions.
type AllowAll struct{}

// Authorize implements web.Authorizer.
func (AllowAll) Authorize(echo.Context, web.Permission) error { return nil }

// AsUser is middleware that signs every request in as the user and hands it a CSRF
// token, as authentication would.
func AsUser(userID int64, email string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			web.SetPrincipal(c, &web.Principal{UserID: userID, Email: email, SessionID: "test"})
			c.Set("csrf", "csrf-token")
			return next(c)
		}
	}
}

// Scenario is one request of an HTTP scenario table and what its answer must hold.
type Scenario struct {
	Name, Method, Path string
	// Form, when not nil, is sent url-encoded.
	Form   url.Values
	Status int
	Want   []string
}

// Run sends the scenario's request to h as a subtest and checks the status and
// that the body holds every Want; it returns the body.
func (sc Scenario) Run(t *testing.T, h http.Handler) string {
	t.Helper()
	var body string
	t.Run(sc.Name, func(t *testing.T) {
		rec := Do(h, sc.Method, sc.Path, sc.Form)
		body = rec.Body.String()
		if rec.Code != sc.Status {
			t.Fatalf("%s %s: %d, want %d\n%s", sc.Method, sc.Path, rec.Code, sc.Status, body)
		}
		for _, w := range sc.Want {
			if !strings.Contains(body, w) {
				t.Errorf("%s %s: lacks %q\n%s", sc.Method, sc.Path, w, body)
			}
		}
	})
	return body
}

// TenantsIn resolves tenant slugs in gdb's tenants table, for routers of module tests.
func TenantsIn(gdb *gorm.DB) web.TenantResolver { return tenantTable{gdb} }

type tenantTable struct{ db *gorm.DB }

func (t tenantTable) TenantID(ctx context.Context, slug string) (int64, error) {
	var ids []int64
	if err := t.db.WithContext(ctx).Raw(`SELECT id FROM tenants WHERE slug = ?`, slug).Scan(&ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, errs.NotFound("no tenant %q", slug)
	}
	return ids[0], nil
}
