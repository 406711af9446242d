package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/portal/reports"
)

// TouchpointsPage is the view model of the touchpoints page.
type TouchpointsPage struct {
	web.Page
	From, To string
	Filter   reports.TouchpointFilter
	Result   reports.TouchpointPage
	Types    []string
	// Query is the filter as query parameters, for paging and export links.
	Query string
}

// PageURL is the link to another page of the same filter.
func (p TouchpointsPage) PageURL(n int) string {
	return "/t/" + url.PathEscape(p.Tenant.Slug) + "/touchpoints?" + p.Query + "&page=" + strconv.Itoa(n)
}

// ExportURL is the CSV export of the same filter.
func (p TouchpointsPage) ExportURL() string {
	return "/t/" + url.PathEscape(p.Tenant.Slug) + "/touchpoints/export.csv?" + p.Query
}

// touchpointPage builds the touchpoints page's layout and reads its filter, also as
// query parameters.
func (m *Module) touchpointPage(c echo.Context) (web.Page, reports.TouchpointFilter, string, error) {
	page, err := m.page(c, "Touchpoints", "touchpoints")
	if err != nil {
		return page, reports.TouchpointFilter{}, "", err
	}
	f, err := reports.ParseTouchpointFilter(c.QueryParam, m.now())
	if err != nil {
		return page, f, "", err
	}
	q := url.Values{"from": {f.Range.From.Format(time.DateOnly)}, "to": {f.Range.To.AddDate(0, 0, -1).Format(time.DateOnly)}}
	for k, v := range map[string]string{"channel": f.Channel, "type": f.Type, "campaign": f.Campaign, "url": f.URL} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return page, f, q.Encode(), nil
}

func (m *Module) touchpoints(c echo.Context) error {
	page, f, q, err := m.touchpointPage(c)
	if err != nil {
		return err
	}
	n, err := reports.ParsePage(c.QueryParam("page"))
	if err != nil {
		return err
	}
	res, err := m.reports.Touchpoints(c.Request().Context(), page.Tenant.Slug, f, n)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "portal/touchpoints", TouchpointsPage{Page: page, Filter: f, Result: res, Types: reports.TouchpointTypes, Query: q,
		From: f.Range.From.Format(time.DateOnly), To: f.Range.To.AddDate(0, 0, -1).Format(time.DateOnly)})
}

// exportTouchpoints streams every touchpoint of the filter as CSV. The export is
// audited before the first row leaves: who exported what, from where.
func (m *Module) exportTouchpoints(c echo.Context) error {
	page, f, q, err := m.touchpointPage(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tid := page.Tenant.ID
	if err := audit.Record(ctx, m.db, audit.Entry{TenantID: &tid, Actor: web.Actor(c), Action: "export.touchpoints",
		Target: "touchpoints", RemoteAddr: c.RealIP(), Details: map[string]any{"filter": q}}); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-touchpoints-%s.csv"`, page.Tenant.Slug, m.now().UTC().Format("20060102-1504")))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	n, err := m.reports.ExportTouchpoints(ctx, page.Tenant.Slug, f, flushWriter{c.Response()})
	if err != nil && ctx.Err() == nil {
		// The status is sent, so the error handler can say nothing: the log does.
		m.log.Error("touchpoint export cut short", "tenant", page.Tenant.Slug, "rows", n, "err", err)
	}
	return nil
}

// flushWriter sends each chunk on at once, so the export streams.
type flushWriter struct{ r *echo.Response }

func (w flushWriter) Write(b []byte) (int, error) {
	n, err := w.r.Write(b)
	w.r.Flush()
	return n, err
}
