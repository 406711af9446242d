package tenants

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/errs"
)

// defaultAuditPage is how many audit entries a page has unless ?limit= says.
const defaultAuditPage = 50

// listAudit pages through the tenant's audit log, newest first: ?limit=1..200 and
// ?before=ID (the next_before of the previous page).
func (m *Module) listAudit(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	limit := defaultAuditPage
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > audit.MaxPage {
			return errs.Invalid("limit", "limit must be a whole number from 1 to %d, got %q", audit.MaxPage, v)
		}
	}
	before, err := beforeParam(c)
	if err != nil {
		return err
	}
	entries, more, err := m.svc.AuditLog(c.Request().Context(), tid, before, limit)
	if err != nil {
		return err
	}
	out := map[string]any{"entries": entries}
	if entries == nil {
		out["entries"] = []audit.Logged{}
	}
	if more {
		out["next_before"] = entries[len(entries)-1].ID
	}
	return c.JSON(http.StatusOK, out)
}

// beforeParam reads ?before=ID, where a page of the audit log starts (0: newest).
func beforeParam(c echo.Context) (int64, error) {
	v := c.QueryParam("before")
	if v == "" {
		return 0, nil
	}
	before, err := strconv.ParseInt(v, 10, 64)
	if err != nil || before < 1 {
		return 0, errs.Invalid("before", "before must be an entry id (a positive whole number), got %q", v)
	}
	return before, nil
}
