package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// CheckResult is what a connection check found.
type CheckResult struct {
	OK      bool
	Message string
	// Stream and Records describe the first page the source answered.
	Stream  string
	Records int
}

// checkTimeout bounds a connection check.
const checkTimeout = 30 * time.Second

// errCheckDone stops a check's pull at its first page.
var errCheckDone = errors.New("sync: connection check read its first page")

// checkRun is a run that keeps nothing: it stops the pull at the first page.
type checkRun struct {
	cursors map[string]string
	log     *slog.Logger
	stream  string
	records int
}

func (r *checkRun) Cursor(stream string) string { return r.cursors[stream] }

func (r *checkRun) Commit(_ context.Context, stream, _ string, page connector.Page) error {
	r.stream, r.records = stream, page.Len()
	return errCheckDone
}

func (r *checkRun) Log() *slog.Logger { return r.log }

// Check tests a connector against its source with the production client: it pulls
// from the stored cursors until the source answers a first page, and writes nothing
// to the mirror, the cursors or the run log. The check is audited.
func (s *Service) Check(ctx context.Context, tenantID int64, kind connector.Kind, actor string) (CheckResult, error) {
	ctx = db.WithTenant(ctx, tenantID)
	c, err := s.store.connector(ctx, tenantID, kind)
	if err != nil {
		return CheckResult{}, err
	}
	var rows []struct{ Stream, Cursor string }
	if err := s.db.WithContext(ctx).Raw(`SELECT stream, cursor FROM sync_cursors WHERE connector_id = ?`, c.ID).Scan(&rows).Error; err != nil {
		return CheckResult{}, fmt.Errorf("sync: check cursors: %w", err)
	}
	run := &checkRun{cursors: map[string]string{}, log: s.log.With("tenant_id", tenantID, "connector", string(kind), "check", true)}
	for _, r := range rows {
		run.cursors[r.Stream] = r.Cursor
	}
	res := CheckResult{}
	puller, err := s.build(ctx, c)
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		err = puller.Pull(cctx, run)
		cancel()
	}
	switch {
	case err == nil || errors.Is(err, errCheckDone):
		res.OK, res.Stream, res.Records = true, run.stream, run.records
		res.Message = "The source answered."
		if run.stream != "" {
			res.Message = fmt.Sprintf("The source answered: %d records in the first page of %s.", run.records, run.stream)
		}
	case errors.Is(err, connector.ErrReauth):
		res.Message = "The source refused the credentials: connect again with new ones. (" + err.Error() + ")"
	case errors.Is(err, context.DeadlineExceeded):
		res.Message = fmt.Sprintf("The source did not answer within %s.", checkTimeout)
	default:
		res.Message = "The check failed: " + err.Error()
	}
	details := map[string]any{"ok": res.OK}
	if err := audit.Record(ctx, s.db, audit.Entry{TenantID: &tenantID, Actor: actor, Action: "connector.checked", Target: string(kind), Details: details}); err != nil {
		return res, err
	}
	return res, nil
}
