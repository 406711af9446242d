package syncer

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/sync/connector"
)

func (m *Module) tenantID(c echo.Context) (int64, error) {
	return web.RequestTenant(c)
}

func (m *Module) listConnectors(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	list, err := m.svc.Connectors(c.Request().Context(), tid)
	if err != nil {
		return err
	}
	if list == nil {
		list = []Connector{}
	}
	return c.JSON(http.StatusOK, map[string]any{"connectors": list, "kinds": m.svc.Kinds()})
}

// connect takes {"credentials": {...}, "settings": {...}, "schedule": "..."}; the
// answer never contains the credentials.
func (m *Module) connect(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	var in ConnectInput
	if err := web.DecodeJSON(c, &in, "a JSON object with credentials, settings and schedule"); err != nil {
		return err
	}
	in.Kind = connector.Kind(c.Param("kind"))
	in.Actor = actor(c)
	out, err := m.svc.Connect(c.Request().Context(), tid, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (m *Module) disconnect(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	if err := m.svc.Disconnect(c.Request().Context(), tid, connector.Kind(c.Param("kind")), actor(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// syncNow starts a run in the background and answers 202; the run shows in the run
// log. A connector already running answers 409.
func (m *Module) syncNow(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	kind := connector.Kind(c.Param("kind"))
	conn, err := m.svc.Connector(c.Request().Context(), tid, kind)
	if err != nil {
		return err
	}
	if err := m.startRun(conn); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"status": "started"})
}

// startRun starts a manual run in the background once it holds the connector's
// lock; ErrBusy when another run holds it.
func (m *Module) startRun(conn Connector) error {
	started := make(chan error, 1)
	m.background.Add(1)
	go func() {
		defer m.background.Done()
		_, err := m.svc.runNotify(m.ctx, conn, TriggerManual, started)
		if err != nil && !errors.Is(err, ErrBusy) {
			m.log.Error("manual sync failed", "tenant_id", conn.TenantID, "connector", string(conn.Kind), "err", err)
		}
	}()
	return <-started
}

func (m *Module) listRuns(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	limit := 50
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 500 {
			return errs.Invalid("limit", "limit must be a whole number from 1 to 500")
		}
	}
	runs, err := m.svc.Runs(c.Request().Context(), tid, connector.Kind(c.Param("kind")), limit)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []RunLog{}
	}
	return c.JSON(http.StatusOK, map[string]any{"runs": runs})
}

// actor names the authenticated user for the audit log, once authentication sets
// one; until then the API is reachable only through an authorizer that does.
func actor(c echo.Context) string {
	if u, ok := c.Get("actor").(string); ok && u != "" {
		return u
	}
	return "api"
}
