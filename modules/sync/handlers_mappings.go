package syncer

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/sync/campaigns"
)

func (m *Module) listMappings(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	list, err := campaigns.ListMappings(c.Request().Context(), m.svc.db, tid)
	if err != nil {
		return err
	}
	if list == nil {
		list = []campaigns.StoredMapping{}
	}
	return c.JSON(http.StatusOK, map[string]any{"mappings": list})
}

// setMapping takes {"utm_key": "utm_campaign"|"utm_id", "utm_value", "platform", "campaign_id"}.
func (m *Module) setMapping(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	var in struct {
		UTMKey     string `json:"utm_key"`
		UTMValue   string `json:"utm_value"`
		Platform   string `json:"platform"`
		CampaignID string `json:"campaign_id"`
	}
	if err := web.DecodeJSON(c, &in, "a JSON object with utm_key, utm_value, platform and campaign_id"); err != nil {
		return err
	}
	if err := campaigns.SetMapping(c.Request().Context(), m.svc.db, tid, in.UTMKey, in.UTMValue, in.Platform, in.CampaignID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (m *Module) deleteMapping(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	if err := campaigns.DeleteMapping(c.Request().Context(), m.svc.db, tid, c.QueryParam("utm_key"), c.QueryParam("utm_value")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// matchCampaign answers which campaign a tracked touchpoint with these utm values and
// click id type is credited to, so an admin can check names and mappings before
// attribution uses them: 200 with the match, or 404 when nothing matches.
func (m *Module) matchCampaign(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	t := campaigns.Touch{UTMCampaign: q.Get("utm_campaign"), UTMID: q.Get("utm_id"), UTMSource: q.Get("utm_source"), ClickIDType: q.Get("click_id_type")}
	if t.UTMCampaign == "" && t.UTMID == "" {
		return errs.Invalid("utm_campaign", "give utm_campaign or utm_id")
	}
	matcher, err := campaigns.Load(c.Request().Context(), m.svc.db, tid)
	if err != nil {
		return err
	}
	match, ok := matcher.Match(t)
	if !ok {
		return errs.NotFound("no campaign matches; add a campaign mapping if the names differ")
	}
	return c.JSON(http.StatusOK, match)
}
