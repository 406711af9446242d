package auth

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// Cookie names, form field and header.
const (
	SessionCookie   = "srg_session"
	challengeCookie = "srg_login"
	csrfCookie      = "srg_csrf"
	// CSRFField is the hidden form field that carries the CSRF token.
	CSRFField = "_csrf"
	// CSRFHeader carries the token of fetch and htmx requests.
	CSRFHeader = "X-CSRF-Token"
	// csrfContextKey is where echo's CSRF middleware leaves the token for templates.
	csrfContextKey = "csrf"
	bearerKey      = "srg.auth.bearer"
	// mustChangeKey marks a session that must choose a new password first.
	mustChangeKey = "srg.auth.must_change_password"
)

// Middleware is the module's global middleware, to run on every request in this order
// before any route's permission check: authenticate (session cookie or API token),
// send people who are not signed in to /login (401 under /api/), hold sessions whose
// password an administrator reset at the new password form, keep single sign-on
// sessions in their tenant, and check CSRF tokens on state-changing requests.
func (m *Module) Middleware() []echo.MiddlewareFunc {
	return []echo.MiddlewareFunc{m.authenticate, m.requireSignIn, m.holdForNewPassword, m.confine, m.csrf}
}

func isAPI(path string) bool { return strings.HasPrefix(path, "/api/") }

func unauthorized(c echo.Context, msg string) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="srg"`)
	return echo.NewHTTPError(http.StatusUnauthorized, msg)
}

// authenticate sets the request's web.Principal from an API token (Authorization:
// Bearer, under /api/ only; the session cookie is then ignored and no CSRF token is
// needed) or from the session cookie.
func (m *Module) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		scheme, secret, _ := strings.Cut(req.Header.Get(echo.HeaderAuthorization), " ")
		secret = strings.TrimSpace(secret)
		// Other schemes (a proxy's Basic auth) are not srg's business, and neither is
		// someone else's bearer token outside the API.
		if bearer := strings.EqualFold(scheme, "Bearer"); bearer && (isAPI(req.URL.Path) || strings.HasPrefix(secret, TokenPrefix)) {
			if !isAPI(req.URL.Path) {
				return unauthorized(c, "API tokens are accepted only under /api/")
			}
			holder, err := m.svc.AuthenticateToken(req.Context(), secret)
			if errors.Is(err, ErrBadToken) {
				return unauthorized(c, "the API token is not valid: unknown, malformed or revoked")
			}
			if err != nil {
				return err
			}
			web.SetPrincipal(c, &web.Principal{UserID: holder.UserID, Email: holder.Email, TokenID: holder.TokenID,
				TokenTenantID: holder.TenantID, TokenRole: holder.Role})
			c.Set(bearerKey, true)
			return next(c)
		}
		if ck, err := c.Cookie(SessionCookie); err == nil {
			ss, ok, err := m.svc.Authenticate(req.Context(), ck.Value)
			if err != nil {
				return err
			}
			if ok {
				web.SetPrincipal(c, &web.Principal{UserID: ss.UserID, Email: ss.Email, SessionID: strconv.FormatInt(ss.ID, 10)})
				if ss.SSOTenantID != 0 {
					c.Set(ssoTenantKey, ss.SSOTenantID)
				}
				if ss.MustChangePassword {
					c.Set(mustChangeKey, true)
				}
			} else {
				m.clearCookie(c, SessionCookie, "/")
			}
		}
		return next(c)
	}
}

// requireSignIn answers requests for protected routes from people who are not signed
// in: pages redirect to /login (and back after it), the API says 401.
func (m *Module) requireSignIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if web.PrincipalOf(c) != nil {
			return next(c)
		}
		req := c.Request()
		info, ok := m.routes.Lookup(req.Method, c.Path())
		if !ok || info.Perm.Public {
			return next(c)
		}
		if isAPI(req.URL.Path) {
			return unauthorized(c, "sign in, or send an API token as Authorization: Bearer srg_...")
		}
		target := "/login"
		if req.Method == http.MethodGet {
			target += "?next=" + url.QueryEscape(req.URL.RequestURI())
		}
		return c.Redirect(http.StatusSeeOther, target)
	}
}

// newPasswordPath is the form a session whose password was reset must fill first.
const newPasswordPath = "/account/new-password"

// holdForNewPassword lets a session whose password an administrator reset reach only
// the new password form, signing out and public routes: pages redirect to the form
// (and back after it), the API says 403.
func (m *Module) holdForNewPassword(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if must, _ := c.Get(mustChangeKey).(bool); !must {
			return next(c)
		}
		req := c.Request()
		path := c.Path()
		if path == newPasswordPath || path == "/logout" {
			return next(c)
		}
		if info, ok := m.routes.Lookup(req.Method, path); !ok || info.Perm.Public {
			return next(c)
		}
		if isAPI(req.URL.Path) || req.Method != http.MethodGet {
			return errs.Forbidden("An administrator reset your password: choose a new one at %s first.", newPasswordPath)
		}
		return c.Redirect(http.StatusSeeOther, newPasswordPath+"?next="+url.QueryEscape(req.URL.RequestURI()))
	}
}

// newCSRF is echo's CSRF middleware: browsers that send Sec-Fetch-Site are checked by
// it (same-origin passes, cross-site state changes are refused); others must send the
// token of the srg_csrf cookie back in the _csrf field or the X-CSRF-Token header.
// Requests authenticated by an API token carry no cookie and are exempt, and so are
// routes declared CrossOrigin (the tracker's), which set no cookie either.
func (m *Module) newCSRF() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper:        m.skipCSRF,
		TokenLookup:    "header:" + CSRFHeader + ",form:" + CSRFField,
		ContextKey:     csrfContextKey,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieMaxAge:   int((12 * time.Hour).Seconds()),
		CookieHTTPOnly: true,
		CookieSecure:   m.secure,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(error, echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "The form expired or did not come from this site: reload the page and try again.")
		},
	})
}

func (m *Module) skipCSRF(c echo.Context) bool {
	if bearer, _ := c.Get(bearerKey).(bool); bearer {
		return true
	}
	req := c.Request()
	if info, ok := m.routes.Lookup(req.Method, c.Path()); ok && info.CrossOrigin {
		return true
	}
	safe := req.Method == http.MethodGet || req.Method == http.MethodHead || req.Method == http.MethodOptions
	return safe && strings.HasPrefix(req.URL.Path, "/static/")
}

// CSRFToken is the token to put in a page's forms (field _csrf) and scripts' requests.
func CSRFToken(c echo.Context) string {
	t, _ := c.Get(csrfContextKey).(string)
	return t
}

func (m *Module) setCookie(c echo.Context, name, value, path string, maxAge time.Duration) {
	ck := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: m.secure, SameSite: http.SameSiteLaxMode}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge.Seconds())
	}
	c.SetCookie(ck)
}

func (m *Module) clearCookie(c echo.Context, name, path string) {
	dropSetCookie(c, name)
	c.SetCookie(&http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, Secure: m.secure, SameSite: http.SameSiteLaxMode})
}

// dropSetCookie removes what the response already set for the cookie name (the CSRF
// middleware sets its cookie before the handler runs), so that one answer never sets
// a cookie twice.
func dropSetCookie(c echo.Context, name string) {
	h := c.Response().Header()
	kept := h.Values("Set-Cookie")[:0:0]
	for _, v := range h.Values("Set-Cookie") {
		if !strings.HasPrefix(v, name+"=") {
			kept = append(kept, v)
		}
	}
	h.Del("Set-Cookie")
	for _, v := range kept {
		h.Add("Set-Cookie", v)
	}
}

func client(c echo.Context) Client {
	return Client{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
}
