package portal

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/portal/reports"
)

// CampaignsPage is the view model of the campaigns page; its table is a fragment
// loaded next (CampaignsReport).
type CampaignsPage struct {
	web.Page
	Filter Filter
}

// CampaignsReport is the view model of the campaigns table.
type CampaignsReport struct {
	web.Page
	Filter Filter
	reports.Campaigns
}

func (m *Module) campaigns(c echo.Context) error {
	page, f, err := m.filtered(c, "Campaigns", "campaigns")
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "portal/campaigns", CampaignsPage{Page: page, Filter: f})
}

func (m *Module) campaignsReport(c echo.Context) error {
	page, f, err := m.filtered(c, "Campaigns", "campaigns")
	if err != nil {
		return err
	}
	r, err := m.reports.Campaigns(c.Request().Context(), reports.CampaignQuery{Tenant: page.Tenant.Slug, TenantID: page.Tenant.ID,
		Range: f.Range, Model: f.Model, Currency: page.Tenant.Currency})
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "portal/campaigns#report", CampaignsReport{Page: page, Filter: f, Campaigns: r})
}

// CampaignLine is the view model of one row of the campaigns tables.
type CampaignLine struct {
	Name     string
	Row      reports.CampaignRow
	Currency string
}

// Row is the view model of the "campaign-row" partial.
func (r CampaignsReport) Row(row reports.CampaignRow, name string) CampaignLine {
	return CampaignLine{Name: name, Row: row, Currency: r.Tenant.Currency}
}
