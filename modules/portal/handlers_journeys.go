package portal

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/portal/reports"
)

// JourneysPage is the view model of the journey search.
type JourneysPage struct {
	web.Page
	Query string
	Found reports.Found
}

// JourneyPage is the view model of one journey: a person's, an account's or an
// opportunity's timeline, with a column per model the tenant computes.
type JourneyPage struct {
	web.Page
	Kind        string
	Person      reports.Person
	Account     reports.Account
	People      []reports.Person
	Opportunity reports.Opportunity
	Timeline    reports.Timeline
	Models      []string
}

func (m *Module) journeys(c echo.Context) error {
	page, err := m.page(c, "Journeys", "journeys")
	if err != nil {
		return err
	}
	q := c.QueryParam("q")
	found, err := m.reports.Find(c.Request().Context(), page.Tenant.ID, q)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "portal/journeys", JourneysPage{Page: page, Query: q, Found: found})
}

// journey renders a timeline once load has found the object in the tenant.
func (m *Module) journey(c echo.Context, load func(v *JourneyPage) error) error {
	page, err := m.page(c, "Journey", "journeys")
	if err != nil {
		return err
	}
	v := JourneyPage{Page: page}
	if err := load(&v); err != nil {
		return err
	}
	models, err := m.models.Models(c.Request().Context(), page.Tenant.ID)
	if err != nil {
		return err
	}
	// The tenant's models, then any other model that credited something here.
	v.Models = append(v.Models, models.On...)
	for _, name := range models.All {
		if _, ok := v.Timeline.Totals[name]; ok && !models.Has(name) {
			v.Models = append(v.Models, name)
		}
	}
	return c.Render(http.StatusOK, "portal/journey", v)
}

func (m *Module) personJourney(c echo.Context) error {
	return m.journey(c, func(v *JourneyPage) (err error) {
		v.Kind = "person"
		v.Person, v.Timeline, err = m.reports.PersonJourney(c.Request().Context(), v.Tenant.Slug, v.Tenant.ID, c.Param("id"))
		v.Title = v.Person.Email
		return err
	})
}

func (m *Module) accountJourney(c echo.Context) error {
	return m.journey(c, func(v *JourneyPage) (err error) {
		v.Kind = "account"
		v.Account, v.People, v.Timeline, err = m.reports.AccountJourney(c.Request().Context(), v.Tenant.Slug, v.Tenant.ID, c.Param("id"))
		v.Title = v.Account.Domain
		return err
	})
}

func (m *Module) opportunityJourney(c echo.Context) error {
	return m.journey(c, func(v *JourneyPage) (err error) {
		v.Kind = "opportunity"
		v.Opportunity, v.Timeline, err = m.reports.OpportunityJourney(c.Request().Context(), v.Tenant.Slug, v.Tenant.ID, c.Param("id"))
		v.Title = v.Opportunity.Name
		return err
	})
}
