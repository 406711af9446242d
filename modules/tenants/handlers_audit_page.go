package tenants

import (
	"cmp"
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/web"
)

// auditPageSize is how many entries the audit log page shows at once.
const auditPageSize = 50

// actionPrefixPattern is what the action filter accepts: the start of an action name
// such as "member." or "token.created".
var actionPrefixPattern = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,63}$`)

// AuditRow is one entry of the audit log page.
type AuditRow struct {
	audit.Logged
	// Who is the actor as people read it: a user's email, else the stored actor.
	Who string
}

// AuditPage is the view model of the audit log page.
type AuditPage struct {
	web.Page
	Entries []AuditRow
	// Action is the action prefix filtered by; NextBefore the entry id the next (older)
	// page starts before, 0 when this is the last page; Paged says this is not the first.
	Action     string
	NextBefore int64
	Paged      bool
	Error      string
	Field      string
}

// auditPage shows the tenant's audit log, newest first, 50 at a time: ?before=ID
// pages, ?action=PREFIX filters.
func (p *Pages) auditPage(c echo.Context) error {
	tid, err := p.m.tenantID(c)
	if err != nil {
		return err
	}
	page, err := p.layout.Page(c, "Audit log", "settings.audit")
	if err != nil {
		return err
	}
	v := AuditPage{Page: page, Action: c.QueryParam("action")}
	before, err := auditQuery(c)
	if err != nil {
		v.Error, v.Field = errs.MessageOf(err), errs.FieldOf(err)
		return c.Render(http.StatusBadRequest, "tenants/audit", v)
	}
	ctx := c.Request().Context()
	entries, more, err := p.m.svc.AuditActions(ctx, tid, v.Action, before, auditPageSize)
	if err != nil {
		return err
	}
	names, err := p.m.svc.ActorNames(ctx, entries)
	if err != nil {
		return err
	}
	for _, e := range entries {
		v.Entries = append(v.Entries, AuditRow{Logged: e, Who: cmp.Or(names[e.Actor], e.Actor)})
	}
	if more {
		v.NextBefore = entries[len(entries)-1].ID
	}
	v.Paged = before > 0
	return c.Render(http.StatusOK, "tenants/audit", v)
}

func auditQuery(c echo.Context) (int64, error) {
	if a := c.QueryParam("action"); a != "" && !actionPrefixPattern.MatchString(a) {
		return 0, errs.Invalid("action", "an action filter is the start of an action name such as member. or token.created, got %q", a)
	}
	return beforeParam(c)
}
