package warehouse

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

func (m *Module) pageRoutes() []web.Route {
	read, write := web.Perm("settings.warehouse", "read"), web.Perm("settings.warehouse", "write")
	const base = "/t/:tenant/settings/warehouse"
	return []web.Route{
		{Method: http.MethodGet, Path: base, Perm: read, Handler: m.destinationsPage},
		{Method: http.MethodPost, Path: base, Perm: write, Handler: m.addPage},
		{Method: http.MethodGet, Path: base + "/:id", Perm: read, Handler: m.destinationPage},
		{Method: http.MethodPost, Path: base + "/:id", Perm: write, Handler: m.editPage},
		{Method: http.MethodPost, Path: base + "/:id/check", Perm: write, Handler: m.checkPage},
		{Method: http.MethodPost, Path: base + "/:id/export", Perm: write, Handler: m.exportPage},
		{Method: http.MethodPost, Path: base + "/:id/delete", Perm: write, Handler: m.deletePage},
	}
}

// DestinationForm is the add and edit form's fields.
type DestinationForm struct {
	Name        string
	Kind        string
	Credentials string
	Settings    string
	Schedule    string
	PII         string
	Datasets    []string
	Enabled     bool
}

// Has reports whether the form selects a dataset.
func (f DestinationForm) Has(dataset string) bool { return slices.Contains(f.Datasets, dataset) }

// DestinationsPage is the view model of the warehouse settings page.
type DestinationsPage struct {
	web.Page
	Destinations []Destination
	Kinds        []string
	Datasets     []DatasetInfo
	Form         DestinationForm
	Error        string
	Notice       string
}

// DestinationPage is the view model of one destination: its settings, watermarks,
// actions and run log.
type DestinationPage struct {
	web.Page
	Destination Destination
	Form        DestinationForm
	// Kinds is empty: a destination's name and kind cannot change.
	Kinds    []string
	Datasets []DatasetInfo
	Marks    []DatasetMark
	Runs     []Run
	Error    string
	Notice   string
	Check    *CheckResult
}

// DatasetMark is a dataset's watermark as the page shows it.
type DatasetMark struct {
	Dataset string
	Mark    *Mark
}

// RowList is a run's rows per dataset in dataset order, for the run log.
func (r Run) RowList() []string {
	var out []string
	for _, name := range DatasetNames() {
		if n, ok := r.Rows[name]; ok {
			out = append(out, name+" "+strconv.FormatInt(n, 10))
		}
	}
	return out
}

func (m *Module) listView(c echo.Context, tid int64) (DestinationsPage, error) {
	page, err := m.layout.Page(c, "Warehouse export", "settings.warehouse")
	if err != nil {
		return DestinationsPage{}, err
	}
	list, err := m.svc.Destinations(c.Request().Context(), tid)
	if err != nil {
		return DestinationsPage{}, err
	}
	v := DestinationsPage{Page: page, Destinations: list, Kinds: Kinds, Datasets: datasetInfos(),
		Form: DestinationForm{Kind: KindPostgres, Credentials: "{}", Settings: "{}", PII: PIIHash, Datasets: DatasetNames(), Enabled: true}}
	if c.QueryParam("done") == "deleted" {
		v.Notice = "Destination deleted. What it exported stays where it went."
	}
	return v, nil
}

func (m *Module) destinationsPage(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	v, err := m.listView(c, tid)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "warehouse/destinations", v)
}

// formInput reads the add or edit form. Credentials left empty on the edit form
// keep the stored ones.
func formInput(c echo.Context) (DestinationForm, SaveInput, error) {
	if err := c.Request().ParseForm(); err != nil {
		return DestinationForm{}, SaveInput{}, errs.Invalid("", "the form could not be read")
	}
	f := DestinationForm{Name: strings.TrimSpace(c.FormValue("name")), Kind: c.FormValue("kind"),
		Credentials: strings.TrimSpace(c.FormValue("credentials")), Settings: strings.TrimSpace(c.FormValue("settings")),
		Schedule: strings.TrimSpace(c.FormValue("schedule")), PII: c.FormValue("pii"),
		Datasets: c.Request().PostForm["datasets"], Enabled: c.FormValue("enabled") == "on"}
	enabled := f.Enabled
	in := SaveInput{Name: f.Name, Kind: f.Kind, Schedule: f.Schedule, PII: f.PII, Datasets: f.Datasets, Enabled: &enabled, Actor: web.Actor(c)}
	if len(f.Datasets) == 0 {
		return f, in, errs.Invalid("datasets", "choose at least one dataset")
	}
	for _, field := range []struct {
		name, text string
		dst        *json.RawMessage
	}{{"credentials", f.Credentials, &in.Credentials}, {"settings", f.Settings, &in.Settings}} {
		if field.text == "" {
			continue
		}
		if !json.Valid([]byte(field.text)) || !strings.HasPrefix(field.text, "{") {
			return f, in, errs.Invalid(field.name, "%s must be a JSON object, such as {\"url\": \"postgres://...\"}", field.name)
		}
		*field.dst = json.RawMessage(field.text)
	}
	return f, in, nil
}

// addPage adds a destination; bad input shows the form again, as submitted
// (credentials included: they were just typed), with the error.
func (m *Module) addPage(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	f, in, err := formInput(c)
	var d Destination
	if err == nil {
		d, err = m.svc.Save(c.Request().Context(), tid, c.Param("tenant"), 0, in)
	}
	if err != nil {
		if k := errs.KindOf(err); k != errs.KindInvalid && k != errs.KindConflict {
			return err
		}
		v, verr := m.listView(c, tid)
		if verr != nil {
			return verr
		}
		v.Form, v.Error = f, errs.MessageOf(err)
		return c.Render(http.StatusBadRequest, "warehouse/destinations", v)
	}
	return m.toDestination(c, d.ID, "added")
}

func (m *Module) toDestination(c echo.Context, id int64, done string) error {
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/t/%s/settings/warehouse/%d?done=%s", url.PathEscape(c.Param("tenant")), id, done))
}

func (m *Module) destinationView(c echo.Context) (DestinationPage, error) {
	tid, id, err := m.destinationID(c)
	if err != nil {
		return DestinationPage{}, err
	}
	ctx := c.Request().Context()
	d, err := m.svc.Destination(ctx, tid, id)
	if err != nil {
		return DestinationPage{}, err
	}
	marks, err := m.svc.Marks(ctx, tid, id)
	if err != nil {
		return DestinationPage{}, err
	}
	runs, err := m.svc.Runs(ctx, tid, id, 50)
	if err != nil {
		return DestinationPage{}, err
	}
	page, err := m.layout.Page(c, "Warehouse · "+d.Name, "settings.warehouse")
	if err != nil {
		return DestinationPage{}, err
	}
	v := DestinationPage{Page: page, Destination: d, Datasets: datasetInfos(), Runs: runs,
		Form: DestinationForm{Name: d.Name, Kind: d.Kind, Settings: string(d.Settings), Schedule: d.Schedule, PII: d.PII, Datasets: d.Datasets, Enabled: d.Enabled}}
	for _, name := range d.Datasets {
		dm := DatasetMark{Dataset: name}
		if mk, ok := marks[name]; ok {
			dm.Mark = &mk
		}
		v.Marks = append(v.Marks, dm)
	}
	switch c.QueryParam("done") {
	case "added":
		v.Notice = "Destination added. Test the connection, then export now or wait for the schedule."
	case "saved":
		v.Notice = "Saved."
	case "export":
		v.Notice = "Export started: see the run log."
	case "backfill":
		v.Notice = "Backfill started: see the run log."
	}
	return v, nil
}

func (m *Module) destinationPage(c echo.Context) error {
	v, err := m.destinationView(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "warehouse/destination", v)
}

func (m *Module) editPage(c echo.Context) error {
	tid, id, err := m.destinationID(c)
	if err != nil {
		return err
	}
	f, in, err := formInput(c)
	if err == nil {
		_, err = m.svc.Save(c.Request().Context(), tid, c.Param("tenant"), id, in)
	}
	if err != nil {
		if errs.KindOf(err) != errs.KindInvalid {
			return err
		}
		v, verr := m.destinationView(c)
		if verr != nil {
			return verr
		}
		f.Name, f.Kind = v.Destination.Name, v.Destination.Kind
		v.Form, v.Error = f, errs.MessageOf(err)
		return c.Render(http.StatusBadRequest, "warehouse/destination", v)
	}
	return m.toDestination(c, id, "saved")
}

func (m *Module) checkPage(c echo.Context) error {
	tid, id, err := m.destinationID(c)
	if err != nil {
		return err
	}
	res, err := m.svc.Check(c.Request().Context(), tid, id)
	if err != nil {
		return err
	}
	v, err := m.destinationView(c)
	if err != nil {
		return err
	}
	v.Check = &res
	return c.Render(http.StatusOK, "warehouse/destination", v)
}

// exportPage starts an export now, or a backfill when the form names a date.
func (m *Module) exportPage(c echo.Context) error {
	tid, id, err := m.destinationID(c)
	if err != nil {
		return err
	}
	from, err := parseFrom(strings.TrimSpace(c.FormValue("from")))
	if err != nil {
		v, verr := m.destinationView(c)
		if verr != nil {
			return verr
		}
		v.Error = errs.MessageOf(err)
		return c.Render(http.StatusBadRequest, "warehouse/destination", v)
	}
	d, err := m.svc.Destination(c.Request().Context(), tid, id)
	if err != nil {
		return err
	}
	if err := m.startRun(d, from, web.Actor(c)); err != nil {
		return err
	}
	if from != nil {
		return m.toDestination(c, id, "backfill")
	}
	return m.toDestination(c, id, "export")
}

func (m *Module) deletePage(c echo.Context) error {
	tid, id, err := m.destinationID(c)
	if err != nil {
		return err
	}
	if err := m.svc.Delete(c.Request().Context(), tid, id, web.Actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/t/"+url.PathEscape(c.Param("tenant"))+"/settings/warehouse?done=deleted")
}
