package syncer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/jobs"
)

// Dispatch runs every connector whose schedule is due. Each due connector is
// claimed by moving its next run time forward with a compare-and-set, so with
// several srg instances exactly one of them runs it for that tick; the
// connector's advisory lock keeps a manual run from overlapping it.
func (s *Service) Dispatch(ctx context.Context) error {
	now := s.now().UTC()
	unscoped := ctx
	ctx = db.WithSystem(ctx) // due connectors are found and claimed across tenants
	due, err := s.store.due(ctx, now)
	if err != nil {
		return err
	}
	var failed []error
	for _, c := range due {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		sched, err := jobs.ParseSchedule(c.Schedule)
		if err != nil {
			failed = append(failed, fmt.Errorf("connector %d: schedule %q: %w", c.ID, c.Schedule, err))
			continue
		}
		won, err := s.store.claim(ctx, c.ID, c.NextRunAt, sched.Next(now))
		if err != nil {
			failed = append(failed, err)
			continue
		}
		if !won {
			continue
		}
		if _, err := s.run(unscoped, c, TriggerSchedule); err != nil && !errors.Is(err, ErrBusy) {
			failed = append(failed, fmt.Errorf("connector %d: %w", c.ID, err))
		}
	}
	return errors.Join(failed...)
}

// dispatchJob checks for due connectors every minute; each connector's own
// schedule decides when it runs.
func (s *Service) dispatchJob() jobs.Job {
	return jobs.Job{Name: "sync.dispatch", Schedule: "@every 1m", Timeout: 2 * time.Hour, Run: s.Dispatch}
}
