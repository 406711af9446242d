package attribution

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/attribution/model"
)

// eventTypes are the touchpoint types a tenant may count.
var eventTypes = []string{"pageview", "form", "download", "outbound", "identify", "track"}

func (m *Module) pageRoutes() []web.Route {
	return []web.Route{
		{Method: http.MethodGet, Path: "/t/:tenant/settings/attribution", Perm: web.Perm("settings.attribution", "read"), Handler: m.settingsPage},
		{Method: http.MethodPost, Path: "/t/:tenant/settings/attribution", Perm: web.Perm("settings.attribution", "write"), Handler: m.saveSettingsPage},
	}
}

// SettingsPage is the view model of the attribution settings form.
type SettingsPage struct {
	web.Page
	Settings Settings
	// Models are every model, Types every event type a tenant may count.
	Models []string
	Types  []string
	// ExcludeChannels is Settings.ExcludeChannels as the form's text.
	ExcludeChannels string
	UpdatedAt       time.Time
	Saved           bool
	// Error and ErrorField say what was wrong with a submitted form.
	Error, ErrorField string
}

// Computes reports whether the settings compute the model.
func (p SettingsPage) Computes(name string) bool {
	return name == p.Settings.DefaultModel || slices.Contains(p.Settings.Models, name)
}

// Counts reports whether the settings count the event type.
func (p SettingsPage) Counts(t string) bool { return slices.Contains(p.Settings.Types, t) }

func (m *Module) settingsView(c echo.Context, st Settings, updated time.Time) (SettingsPage, error) {
	page, err := m.layout.Page(c, "Attribution settings", "settings.attribution")
	if err != nil {
		return SettingsPage{}, err
	}
	return SettingsPage{Page: page, Settings: st, Models: append(model.Names(), NameMarkov, NameShapley), Types: eventTypes,
		ExcludeChannels: strings.Join(st.ExcludeChannels, ", "), UpdatedAt: updated, Saved: c.QueryParam("saved") == "1"}, nil
}

func (m *Module) settingsPage(c echo.Context) error {
	tid, err := web.RequestTenant(c)
	if err != nil {
		return err
	}
	st, updated, err := m.svc.Settings(c.Request().Context(), tid)
	if err != nil {
		return err
	}
	v, err := m.settingsView(c, st, updated)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "attribution/settings", v)
}

// saveSettingsPage stores the form's settings and starts a recompute; a form that
// does not parse or validate is shown again, as submitted, with what is wrong.
func (m *Module) saveSettingsPage(c echo.Context) error {
	ctx := c.Request().Context()
	tid, err := m.tenants.TenantID(ctx, c.Param("tenant"))
	if err != nil {
		return err
	}
	current, updated, err := m.svc.Settings(ctx, tid)
	if err != nil {
		return err
	}
	st, err := settingsFromForm(c, current)
	if err == nil {
		err = m.setSettings(c, tid, st, web.Actor(c))
	}
	if err != nil {
		if errs.KindOf(err) != errs.KindInvalid {
			return err
		}
		v, verr := m.settingsView(c, st, updated)
		if verr != nil {
			return verr
		}
		v.Error, v.ErrorField = errs.MessageOf(err), errs.FieldOf(err)
		return c.Render(http.StatusBadRequest, "attribution/settings", v)
	}
	return c.Redirect(http.StatusSeeOther, "/t/"+url.PathEscape(c.Param("tenant"))+"/settings/attribution?saved=1")
}

// settingsFromForm reads the form over the current settings (the custom model's
// per-type multipliers are kept: the JSON API sets them). The settings returned
// hold what was submitted even when an error says a field did not parse.
func settingsFromForm(c echo.Context, current Settings) (Settings, error) {
	st := current
	form, err := c.FormParams()
	if err != nil {
		return st, errs.Invalid("", "the form could not be read")
	}
	st.DefaultModel = form.Get("default_model")
	st.Models = form["models"]
	st.AccountBased = form.Get("account_based") == "on"
	st.Types = form["touchpoint_types"]
	st.ExcludeChannels = nil
	for _, ch := range strings.Split(form.Get("exclude_channels"), ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			st.ExcludeChannels = append(st.ExcludeChannels, ch)
		}
	}
	var problem error
	num := func(field string, dst *float64) {
		v, err := strconv.ParseFloat(strings.TrimSpace(form.Get(field)), 64)
		if err != nil {
			if problem == nil {
				problem = errs.Invalid(field, "%s: %q is not a number", field, form.Get(field))
			}
			return
		}
		*dst = v
	}
	integer := func(field string, dst *int) {
		v, err := strconv.Atoi(strings.TrimSpace(form.Get(field)))
		if err != nil {
			if problem == nil {
				problem = errs.Invalid(field, "%s: %q is not a whole number", field, form.Get(field))
			}
			return
		}
		*dst = v
	}
	integer("lookback_days", &st.LookbackDays)
	integer("markov_order", &st.MarkovOrder)
	num("half_life_days", &st.HalfLifeDays)
	num("custom_first", &st.Custom.First)
	num("custom_lead", &st.Custom.Lead)
	num("custom_opportunity", &st.Custom.Opportunity)
	num("custom_closed_won", &st.Custom.ClosedWon)
	num("custom_middle", &st.Custom.Middle)
	return st, problem
}
