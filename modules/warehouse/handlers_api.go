package warehouse

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

func (m *Module) tenantID(c echo.Context) (int64, error) {
	return web.RequestTenant(c)
}

// destinationID is the tenant and the destination id of the URL.
func (m *Module) destinationID(c echo.Context) (int64, int64, error) {
	tid, err := m.tenantID(c)
	if err != nil {
		return 0, 0, err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, 0, errs.NotFound("no warehouse destination %q", c.Param("id"))
	}
	return tid, id, nil
}

// DatasetInfo describes a dataset's schema for the API.
type DatasetInfo struct {
	Name          string   `json:"name"`
	SchemaVersion int      `json:"schema_version"`
	Columns       []Column `json:"columns"`
	Key           []string `json:"key"`
	DeleteBy      []string `json:"delete_by,omitempty"`
	Mode          string   `json:"mode"`
}

func datasetInfos() []DatasetInfo {
	out := make([]DatasetInfo, len(Datasets))
	for i, d := range Datasets {
		md := manifestDataset(d, Mark{}, Mark{}, Written{})
		out[i] = DatasetInfo{Name: d.Name, SchemaVersion: d.Version, Columns: d.Columns, Key: d.Key, DeleteBy: d.DeleteBy, Mode: md.Mode}
	}
	return out
}

func (m *Module) listDatasets(c echo.Context) error {
	if _, err := m.tenantID(c); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"datasets": datasetInfos()})
}

func (m *Module) listDestinations(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	list, err := m.svc.Destinations(c.Request().Context(), tid)
	if err != nil {
		return err
	}
	if list == nil {
		list = []Destination{}
	}
	return c.JSON(http.StatusOK, map[string]any{"destinations": list})
}

// createDestination takes a SaveInput; the answer never holds the credentials.
func (m *Module) createDestination(c echo.Context) error {
	return m.save(c, false)
}

func (m *Module) updateDestination(c echo.Context) error {
	return m.save(c, true)
}

func (m *Module) save(c echo.Context, update bool) error {
	var tid, id int64
	var err error
	if update {
		tid, id, err = m.destinationID(c)
	} else {
		tid, err = m.tenantID(c)
	}
	if err != nil {
		return err
	}
	var in SaveInput
	if err := web.DecodeJSON(c, &in, "a destination: name, kind, credentials, settings, datasets, schedule, pii, enabled"); err != nil {
		return err
	}
	in.Actor = web.Actor(c)
	d, err := m.svc.Save(c.Request().Context(), tid, c.Param("tenant"), id, in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !update {
		status = http.StatusCreated
	}
	return c.JSON(status, d)
}

func (m *Module) getDestination(c echo.Context) error {
	tid, id, err := m.destinationID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, err := m.svc.Destination(ctx, tid, id)
	if err != nil {
		return err
	}
	marks, err := m.svc.Marks(ctx, tid, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"destination": d, "watermarks": marks})
}

func (m *Module) deleteDestination(c echo.Context) error {
	tid, id, err := m.destinationID(c)
	if err != nil {
		return err
	}
	if err := m.svc.Delete(c.Request().Context(), tid, id, web.Actor(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (m *Module) checkDestination(c echo.Context) error {
	tid, id, err := m.destinationID(c)
	if err != nil {
		return err
	}
	res, err := m.svc.Check(c.Request().Context(), tid, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// parseFrom reads a backfill start: a date (YYYY-MM-DD, UTC) or an RFC 3339 time.
func parseFrom(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, errs.Invalid("from", "from must be a date (2026-01-31) or an RFC 3339 time")
}

// exportNow starts a run in the background and answers 202; with {"from": date}
// the run is a backfill from that date. A destination already exporting answers
// 409.
func (m *Module) exportNow(c echo.Context) error {
	tid, id, err := m.destinationID(c)
	if err != nil {
		return err
	}
	var in struct {
		From string `json:"from"`
	}
	if c.Request().ContentLength != 0 {
		if err := web.DecodeJSON(c, &in, `{"from": "2026-01-31"} or nothing`); err != nil {
			return err
		}
	}
	from, err := parseFrom(in.From)
	if err != nil {
		return err
	}
	d, err := m.svc.Destination(c.Request().Context(), tid, id)
	if err != nil {
		return err
	}
	if err := m.startRun(d, from, web.Actor(c)); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"status": "started"})
}

func (m *Module) listRuns(c echo.Context) error {
	tid, id, err := m.destinationID(c)
	if err != nil {
		return err
	}
	limit := 50
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 500 {
			return errs.Invalid("limit", "limit must be a whole number from 1 to 500")
		}
	}
	runs, err := m.svc.Runs(c.Request().Context(), tid, id, limit)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []Run{}
	}
	return c.JSON(http.StatusOK, map[string]any{"runs": runs})
}
