package syncer

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/mirror"
)

// Run triggers.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
)

// RunResult is what one run did.
type RunResult struct {
	RunID  int64          `json:"run_id"`
	Status string         `json:"status"`
	Counts map[string]int `json:"counts"`
	Error  string         `json:"error,omitempty"`
	// Writeback is the write-back run that followed the pull, when the source is a
	// CRM that takes touchpoints.
	Writeback *RunResult `json:"writeback,omitempty"`
}

// RunNow pulls the tenant's connector now (and writes touchpoints back, for a CRM).
// It returns ErrBusy when the connector is already running.
func (s *Service) RunNow(ctx context.Context, tenantID int64, kind connector.Kind) (RunResult, error) {
	ctx = db.WithTenant(ctx, tenantID)
	c, err := s.store.connector(ctx, tenantID, kind)
	if err != nil {
		return RunResult{}, err
	}
	return s.run(ctx, c, TriggerManual)
}

// run is runNotify without the notification.
func (s *Service) run(ctx context.Context, c Connector, trigger string) (RunResult, error) {
	return s.runNotify(ctx, c, trigger, nil)
}

// run holds the connector's advisory lock for the pull and the write-back that
// follows it, so no two runs of one connector overlap on any instance.
// started, when not nil, receives nil once the lock is held, or the error that
// kept the run from starting.
func (s *Service) runNotify(ctx context.Context, c Connector, trigger string, started chan<- error) (RunResult, error) {
	notify := func(err error) error {
		if started != nil {
			started <- err
			started = nil
		}
		return err
	}
	ctx = db.WithTenant(ctx, c.TenantID)
	conn, err := db.SQL(s.db).Conn(ctx)
	if err != nil {
		return RunResult{}, notify(fmt.Errorf("sync: connection: %w", err))
	}
	defer conn.Close()
	key := lockKey(c.ID)
	var locked bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&locked); err != nil {
		return RunResult{}, notify(fmt.Errorf("sync: lock: %w", err))
	}
	if !locked {
		return RunResult{}, notify(ErrBusy)
	}
	notify(nil)
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)

	puller, buildErr := s.build(ctx, c)
	res, err := s.pull(ctx, c, trigger, puller, buildErr)
	if err != nil || res.Status != StatusOK || s.points == nil {
		return res, err
	}
	if w, ok := puller.(connector.Writer); ok && writebackEnabled(c.Settings) {
		wb, err := s.writeBack(ctx, c, w, trigger)
		if err != nil {
			return res, err
		}
		res.Writeback = &wb
	}
	return res, nil
}

// pull runs the connector's puller and logs the run. A failing source is a logged
// run with an error, not an error of this call; only a failure to log is.
func (s *Service) pull(ctx context.Context, c Connector, trigger string, p connector.Puller, buildErr error) (RunResult, error) {
	log := s.log.With("tenant_id", c.TenantID, "connector", string(c.Kind), "trigger", trigger)
	r, err := mirror.Open(ctx, s.db, c.TenantID, c.ID, c.Kind, log)
	if err != nil {
		return RunResult{}, err
	}
	runID, err := s.store.startRun(ctx, c, "pull", trigger, r.CursorsBefore())
	if err != nil {
		return RunResult{}, err
	}
	start := time.Now()
	pullErr := buildErr
	if pullErr == nil {
		pullErr = p.Pull(ctx, r)
	}
	res := RunResult{RunID: runID, Status: StatusOK, Counts: countsJSON(r.Counts())}
	status := StatusOK
	if pullErr != nil {
		res.Error = pullErr.Error()
		res.Status, status = StatusError, StatusError
		if errors.Is(pullErr, connector.ErrReauth) {
			res.Status, status = StatusNeedsReauth, StatusNeedsReauth
		}
		log.Warn("sync run failed", "err", pullErr, "status", status)
	} else {
		log.Info("sync run finished", "counts", res.Counts, "duration", time.Since(start).Round(time.Millisecond))
	}
	s.metrics.observe(c.Kind, "pull", res.Status, time.Since(start), r.Counts())
	bg := context.WithoutCancel(ctx)
	if err := s.store.finishRun(bg, runID, res.Status, res.Counts, r.Cursors(), res.Error); err != nil {
		return res, err
	}
	if err := s.store.setStatus(bg, c.ID, status, res.Error); err != nil {
		return res, err
	}
	return res, nil
}

func countsJSON(c mirror.Counts) map[string]int {
	out := make(map[string]int, len(c))
	for k, v := range c {
		out[string(k)] = v
	}
	return out
}

func lockKey(connectorID int64) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "srg.sync:%d", connectorID)
	return int64(h.Sum64())
}
