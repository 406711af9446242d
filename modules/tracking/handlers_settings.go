package tracking

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// TenantSites resolves a tenant and lists its sites, for the settings pages; the
// tenants module implements it. An unknown slug is errs.NotFound.
type TenantSites interface {
	TenantSites(ctx context.Context, slug string) (tenantID int64, sites []SiteRecord, err error)
}

// RecentVisits reads the sources of a tenant's latest session-starting touchpoints,
// newest first, for the channel rules preview; app/search implements it.
type RecentVisits interface {
	RecentVisits(ctx context.Context, tenant string, n int) ([]json.RawMessage, error)
}

func (m *Module) settingsRoutes() []web.Route {
	tracking, channels := "settings.tracking", "settings.channels"
	return []web.Route{
		{Method: http.MethodGet, Path: "/t/:tenant/settings/tracking", Perm: web.Perm(tracking, "read"), Handler: m.sitesPage},
		{Method: http.MethodPost, Path: "/t/:tenant/settings/tracking/:site", Perm: web.Perm(tracking, "write"), Handler: m.saveSitePage},
		{Method: http.MethodGet, Path: "/t/:tenant/settings/channels", Perm: web.Perm(channels, "read"), Handler: m.channelsPage},
		// A preview changes nothing, so reading is enough; it is a POST because the
		// rules are a form's JSON document.
		{Method: http.MethodPost, Path: "/t/:tenant/settings/channels/preview", Perm: web.Perm(channels, "read"), Handler: m.previewChannelsPage},
		{Method: http.MethodPost, Path: "/t/:tenant/settings/channels", Perm: web.Perm(channels, "write"), Handler: m.saveChannelsPage},
	}
}

// SiteView is one site on the tracking settings page.
type SiteView struct {
	SiteRecord
	Settings Settings
	// Snippet is the HTML that installs the tracker on the site's pages.
	Snippet string
	// Error is what was wrong with this site's submitted form.
	Error string
}

// SitesPage is the view model of the tracking settings page.
type SitesPage struct {
	web.Page
	Sites []SiteView
	Saved string
}

// Snippet is the tracker's install snippet for a site key.
func (m *Module) Snippet(key string) string {
	base := strings.TrimRight(m.publicURL, "/")
	return `<script defer src="` + base + `/sona.js" data-site="` + key + `"></script>`
}

// tenantSites resolves the tenant in the URL and lists its sites.
func (m *Module) tenantSites(c echo.Context) (int64, []SiteRecord, error) {
	if m.tenantSitesSrc == nil {
		return 0, nil, errs.NotFound("tracking settings are not available")
	}
	return m.tenantSitesSrc.TenantSites(c.Request().Context(), c.Param("tenant"))
}

func (m *Module) sitesView(c echo.Context, sites []SiteRecord) (SitesPage, error) {
	page, err := m.layout.Page(c, "Tracking", "settings.tracking")
	if err != nil {
		return SitesPage{}, err
	}
	v := SitesPage{Page: page, Saved: c.QueryParam("saved")}
	for _, s := range sites {
		st, err := m.store.settings(c.Request().Context(), s.ID)
		if err != nil {
			return SitesPage{}, err
		}
		v.Sites = append(v.Sites, SiteView{SiteRecord: s, Settings: st, Snippet: m.Snippet(s.Key)})
	}
	return v, nil
}

func (m *Module) sitesPage(c echo.Context) error {
	_, sites, err := m.tenantSites(c)
	if err != nil {
		return err
	}
	v, err := m.sitesView(c, sites)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "tracking/sites", v)
}

var (
	extensionPattern = regexp.MustCompile(`^[a-z0-9]{1,10}$`)
	fieldPattern     = regexp.MustCompile(`^[A-Za-z0-9_.:\-\[\]]{1,100}$`)
)

// maxListEntries bounds the download extensions and form fields of a site.
const maxListEntries = 50

// Validate reports the first problem with the settings, naming its field.
func (s Settings) Validate() error {
	if len(s.DownloadExtensions) > maxListEntries+len(DefaultDownloadExtensions) {
		return errs.Invalid("download_extensions", "at most %d file types", maxListEntries)
	}
	for _, e := range s.DownloadExtensions {
		if !extensionPattern.MatchString(e) {
			return errs.Invalid("download_extensions", "%q is not a file extension (1-10 lower-case letters or digits, no dot)", e)
		}
	}
	if len(s.FormFields) > maxListEntries {
		return errs.Invalid("form_fields", "at most %d form fields", maxListEntries)
	}
	for _, f := range s.FormFields {
		if !fieldPattern.MatchString(f) {
			return errs.Invalid("form_fields", "%q is not a form field name", f)
		}
	}
	return nil
}

// splitList reads a comma- or line-separated list.
func splitList(v string) []string {
	out := []string{}
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// saveSitePage stores a site's tracker settings from its form. A site of another
// tenant is not found; a malformed form is shown again with what is wrong.
func (m *Module) saveSitePage(c echo.Context) error {
	ctx := c.Request().Context()
	tenantID, sites, err := m.tenantSites(c)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(sites, func(s SiteRecord) bool { return s.Key == c.Param("site") })
	if i < 0 {
		return errs.NotFound("no site %q in this workspace", c.Param("site"))
	}
	site := sites[i]
	st := Settings{
		ConsentRequired:    c.FormValue("consent_required") == "on",
		HonorDNT:           c.FormValue("honor_dnt") == "on",
		DownloadExtensions: splitList(strings.ToLower(c.FormValue("download_extensions"))),
		FormFields:         splitList(c.FormValue("form_fields")),
	}
	if err := st.Validate(); err != nil {
		v, verr := m.sitesView(c, sites)
		if verr != nil {
			return verr
		}
		v.Sites[i].Settings = st
		v.Sites[i].Error = errs.MessageOf(err)
		return c.Render(http.StatusBadRequest, "tracking/sites", v)
	}
	if err := m.SetSiteSettings(ctx, site.Key, st); err != nil {
		return err
	}
	if err := audit.Record(ctx, m.store.db, audit.Entry{TenantID: &tenantID, Actor: web.Actor(c), Action: "settings.tracking",
		Target: site.Key, RemoteAddr: c.RealIP(), Details: map[string]any{"consent_required": st.ConsentRequired, "honor_dnt": st.HonorDNT}}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/t/"+url.PathEscape(c.Param("tenant"))+"/settings/tracking?saved="+url.QueryEscape(site.Key))
}
