package portal

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/portal/reports"
)

// Chart is the data of one chart, drawn by static/portal/charts.js with ECharts;
// pages pass it as JSON in the chart element's data-chart attribute.
type Chart struct {
	// Kind is "bar" (horizontal bars per category), "line" (a series over time) or
	// "columns" (grouped vertical bars: one group per category, a bar per series).
	Kind       string        `json:"kind"`
	Currency   string        `json:"currency,omitempty"`
	Categories []string      `json:"categories"`
	Series     []ChartSeries `json:"series"`
}

// ChartSeries is one series of a chart.
type ChartSeries struct {
	Name   string    `json:"name"`
	Values []float64 `json:"values"`
}

func amountsChart(kind, currency, name string, amounts []reports.Amount) Chart {
	ch := Chart{Kind: kind, Currency: currency, Categories: []string{}, Series: []ChartSeries{{Name: name, Values: []float64{}}}}
	for _, a := range amounts {
		ch.Categories = append(ch.Categories, a.Name)
		ch.Series[0].Values = append(ch.Series[0].Values, a.Value)
	}
	return ch
}

// DashboardPage is the view model of the dashboard: the filter form; the report
// itself is a fragment loaded next (DashboardReport).
type DashboardPage struct {
	web.Page
	Filter Filter
	Setup  reports.Setup
}

// DashboardReport is the view model of the dashboard's report fragment.
type DashboardReport struct {
	web.Page
	Filter Filter
	reports.Dashboard
	PipelineChart, RevenueChart, LeadsChart, TrendChart, CompareChart Chart
}

func (m *Module) dashboard(c echo.Context) error {
	page, f, err := m.filtered(c, "Dashboard", "dashboard")
	if err != nil {
		return err
	}
	setup, err := m.reports.SetupOf(c.Request().Context(), page.Tenant.Slug)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "portal/dashboard", DashboardPage{Page: page, Filter: f, Setup: setup})
}

func (m *Module) dashboardReport(c echo.Context) error {
	page, f, err := m.filtered(c, "Dashboard", "dashboard")
	if err != nil {
		return err
	}
	d, err := m.reports.Dashboard(c.Request().Context(), reports.DashboardQuery{Tenant: page.Tenant.Slug, Range: f.Range, Model: f.Model, Compare: f.Compare})
	if err != nil {
		return err
	}
	cur := page.Tenant.Currency
	v := DashboardReport{Page: page, Filter: f, Dashboard: d,
		PipelineChart: amountsChart("bar", cur, "Pipeline", d.Pipeline),
		RevenueChart:  amountsChart("bar", cur, "Revenue", d.Revenue),
		LeadsChart:    amountsChart("bar", "", "Conversions", d.Leads),
		TrendChart:    Chart{Kind: "line", Currency: cur, Categories: []string{}, Series: []ChartSeries{{Name: "Pipeline", Values: []float64{}}, {Name: "Revenue", Values: []float64{}}}},
		CompareChart:  Chart{Kind: "columns", Currency: cur, Categories: []string{}},
	}
	for _, p := range d.Trend {
		v.TrendChart.Categories = append(v.TrendChart.Categories, p.Start.Format("2006-01-02"))
		v.TrendChart.Series[0].Values = append(v.TrendChart.Series[0].Values, p.Pipeline)
		v.TrendChart.Series[1].Values = append(v.TrendChart.Series[1].Values, p.Revenue)
	}
	for i, name := range d.Compare {
		s := ChartSeries{Name: name, Values: []float64{}}
		for _, row := range d.Comparison {
			s.Values = append(s.Values, row.Values[i])
		}
		v.CompareChart.Series = append(v.CompareChart.Series, s)
	}
	for _, row := range d.Comparison {
		v.CompareChart.Categories = append(v.CompareChart.Categories, row.Channel)
	}
	return c.Render(http.StatusOK, "portal/dashboard#report", v)
}

// AmountTable is a table of amounts by name; no Currency means plain numbers.
type AmountTable struct {
	Rows     []reports.Amount
	Currency string
}

// Table is the view model of the "amounts" partial.
func (DashboardReport) Table(rows []reports.Amount, currency string) AmountTable {
	return AmountTable{Rows: rows, Currency: currency}
}
