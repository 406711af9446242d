package auth

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// LoginPage is the view model of the email and password form.
type LoginPage struct {
	web.Page
	CSRF  string
	Email string
	Next  string
	Error string
	Field string
}

// CodePage is the view model of the code form.
type CodePage struct {
	web.Page
	CSRF         string
	Next         string
	Phone        string
	AttemptsLeft int
	// ResendIn is how many seconds until a new code may be asked for.
	ResendIn int
	Sent     bool
	Error    string
}

// ThrottledPage is the view model of the 429 page.
type ThrottledPage struct {
	web.Page
	Message string
	Back    string
}

// startPage is where a completed sign-in goes without a next page.
const startPage = "/"

// safeNext keeps next only when it is a path on this site, so that a link cannot make
// the sign-in send someone elsewhere.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") || strings.HasPrefix(next, "/login") {
		return startPage
	}
	return next
}

func withNext(path, next string) string {
	if next == startPage {
		return path
	}
	return path + "?next=" + url.QueryEscape(next)
}

func (m *Module) loginPage(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if web.PrincipalOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return m.renderLogin(c, http.StatusOK, "", nil)
}

func (m *Module) renderLogin(c echo.Context, status int, email string, err error) error {
	next := safeNext(c.FormValue("next"))
	p := LoginPage{Page: web.Page{Title: "Sign in"}, CSRF: CSRFToken(c), Email: email, Next: next}
	if err != nil {
		p.Error, p.Field = errs.MessageOf(err), errs.FieldOf(err)
	}
	return c.Render(status, "auth/login", p)
}

func (m *Module) renderThrottled(c echo.Context, te *ThrottledError, back string) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(te.RetryAfterSeconds()))
	return c.Render(http.StatusTooManyRequests, "auth/throttled", ThrottledPage{Page: web.Page{Title: "Too many attempts"}, Message: te.Message, Back: back})
}

// signInStatus is the status of a sign-in page that shows err.
func signInStatus(err error) int {
	switch {
	case errors.Is(err, ErrWrongCredentials):
		return http.StatusUnauthorized
	case errors.Is(err, ErrChallengeGone), errors.Is(err, ErrPhoneChangeGone):
		return http.StatusGone
	}
	switch errs.KindOf(err) {
	case errs.KindInvalid:
		return http.StatusBadRequest
	case errs.KindForbidden:
		return http.StatusForbidden
	case errs.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// pageError renders err on a sign-in page (render), the 429 page for throttling, and
// leaves internal errors to the error handler.
func (m *Module) pageError(c echo.Context, err error, back string, render func(status int) error) error {
	var te *ThrottledError
	if errors.As(err, &te) {
		return m.renderThrottled(c, te, back)
	}
	if errs.KindOf(err) == errs.KindInternal {
		return err
	}
	return render(signInStatus(err))
}

func (m *Module) login(c echo.Context) error {
	email, password := c.FormValue("email"), c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	pending, err := m.svc.SignIn(c.Request().Context(), email, password, client(c))
	if err != nil {
		return m.pageError(c, err, withNext("/login", next), func(status int) error {
			return m.renderLogin(c, status, truncate(strings.TrimSpace(email), MaxEmailLength), err)
		})
	}
	m.setCookie(c, challengeCookie, pending.Token, "/login", m.limits.ChallengeMaxAge)
	return c.Redirect(http.StatusSeeOther, withNext("/login/code", next))
}

func (m *Module) challengeToken(c echo.Context) string { return cookieValue(c, challengeCookie) }

func (m *Module) codePage(c echo.Context) error {
	token := m.challengeToken(c)
	if token == "" {
		return c.Redirect(http.StatusSeeOther, withNext("/login", safeNext(c.QueryParam("next"))))
	}
	return m.renderCode(c, http.StatusOK, c.QueryParam("sent") == "1", nil)
}

func (m *Module) renderCode(c echo.Context, status int, sent bool, shown error) error {
	ch, err := m.svc.Challenge(c.Request().Context(), m.challengeToken(c))
	if err != nil {
		return m.signInAgain(c, err)
	}
	p := CodePage{Page: web.Page{Title: "Enter your code"}, CSRF: CSRFToken(c), Next: safeNext(c.FormValue("next")),
		Phone: ch.Phone, AttemptsLeft: ch.AttemptsLeft, ResendIn: ch.ResendSeconds(), Sent: sent}
	if shown != nil {
		p.Error = errs.MessageOf(shown)
	}
	return c.Render(status, "auth/code", p)
}

// signInAgain ends a challenge that is gone or burnt and shows the password form with why.
func (m *Module) signInAgain(c echo.Context, err error) error {
	if !errors.Is(err, ErrChallengeGone) && !errors.Is(err, ErrChallengeBurnt) {
		return err
	}
	m.clearCookie(c, challengeCookie, "/login")
	return m.renderLogin(c, signInStatus(err), "", err)
}

func (m *Module) verifyCode(c echo.Context) error {
	next := safeNext(c.FormValue("next"))
	previous := ""
	if ck, err := c.Cookie(SessionCookie); err == nil {
		previous = ck.Value
	}
	signedIn, err := m.svc.VerifyCode(c.Request().Context(), m.challengeToken(c), c.FormValue("code"), previous, client(c))
	if err != nil {
		if errors.Is(err, ErrChallengeGone) || errors.Is(err, ErrChallengeBurnt) {
			return m.signInAgain(c, err)
		}
		return m.pageError(c, err, withNext("/login/code", next), func(status int) error {
			return m.renderCode(c, status, false, err)
		})
	}
	m.clearCookie(c, challengeCookie, "/login")
	// A new CSRF token for the new session.
	m.clearCookie(c, csrfCookie, "/")
	m.setCookie(c, SessionCookie, signedIn.Token, "/", 0)
	return c.Redirect(http.StatusSeeOther, next)
}

func (m *Module) resendCode(c echo.Context) error {
	next := safeNext(c.FormValue("next"))
	err := m.svc.Resend(c.Request().Context(), m.challengeToken(c), client(c))
	if err != nil {
		if errors.Is(err, ErrChallengeGone) {
			return m.signInAgain(c, err)
		}
		return m.pageError(c, err, withNext("/login/code", next), func(status int) error {
			return m.renderCode(c, status, false, err)
		})
	}
	target := "/login/code?sent=1"
	if next != startPage {
		target += "&next=" + url.QueryEscape(next)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

func (m *Module) logout(c echo.Context) error {
	if ck, err := c.Cookie(SessionCookie); err == nil {
		if err := m.svc.SignOut(c.Request().Context(), ck.Value, client(c)); err != nil {
			return err
		}
	}
	m.clearCookie(c, SessionCookie, "/")
	m.clearCookie(c, csrfCookie, "/")
	return c.Redirect(http.StatusSeeOther, "/login")
}
