package apptest

import (
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/web"
)

// PrincipalHeader is the request header through which a test says who makes a
// request, standing in for the session or API-token middleware.
const PrincipalHeader = "X-Test-Principal"

// Principals maps the names tests put in PrincipalHeader to principals.
type Principals map[string]*web.Principal

// SignIn is echo middleware (echo.Pre, to run before the sign-in check) that sets the principal a request's
// PrincipalHeader names; a request without the header, or naming nobody, has none.
func (ps Principals) SignIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if p, ok := ps[c.Request().Header.Get(PrincipalHeader)]; ok {
			web.SetPrincipal(c, p)
		}
		return next(c)
	}
}

// Request serves one request with a JSON body on h, as the principal who names, and
// returns the status and the body of the answer.
func Request(h http.Handler, who, method, path, body string) (int, string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(PrincipalHeader, who)
	// A same-origin browser request: the CSRF check lets it through without a token.
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}
