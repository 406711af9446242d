package app

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/jobs"
)

// pruneJobRuns keeps 30 days of job run records.
func pruneJobRuns(gdb *gorm.DB) jobs.Job {
	return jobs.Job{
		Name:     "jobs.prune-runs",
		Schedule: "17 3 * * *",
		Timeout:  10 * time.Minute,
		Run: func(ctx context.Context) error {
			err := gdb.WithContext(ctx).Exec(`DELETE FROM job_runs WHERE started_at < now() - interval '30 days' AND status <> 'running'`).Error
			if err != nil {
				return fmt.Errorf("prune job runs: %w", err)
			}
			return nil
		},
	}
}
