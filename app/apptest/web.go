package apptest

import (
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/static"
	"github.com/srgplatform/srg/templates"
)

// Echo returns SRG's echo instance with the production pages and template
// functions, for HTTP tests of modules that render pages.
func Echo(t testing.TB) *echo.Echo {
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
	return web.NewEcho(Logger(t), prometheus.NewRegistry(), renderer)
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
