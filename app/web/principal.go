package web

import (
	"strconv"

	"github.com/labstack/echo/v4"
)

// Principal is who makes a request: a signed-in user, or an API token acting for one
// tenant. Authentication middleware sets it; the authorizer reads it.
type Principal struct {
	UserID int64
	Email  string
	// SessionID is set for a browser session, TokenID for an API token.
	SessionID string
	TokenID   int64
	// TokenTenantID and TokenRole bound an API token: it acts in that tenant only,
	// with at most that role.
	TokenTenantID int64
	TokenRole     string
}

const principalKey = "srg.principal"

// SetPrincipal records who makes the request.
func SetPrincipal(c echo.Context, p *Principal) { c.Set(principalKey, p) }

// PrincipalOf returns who makes the request, or nil when nobody signed in.
func PrincipalOf(c echo.Context) *Principal {
	p, _ := c.Get(principalKey).(*Principal)
	return p
}

// actorKey is where the authorizer leaves the audit log's name of the principal.
const actorKey = "actor"

// Actor names who makes the request in the audit log: the name the authorizer left
// ("user:42", "api-token:7"), else one made from the principal, else "anonymous".
func Actor(c echo.Context) string {
	if a, ok := c.Get(actorKey).(string); ok && a != "" {
		return a
	}
	switch p := PrincipalOf(c); {
	case p == nil:
		return "anonymous"
	case p.TokenID != 0:
		return "api-token:" + strconv.FormatInt(p.TokenID, 10)
	default:
		return "user:" + strconv.FormatInt(p.UserID, 10)
	}
}
