package syncer

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/sync/connector"
)

func (m *Module) pageRoutes() []web.Route {
	read, write := web.Perm("settings.connectors", "read"), web.Perm("settings.connectors", "write")
	return []web.Route{
		{Method: http.MethodGet, Path: "/t/:tenant/settings/connectors", Perm: read, Handler: m.connectorsPage},
		{Method: http.MethodPost, Path: "/t/:tenant/settings/connectors", Perm: write, Handler: m.connectPage},
		{Method: http.MethodGet, Path: "/t/:tenant/settings/connectors/:kind", Perm: read, Handler: m.runsPage},
		{Method: http.MethodPost, Path: "/t/:tenant/settings/connectors/:kind/check", Perm: write, Handler: m.checkPage},
		{Method: http.MethodPost, Path: "/t/:tenant/settings/connectors/:kind/sync", Perm: write, Handler: m.syncNowPage},
		{Method: http.MethodPost, Path: "/t/:tenant/settings/connectors/:kind/disconnect", Perm: write, Handler: m.disconnectPage},
	}
}

// ConnectorsPage is the view model of the connectors page.
type ConnectorsPage struct {
	web.Page
	Connectors []Connector
	// Kinds are the sources this build can connect.
	Kinds []connector.Kind
	// Form is what the connect form shows: empty, or what was submitted with
	// Error saying what is wrong with it.
	Form   ConnectForm
	Error  string
	Notice string
	Check  *CheckResult
}

// ConnectForm is the connect form's fields.
type ConnectForm struct {
	Kind        string
	Credentials string
	Settings    string
	Schedule    string
}

// RunsPage is the view model of a connector's run log.
type RunsPage struct {
	web.Page
	Connector Connector
	Runs      []RunLog
}

func (m *Module) connectorsView(c echo.Context, tid int64) (ConnectorsPage, error) {
	page, err := m.layout.Page(c, "Connectors", "settings.connectors")
	if err != nil {
		return ConnectorsPage{}, err
	}
	list, err := m.svc.Connectors(c.Request().Context(), tid)
	if err != nil {
		return ConnectorsPage{}, err
	}
	v := ConnectorsPage{Page: page, Connectors: list, Kinds: m.svc.Kinds(), Form: ConnectForm{Credentials: "{}", Settings: "{}"}}
	switch c.QueryParam("done") {
	case "connected":
		v.Notice = "Connected. The first sync starts within a minute; its run shows in the connector's run log."
	case "sync":
		v.Notice = "Sync started: see the run log."
	case "disconnected":
		v.Notice = "Disconnected. The data already synced stays."
	}
	return v, nil
}

func (m *Module) connectorsPage(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	v, err := m.connectorsView(c, tid)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "sync/connectors", v)
}

// connectPage connects a source from the form; bad input shows the form again,
// as submitted (credentials included, since they were just typed), with the error.
func (m *Module) connectPage(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	f := ConnectForm{Kind: c.FormValue("kind"), Credentials: strings.TrimSpace(c.FormValue("credentials")),
		Settings: strings.TrimSpace(c.FormValue("settings")), Schedule: strings.TrimSpace(c.FormValue("schedule"))}
	in := ConnectInput{Kind: connector.Kind(f.Kind), Schedule: f.Schedule, Actor: web.Actor(c)}
	err = jsonField("credentials", f.Credentials, &in.Credentials)
	if err == nil {
		err = jsonField("settings", f.Settings, &in.Settings)
	}
	if err == nil {
		_, err = m.svc.Connect(c.Request().Context(), tid, in)
	}
	if err != nil {
		if errs.KindOf(err) != errs.KindInvalid {
			return err
		}
		v, verr := m.connectorsView(c, tid)
		if verr != nil {
			return verr
		}
		v.Form, v.Error = f, errs.MessageOf(err)
		return c.Render(http.StatusBadRequest, "sync/connectors", v)
	}
	return m.back(c, "connected")
}

// jsonField checks that a form field holds a JSON object ("" is an empty one).
func jsonField(name, text string, dst *json.RawMessage) error {
	if text == "" {
		text = "{}"
	}
	if !json.Valid([]byte(text)) || !strings.HasPrefix(text, "{") {
		return errs.Invalid(name, "%s must be a JSON object, such as {\"token\": \"...\"}", name)
	}
	*dst = json.RawMessage(text)
	return nil
}

func (m *Module) back(c echo.Context, done string) error {
	return c.Redirect(http.StatusSeeOther, "/t/"+url.PathEscape(c.Param("tenant"))+"/settings/connectors?done="+done)
}

// connectorOf is the tenant and connector of the URL; a connector the tenant has not
// connected is not found.
func (m *Module) connectorOf(c echo.Context) (int64, Connector, error) {
	tid, err := m.tenantID(c)
	if err != nil {
		return 0, Connector{}, err
	}
	conn, err := m.svc.Connector(c.Request().Context(), tid, connector.Kind(c.Param("kind")))
	return tid, conn, err
}

func (m *Module) checkPage(c echo.Context) error {
	tid, conn, err := m.connectorOf(c)
	if err != nil {
		return err
	}
	res, err := m.svc.Check(c.Request().Context(), tid, conn.Kind, web.Actor(c))
	if err != nil {
		return err
	}
	v, err := m.connectorsView(c, tid)
	if err != nil {
		return err
	}
	res.Message = string(conn.Kind) + ": " + res.Message
	v.Check = &res
	return c.Render(http.StatusOK, "sync/connectors", v)
}

func (m *Module) syncNowPage(c echo.Context) error {
	_, conn, err := m.connectorOf(c)
	if err != nil {
		return err
	}
	if err := m.startRun(conn); err != nil {
		if errors.Is(err, ErrBusy) {
			return errs.Conflict("%s is syncing already: see its run log", conn.Kind)
		}
		return err
	}
	return m.back(c, "sync")
}

func (m *Module) disconnectPage(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	if err := m.svc.Disconnect(c.Request().Context(), tid, connector.Kind(c.Param("kind")), web.Actor(c)); err != nil {
		return err
	}
	return m.back(c, "disconnected")
}

func (m *Module) runsPage(c echo.Context) error {
	tid, conn, err := m.connectorOf(c)
	if err != nil {
		return err
	}
	runs, err := m.svc.Runs(c.Request().Context(), tid, conn.Kind, 100)
	if err != nil {
		return err
	}
	page, err := m.layout.Page(c, "Run log · "+string(conn.Kind), "settings.connectors")
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "sync/runs", RunsPage{Page: page, Connector: conn, Runs: runs})
}

// CountList is a run's counts in a stable order, for the run log.
func (r RunLog) CountList() []string {
	var out []string
	for k, v := range r.Counts {
		out = append(out, k+" "+strconv.Itoa(v))
	}
	slices.Sort(out)
	return out
}
