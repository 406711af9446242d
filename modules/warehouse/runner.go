package warehouse

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/jobs"
)

// ErrBusy means the destination is exporting already.
var ErrBusy = errs.Conflict("this destination is exporting already: see its run log")

// RunResult is what one run did.
type RunResult struct {
	RunID  int64            `json:"run_id"`
	Status string           `json:"status"`
	Rows   map[string]int64 `json:"rows"`
	Bytes  int64            `json:"bytes"`
	Error  string           `json:"error,omitempty"`
}

// RunNow exports a destination now. With from set, it is a backfill: every
// dataset is exported again from that time (for touchpoints, those written or
// updated since), or from its watermark if that is earlier.
func (s *Service) RunNow(ctx context.Context, tenantID, id int64, from *time.Time, actor string) (RunResult, error) {
	ctx = db.WithTenant(ctx, tenantID)
	d, err := s.store.destination(ctx, tenantID, id)
	if err != nil {
		return RunResult{}, err
	}
	trigger := TriggerManual
	if from != nil {
		trigger = TriggerBackfill
	}
	return s.run(ctx, d, trigger, from, actor, nil)
}

func lockKey(destinationID int64) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "srg.warehouse:%d", destinationID)
	return int64(h.Sum64())
}

// run holds the destination's advisory lock for the whole run, so no two runs of
// one destination overlap on any instance. started, when not nil, receives nil once
// the lock is held, or the error that kept the run from starting. A failing
// destination is a logged run with an error (in the result), not an error of this
// call; only a failure to log is.
func (s *Service) run(ctx context.Context, d Destination, trigger string, from *time.Time, actor string, started chan<- error) (RunResult, error) {
	notify := func(err error) error {
		if started != nil {
			started <- err
			started = nil
		}
		return err
	}
	ctx = db.WithTenant(ctx, d.TenantID)
	conn, err := db.SQL(s.db).Conn(ctx)
	if err != nil {
		return RunResult{}, notify(fmt.Errorf("warehouse: connection: %w", err))
	}
	defer conn.Close()
	key := lockKey(d.ID)
	var locked bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&locked); err != nil {
		return RunResult{}, notify(fmt.Errorf("warehouse: lock: %w", err))
	}
	if !locked {
		return RunResult{}, notify(ErrBusy)
	}
	notify(nil)
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)

	before, err := s.store.marks(ctx, d.ID)
	if err != nil {
		return RunResult{}, err
	}
	runID, err := s.store.startRun(ctx, d, trigger, from, before)
	if err != nil {
		return RunResult{}, err
	}
	log := s.log.With("tenant_id", d.TenantID, "destination", d.Name, "run_id", runID, "trigger", trigger)
	start := time.Now()
	res, after, runErr := s.export(ctx, d, runID, before, from)
	if errors.Is(runErr, errCrash) {
		return res, runErr
	}
	res.RunID, res.Status = runID, RunOK
	if runErr != nil {
		res.Status, res.Error = RunError, runErr.Error()
		log.Warn("export failed", "err", runErr)
	} else {
		log.Info("export finished", "rows", res.Rows, "bytes", res.Bytes, "duration", time.Since(start).Round(time.Millisecond))
	}
	bg := context.WithoutCancel(ctx)
	err = s.db.WithContext(bg).Transaction(func(tx *gorm.DB) error {
		if runErr == nil {
			if err := saveMarks(bg, tx, d, after); err != nil {
				return err
			}
		}
		if err := finishRun(bg, tx, runID, res.Status, res.Rows, res.Bytes, after, res.Error); err != nil {
			return err
		}
		if err := setStatus(bg, tx, d.ID, map[bool]string{true: "ok", false: "error"}[runErr == nil], res.Error); err != nil {
			return err
		}
		details := map[string]any{"run_id": runID, "trigger": trigger, "status": res.Status, "rows": res.Rows}
		if from != nil {
			details["backfill_from"] = from.UTC().Format(time.RFC3339)
		}
		return audit.Record(bg, tx, audit.Entry{TenantID: &d.TenantID, Actor: actor, Action: "warehouse.exported", Target: d.Name, Details: details})
	})
	return res, err
}

// errCrash stops a run as a crash would (tests, through afterCommit).
var errCrash = errors.New("warehouse: run stopped after the destination committed")

// export delivers every dataset of the destination from its watermark to the
// horizon, commits at the destination, and returns the new watermarks. Before it,
// runs left unfinished by a crash are settled.
func (s *Service) export(ctx context.Context, d Destination, runID int64, before map[string]Mark, from *time.Time) (RunResult, map[string]Mark, error) {
	res := RunResult{Rows: map[string]int64{}}
	t, err := s.open(ctx, d)
	if err != nil {
		return res, nil, err
	}
	defer t.Close()
	if before, err = s.recover(ctx, d, t, runID, before); err != nil {
		return res, nil, err
	}
	after := maps.Clone(before)
	horizon, err := s.store.horizon(ctx)
	if err != nil {
		return res, nil, err
	}
	until := horizon.Add(-s.opts.Settle).Truncate(time.Millisecond)
	var salt []byte
	if d.PII == PIIHash {
		if salt, err = s.store.salt(ctx, d.TenantID); err != nil {
			return res, nil, err
		}
	}
	startedAt := s.now().UTC()
	load, err := t.Begin(ctx, RunInfo{ID: runID, Tenant: d.Tenant, StartedAt: startedAt})
	if err != nil {
		return res, nil, err
	}
	m := &Manifest{Version: ManifestVersion, RunID: runID, Tenant: d.Tenant, CreatedAt: startedAt}
	for _, name := range d.Datasets {
		ds := DatasetByName(name)
		if ds == nil {
			continue
		}
		sc := &scope{tenantID: d.TenantID, tenant: d.Tenant, from: before[name], until: until, pii: d.PII, salt: salt}
		if _, files := t.(*fileTarget); files {
			sc.values = newValuePool()
		}
		// A backfill starts at its date, or at the watermark when that is earlier:
		// starting later would skip what was never exported.
		if from != nil && from.Before(sc.from.At) {
			sc.from = Mark{At: from.UTC()}
		}
		written, last, opened, err := deliver(ctx, load, ds, s.sources.of(name), sc)
		if err == nil && opened {
			m.Datasets = append(m.Datasets, manifestDataset(ds, sc.from, last, written))
			res.Rows[name] += written.Rows
			res.Bytes += written.Bytes
			after[name] = last
		}
		if err != nil {
			load.Abort(ctx)
			return res, nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(m.Datasets) == 0 {
		load.Abort(ctx)
		return res, after, nil
	}
	if err := load.Commit(ctx, m); err != nil {
		load.Abort(ctx)
		return res, nil, err
	}
	if s.afterCommit != nil {
		if err := s.afterCommit(runID); err != nil {
			return res, nil, errCrash
		}
	}
	return res, after, nil
}

// deliver reads a dataset's changes and writes them to the load, the writing
// (encoding, sending) of one batch overlapping the reading (decoding) of the next;
// written value batches go back to the scope's pool.
// The writer opens with the first batch: a dataset without changes is not part of
// the run. It returns what was written and the mark of the last batch.
func deliver(ctx context.Context, load Load, ds *Dataset, read sourceFunc, sc *scope) (Written, Mark, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *Batch, 2)
	type outcome struct {
		written Written
		last    Mark
		opened  bool
		err     error
	}
	done := make(chan outcome, 1)
	go func() {
		o := outcome{last: sc.from}
		var w Writer
		for b := range batches {
			if o.err != nil {
				continue
			}
			if w == nil {
				if w, o.err = load.Open(ctx, ds); o.err != nil {
					cancel()
					continue
				}
				o.opened = true
			}
			if o.err = w.Write(ctx, b); o.err != nil {
				cancel()
				continue
			}
			o.last = b.Mark
			if b.Values != nil {
				sc.values.put(b.Values)
			}
		}
		if o.err == nil && w != nil {
			o.written, o.err = w.Close(ctx)
		}
		done <- o
	}()
	readErr := read(ctx, sc, func(b *Batch) error {
		select {
		case batches <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(batches)
	o := <-done
	if o.err != nil {
		return o.written, o.last, o.opened, o.err
	}
	return o.written, o.last, o.opened, readErr
}

// recover settles the destination's runs that a crash left marked running: one
// the destination committed gives its watermarks (so it is not exported twice);
// one it did not was interrupted, and this run exports its rows again.
func (s *Service) recover(ctx context.Context, d Destination, t Target, current int64, marks map[string]Mark) (map[string]Mark, error) {
	ids, err := s.store.unfinished(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if id == current {
			continue
		}
		m, err := t.Confirmed(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("cannot tell whether interrupted run %d reached the destination: %w", id, err)
		}
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if m == nil {
				return finishRun(ctx, tx, id, RunInterrupted, nil, 0, nil,
					"stopped before the destination confirmed it; the next run exported its rows")
			}
			rows, bytes := map[string]int64{}, int64(0)
			got := map[string]Mark{}
			for _, ds := range m.Datasets {
				got[ds.Name] = ds.To
				rows[ds.Name] = ds.Rows
				bytes += ds.Bytes
			}
			maps.Copy(marks, got)
			if err := saveMarks(ctx, tx, d, got); err != nil {
				return err
			}
			return finishRun(ctx, tx, id, RunRecovered, rows, bytes, got,
				"stopped after the destination committed it; its watermarks were taken from its manifest")
		})
		if err != nil {
			return nil, err
		}
	}
	return marks, nil
}

// dispatchJob runs the destinations that are due, across tenants.
func (s *Service) dispatchJob() jobs.Job {
	return jobs.Job{Name: "warehouse.dispatch", Schedule: "@every 1m", Timeout: 6 * time.Hour, Run: s.RunDue}
}

// RunDue runs every enabled destination whose schedule is due, one at a time.
func (s *Service) RunDue(ctx context.Context) error {
	now := s.now().UTC()
	unscoped := ctx
	ctx = db.WithSystem(ctx) // due destinations are found and claimed across tenants
	due, err := s.store.due(ctx, now)
	if err != nil {
		return err
	}
	var firstErr error
	for _, d := range due {
		sched, err := jobs.ParseSchedule(d.Schedule)
		if err != nil {
			s.log.Error("destination has a bad schedule", "destination_id", d.ID, "err", err)
			continue
		}
		won, err := s.store.claim(ctx, d.ID, d.NextRunAt, sched.Next(now))
		if err != nil {
			return err
		}
		if !won {
			continue
		}
		if _, err := s.run(unscoped, d, TriggerSchedule, nil, "schedule", nil); err != nil && !errors.Is(err, ErrBusy) && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}
