package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// SSO declares a tenant's OpenID Connect single sign-on (tenants[].sso). The same
// settings can be made through the API; Problems holds the rules of both.
type SSO struct {
	// IssuerURL is the identity provider's issuer: its discovery document is at
	// IssuerURL/.well-known/openid-configuration and names the same issuer.
	IssuerURL string `koanf:"issuer_url"`
	// ClientID is SRG's client at the identity provider.
	ClientID string `koanf:"client_id"`
	// ClientSecretEnv names the environment variable (not SRG_*) that holds the client
	// secret; it is sealed with the secrets key when stored.
	ClientSecretEnv string `koanf:"client_secret_env"`
	// AllowedDomains, when set, are the only email domains that may sign in.
	AllowedDomains []string `koanf:"allowed_domains"`
	// GroupsClaim is the ID token claim listing the person's groups (DefaultGroupsClaim
	// when empty).
	GroupsClaim string `koanf:"groups_claim"`
	// GroupRoles maps an identity provider group to an SRG role; a person gets the
	// highest role of their groups, and nobody without one signs in.
	GroupRoles map[string]string `koanf:"group_roles"`
}

// DefaultGroupsClaim is the claim read for groups when none is configured.
const DefaultGroupsClaim = "groups"

// Limits of SSO settings, so that a setting stays readable and a token cheap to map.
const (
	maxIssuerURL   = 2048
	maxClientID    = 255
	maxSSODomains  = 100
	maxGroupsClaim = 200
	maxGroupRoles  = 200
	maxGroupName   = 256
)

var ssoDomainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

// Declared reports whether any key of the section is set.
func (s SSO) Declared() bool {
	return s.IssuerURL != "" || s.ClientID != "" || s.ClientSecretEnv != "" || len(s.AllowedDomains) > 0 ||
		s.GroupsClaim != "" || len(s.GroupRoles) > 0
}

// Claim is the groups claim to read.
func (s SSO) Claim() string {
	if s.GroupsClaim == "" {
		return DefaultGroupsClaim
	}
	return s.GroupsClaim
}

// FieldProblem is one problem of a group of settings, naming its field.
type FieldProblem struct {
	Field   string
	Message string
}

// Problems checks every setting but the client secret's source, which differs between
// the config file and the API. Fields are named as in the file: issuer_url,
// allowed_domains[1], group_roles["Sales team"].
func (s SSO) Problems() []FieldProblem {
	var p []FieldProblem
	add := func(field, format string, args ...any) {
		p = append(p, FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if msg := issuerProblem(s.IssuerURL); msg != "" {
		add("issuer_url", "%s", msg)
	}
	switch {
	case s.ClientID == "":
		add("client_id", "required: SRG's client id at the identity provider")
	case len(s.ClientID) > maxClientID:
		add("client_id", "must be at most %d characters", maxClientID)
	case !printable(s.ClientID):
		add("client_id", "must not contain spaces or control characters")
	}
	if len(s.AllowedDomains) > maxSSODomains {
		add("allowed_domains", "at most %d domains", maxSSODomains)
	}
	seen := map[string]bool{}
	for i, d := range s.AllowedDomains {
		field := fmt.Sprintf("allowed_domains[%d]", i)
		switch {
		case !ssoDomainPattern.MatchString(d):
			add(field, "%q is not a lower-case email domain such as example.com", d)
		case seen[d]:
			add(field, "%q is listed twice", d)
		}
		seen[d] = true
	}
	if s.GroupsClaim != "" && (len(s.GroupsClaim) > maxGroupsClaim || !printable(s.GroupsClaim)) {
		add("groups_claim", "must be a claim name of at most %d characters without spaces", maxGroupsClaim)
	}
	switch {
	case len(s.GroupRoles) == 0:
		add("group_roles", "required: map at least one identity provider group to a role (%s)", strings.Join(Roles, ", "))
	case len(s.GroupRoles) > maxGroupRoles:
		add("group_roles", "at most %d groups", maxGroupRoles)
	}
	groups := make([]string, 0, len(s.GroupRoles))
	for g := range s.GroupRoles {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		field := fmt.Sprintf("group_roles[%q]", g)
		switch {
		case strings.TrimSpace(g) == "" || len(g) > maxGroupName || strings.IndexFunc(g, unicode.IsControl) >= 0:
			add(field, "a group name must be 1-%d characters without control characters", maxGroupName)
		case !slices.Contains(Roles, s.GroupRoles[g]):
			add(field, "role %q must be one of %s", s.GroupRoles[g], strings.Join(Roles, ", "))
		}
	}
	return p
}

// issuerProblem checks an issuer URL: https, or http to this machine (for a provider
// on loopback); no query or fragment, which the discovery path could not follow.
func issuerProblem(raw string) string {
	if raw == "" {
		return "required: the identity provider's issuer URL"
	}
	if len(raw) > maxIssuerURL {
		return fmt.Sprintf("must be at most %d characters", maxIssuerURL)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return fmt.Sprintf("%q is not an absolute URL", raw)
	case u.RawQuery != "" || u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Sprintf("%q must not have a query or fragment", raw)
	case u.User != nil:
		return fmt.Sprintf("%q must not hold credentials", raw)
	case u.Scheme == "https":
		return ""
	case u.Scheme == "http" && loopback(u.Hostname()):
		return ""
	case u.Scheme == "http":
		return fmt.Sprintf("%q must use https (http only for a provider on this machine)", raw)
	}
	return fmt.Sprintf("%q must be an https URL", raw)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// printable reports a value without spaces or control characters.
func printable(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

// validateSSO checks tenants[i].sso.
func validateSSO(key string, s SSO) Problems {
	if !s.Declared() {
		return nil
	}
	var p Problems
	for _, fp := range s.Problems() {
		p = append(p, key+"."+fp.Field+": "+fp.Message)
	}
	switch {
	case s.ClientSecretEnv == "":
		p = append(p, key+".client_secret_env: required: the environment variable that holds the client secret")
	default:
		if msg := validPasswordEnv(s.ClientSecretEnv); msg != "" {
			p = append(p, key+".client_secret_env: "+msg)
		}
	}
	return p
}
