package portal

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/portal/reports"
)

// Filter is the date range and model a report page is filtered by, as the form
// shows it.
type Filter struct {
	From, To string
	Model    string
	Compare  []string
	Range    reports.Range
	Models   reports.Models
}

// Query is the filter as URL query parameters.
func (f Filter) Query() string {
	v := url.Values{"from": {f.From}, "to": {f.To}, "model": {f.Model}}
	for _, c := range f.Compare {
		v.Add("compare", c)
	}
	return v.Encode()
}

// Compares reports whether model is among those compared.
func (f Filter) Compares(model string) bool { return slices.Contains(f.Compare, model) }

// filtered builds a report page's layout and reads its filter.
func (m *Module) filtered(c echo.Context, title, section string) (web.Page, Filter, error) {
	page, err := m.page(c, title, section)
	if err != nil {
		return page, Filter{}, err
	}
	f, err := m.filter(c, page.Tenant.ID)
	return page, f, err
}

// maxCompare bounds the models compared side by side.
const maxCompare = 6

// filter reads from, to, model and compare, checking the models against those the
// tenant's settings compute.
func (m *Module) filter(c echo.Context, tenantID int64) (Filter, error) {
	r, err := reports.ParseRange(c.QueryParam("from"), c.QueryParam("to"), m.now())
	if err != nil {
		return Filter{}, err
	}
	models, err := m.models.Models(c.Request().Context(), tenantID)
	if err != nil {
		return Filter{}, err
	}
	model, err := models.Pick(strings.TrimSpace(c.QueryParam("model")))
	if err != nil {
		return Filter{}, err
	}
	f := Filter{From: r.From.Format(time.DateOnly), To: r.To.AddDate(0, 0, -1).Format(time.DateOnly), Model: model, Range: r, Models: models}
	compare := c.QueryParams()["compare"]
	for _, name := range compare {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if _, err := models.Pick(name); err != nil {
			return Filter{}, errs.Invalid("compare", "%s", errs.MessageOf(err))
		}
		if !slices.Contains(f.Compare, name) {
			f.Compare = append(f.Compare, name)
		}
	}
	if len(f.Compare) > maxCompare {
		return Filter{}, errs.Invalid("compare", "compare at most %d models at a time", maxCompare)
	}
	if len(compare) == 0 {
		f.Compare = defaultCompare(models)
	}
	return f, nil
}

// defaultCompare is the default model and the common rule-based ones the tenant
// computes.
func defaultCompare(models reports.Models) []string {
	out := []string{models.Default}
	for _, name := range []string{"first_touch", "last_touch", "linear", "w_shaped", "markov"} {
		if len(out) < 4 && models.Has(name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// FilterForm is what the filter form needs: the filter, the fragment it loads and
// whether it offers models to compare.
type FilterForm struct {
	Filter  Filter
	Target  string
	Compare bool
}

// Form is the dashboard's filter form.
func (p DashboardPage) Form() FilterForm {
	return FilterForm{Filter: p.Filter, Target: "/t/" + url.PathEscape(p.Tenant.Slug) + "/dashboard/report", Compare: true}
}

// ReportURL is the report fragment of the page's filter.
func (p DashboardPage) ReportURL() string { return p.Form().Target + "?" + p.Filter.Query() }

// Form is the campaigns page's filter form.
func (p CampaignsPage) Form() FilterForm {
	return FilterForm{Filter: p.Filter, Target: "/t/" + url.PathEscape(p.Tenant.Slug) + "/campaigns/report"}
}

// ReportURL is the report fragment of the page's filter.
func (p CampaignsPage) ReportURL() string { return p.Form().Target + "?" + p.Filter.Query() }
