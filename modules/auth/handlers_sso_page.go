package auth

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// SSOSettingsPage is the view model of a tenant's single sign-on settings page.
type SSOSettingsPage struct {
	web.Page
	// Settings are the stored settings; nil while single sign-on is off.
	Settings *SSOSettings
	// RedirectURL is the redirect URI to register at the identity provider.
	RedirectURL string
	Roles       []string
	// CanWrite shows the forms (settings.users write); Declared says the config file
	// owns the settings, so the page only shows them.
	CanWrite bool
	Declared bool
	// Form is the settings form: the stored settings, or what was sent with an error.
	Form   SSOForm
	Notice string
	Error  string
	Field  string
}

// SSOForm is the settings form as the page shows and sends it.
type SSOForm struct {
	IssuerURL string
	ClientID  string
	// AllowedDomains are separated by commas or spaces.
	AllowedDomains string
	GroupsClaim    string
	// Mappings are the group → role rows, with blank rows to add more.
	Mappings []GroupRole
}

// GroupRole is one row of the group → role mapping.
type GroupRole struct {
	Group string
	Role  string
}

// blankMappings is how many empty rows the form offers for new mappings.
const blankMappings = 3

var ssoNotices = map[string]string{
	"saved":   "Single sign-on saved. People of the allowed groups sign in at /login/sso.",
	"removed": "Single sign-on turned off: its sessions ended, and its people sign in with their password and a code again.",
}

func formOf(set SSOSettings) SSOForm {
	f := SSOForm{IssuerURL: set.IssuerURL, ClientID: set.ClientID, AllowedDomains: strings.Join(set.AllowedDomains, ", "), GroupsClaim: set.GroupsClaim}
	for _, g := range slices.Sorted(maps.Keys(set.GroupRoles)) {
		f.Mappings = append(f.Mappings, GroupRole{Group: g, Role: set.GroupRoles[g]})
	}
	return f
}

// ssoView is the page of the tenant's current settings.
func (m *Module) ssoView(c echo.Context, tid int64) (SSOSettingsPage, error) {
	page, err := m.layout.Page(c, "Single sign-on", "settings.sso")
	if err != nil {
		return SSOSettingsPage{}, err
	}
	v := SSOSettingsPage{Page: page, RedirectURL: m.sso.RedirectURL(), Roles: config.Roles, Notice: ssoNotices[c.QueryParam("done")],
		CanWrite: m.layout.Can(c, web.Perm("settings.users", "write")), Form: SSOForm{GroupsClaim: config.DefaultGroupsClaim}}
	set, err := m.sso.Settings(c.Request().Context(), tid)
	switch {
	case err == nil:
		v.Settings, v.Declared, v.Form = &set, set.Source == sourceConfig, formOf(set)
	case errs.KindOf(err) != errs.KindNotFound:
		return SSOSettingsPage{}, err
	}
	return v, nil
}

// renderSSOSettings renders the page with blank mapping rows to add groups in.
func (m *Module) renderSSOSettings(c echo.Context, status int, v SSOSettingsPage) error {
	for range blankMappings {
		v.Form.Mappings = append(v.Form.Mappings, GroupRole{})
	}
	return c.Render(status, "auth/sso_settings", v)
}

func (m *Module) ssoSettingsPage(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	v, err := m.ssoView(c, tid)
	if err != nil {
		return err
	}
	return m.renderSSOSettings(c, http.StatusOK, v)
}

// ssoFormInput reads the settings form; rows without a group are blank rows.
func ssoFormInput(form url.Values) (SSOInput, SSOForm, error) {
	f := SSOForm{IssuerURL: strings.TrimSpace(form.Get("issuer_url")), ClientID: strings.TrimSpace(form.Get("client_id")),
		AllowedDomains: strings.TrimSpace(form.Get("allowed_domains")), GroupsClaim: strings.TrimSpace(form.Get("groups_claim"))}
	in := SSOInput{IssuerURL: f.IssuerURL, ClientID: f.ClientID, ClientSecret: form.Get("client_secret"), GroupsClaim: f.GroupsClaim,
		AllowedDomains: strings.FieldsFunc(f.AllowedDomains, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }),
		GroupRoles:     map[string]string{}}
	groups, roles := form["group"], form["role"]
	if len(groups) != len(roles) {
		return in, f, errs.Invalid("group_roles", "each group of the mapping needs its role: the form sent %d groups and %d roles", len(groups), len(roles))
	}
	var problem error
	for i, g := range groups {
		g, role := strings.TrimSpace(g), strings.TrimSpace(roles[i])
		if g == "" && role == "" {
			continue
		}
		f.Mappings = append(f.Mappings, GroupRole{Group: g, Role: role})
		switch _, dup := in.GroupRoles[g]; {
		case problem != nil:
		case g == "":
			problem = errs.Invalid("group_roles", "row %d of the mapping has the role %s but no group", i+1, role)
		case role == "":
			problem = errs.Invalid("group_roles", "choose the role that group %q gives", g)
		case dup:
			problem = errs.Invalid("group_roles", "group %q is mapped twice: keep one row", g)
		}
		in.GroupRoles[g] = role
	}
	return in, f, problem
}

// saveSSOPage sets or replaces the settings from the form through the same service
// method as the API, with the same role ceiling; its errors are shown on the page.
func (m *Module) saveSSOPage(c echo.Context) error {
	tid, role, err := m.actingIn(c)
	if err != nil {
		return err
	}
	params, err := c.FormParams()
	if err != nil {
		return errs.Invalid("", "the form could not be read: %v", err)
	}
	in, form, serr := ssoFormInput(params)
	if serr == nil {
		_, serr = m.sso.Set(c.Request().Context(), tid, role, in, actorOf(web.PrincipalOf(c)), client(c))
	}
	if serr != nil {
		return m.ssoPageError(c, tid, serr, &form)
	}
	return c.Redirect(http.StatusSeeOther, m.ssoPath(c)+"?done=saved")
}

// deleteSSOPage turns single sign-on off through the service method the API uses.
func (m *Module) deleteSSOPage(c echo.Context) error {
	tid, role, err := m.actingIn(c)
	if err != nil {
		return err
	}
	if derr := m.sso.Delete(c.Request().Context(), tid, role, actorOf(web.PrincipalOf(c)), client(c)); derr != nil {
		return m.ssoPageError(c, tid, derr, nil)
	}
	return c.Redirect(http.StatusSeeOther, m.ssoPath(c)+"?done=removed")
}

// ssoPageError shows a refused change on the page, in the status its kind maps to,
// with the form as sent (nil: the stored settings); internal errors go to the error
// handler.
func (m *Module) ssoPageError(c echo.Context, tid int64, changeErr error, form *SSOForm) error {
	if errs.KindOf(changeErr) == errs.KindInternal {
		return changeErr
	}
	v, err := m.ssoView(c, tid)
	if err != nil {
		return err
	}
	if form != nil {
		v.Form = *form
	}
	v.Error, v.Field = errs.MessageOf(changeErr), errs.FieldOf(changeErr)
	return m.renderSSOSettings(c, web.StatusOf(changeErr), v)
}

func (m *Module) ssoPath(c echo.Context) string {
	return "/t/" + url.PathEscape(c.Param("tenant")) + "/settings/sso"
}
