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
	var before int64
	if v := c.QueryParam("before"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			return errs.Invalid("before", "before must be an entry id (a positive whole number), got %q", v)
		}
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
