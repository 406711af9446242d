package web_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

type directory map[string]web.TenantRef

func (d directory) Tenant(_ context.Context, slug string) (web.TenantRef, error) {
	if t, ok := d[slug]; ok {
		return t, nil
	}
	return web.TenantRef{}, errs.NotFound("no tenant %q", slug)
}

func (d directory) Memberships(_ context.Context, userID int64) ([]web.TenantRef, error) {
	if userID != 1 {
		return nil, nil
	}
	return []web.TenantRef{d["acme"]}, nil
}

// onlyDashboards allows the dashboards and nothing else.
type onlyDashboards struct{}

func (onlyDashboards) Authorize(_ echo.Context, p web.Permission) error {
	if p.Resource == "dashboards" {
		return nil
	}
	return errs.Forbidden("no")
}

func TestLayoutPage(t *testing.T) {
	dir := directory{"acme": {ID: 1, Slug: "acme", Name: "Acme", Currency: "EUR"}, "globex": {ID: 2, Slug: "globex", Name: "Globex", Currency: "USD"}}
	tests := []struct {
		name      string
		principal *web.Principal
		tenant    string
		authz     web.Authorizer
		want      web.Page
		wantErr   errs.Kind
	}{
		{"member", &web.Principal{UserID: 1, Email: "ann@acme.example"}, "acme", onlyDashboards{}, web.Page{Title: "T", Section: "dashboard", CSRF: "tok",
			User: "ann@acme.example", Tenant: dir["acme"], Tenants: []web.TenantRef{dir["acme"]},
			Nav: []web.NavItem{{Label: "Dashboard", Section: "dashboard", URL: "/t/acme/dashboard"}}}, ""},
		{"tenant the user is not a member of", &web.Principal{UserID: 2}, "globex", nil, web.Page{}, ""},
		{"unknown tenant", &web.Principal{UserID: 1}, "nope", nil, web.Page{}, errs.KindNotFound},
		{"no tenant in the URL", nil, "", nil, web.Page{Title: "T", Section: "dashboard", CSRF: "tok"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := echo.New()
			c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
			c.Set("csrf", "tok")
			if tc.tenant != "" {
				c.SetParamNames("tenant")
				c.SetParamValues(tc.tenant)
			}
			if tc.principal != nil {
				web.SetPrincipal(c, tc.principal)
			}
			got, err := web.NewLayout(dir, tc.authz).Page(c, "T", "dashboard")
			if tc.wantErr != "" {
				if errs.KindOf(err) != tc.wantErr {
					t.Fatalf("got %v, want a %s error", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "tenant the user is not a member of" {
				if got.Tenant != dir["globex"] || len(got.Nav) != 13 {
					t.Fatalf("got %+v", got)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLayoutCan(t *testing.T) {
	dashboards, users := web.Perm("dashboards", "read"), web.Perm("settings.users", "write")
	tests := []struct {
		name      string
		layout    *web.Layout
		principal *web.Principal
		perm      web.Permission
		want      bool
	}{
		{"allowed", web.NewLayout(nil, onlyDashboards{}), &web.Principal{UserID: 1}, dashboards, true},
		{"refused", web.NewLayout(nil, onlyDashboards{}), &web.Principal{UserID: 1}, users, false},
		{"nobody signed in", web.NewLayout(nil, onlyDashboards{}), nil, dashboards, false},
		{"no authorizer", web.NewLayout(nil, nil), nil, users, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
			if tc.principal != nil {
				web.SetPrincipal(c, tc.principal)
			}
			if got := tc.layout.Can(c, tc.perm); got != tc.want {
				t.Fatalf("Can(%v) = %v, want %v", tc.perm, got, tc.want)
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{web.Money("EUR", 1234.5), "€ 1,234.50"},
		{web.Money("JPY", 1234.5), "¥ 1,235"},
		{web.Money("XYZ!", 2), "XYZ! 2.00"},
		{web.Money("USD", math.NaN()), "–"},
		{web.Number(1234.0), "1,234"},
		{web.Number(int64(7)), "7"},
		{web.Number(0.5), "0.50"},
		{web.Percent(0.256), "25.6%"},
		{web.Ratio(math.Inf(1)), "–"},
		{web.Ratio(1.6666), "1.67×"},
		{web.Label("w_shaped"), "W shaped"},
		{web.DateTime(time.Time{}), "–"},
		{web.DateTime(time.Date(2024, 3, 1, 9, 5, 0, 0, time.UTC)), "2024-03-01 09:05"},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%d: got %q, want %q", i, tc.got, tc.want)
		}
	}
	if web.Deref((*int)(nil)) != nil || web.Deref(ptr(3)) != 3 {
		t.Error("deref")
	}
}

func ptr[T any](v T) *T { return &v }
