package jobs_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/jobs"
)

func TestTwoInstancesRunEachTickOnce(t *testing.T) {
	gdb := apptest.DB(t, apptest.Config(t))
	var calls atomic.Int64
	job := jobs.Job{
		Name:     "test.count",
		Schedule: "* * * * * *", // every second
		Run: func(ctx context.Context) error {
			// Returns at once, so the other instance's advisory lock is free when it
			// fires: only the claim on the tick keeps it from running the tick again.
			calls.Add(1)
			return nil
		},
	}
	var instances []*jobs.Scheduler
	for i := 0; i < 2; i++ {
		s := jobs.New(db.SQL(gdb), apptest.Logger(t), nil, nil)
		if err := s.Register(job); err != nil {
			t.Fatal(err)
		}
		instances = append(instances, s)
	}
	for _, s := range instances {
		s.Start()
	}
	time.Sleep(4500 * time.Millisecond)
	for _, s := range instances {
		s.Stop(context.Background())
	}

	var ticks, distinct int64
	if err := gdb.Raw(`SELECT count(*), count(DISTINCT tick_at) FROM job_runs WHERE job_name = 'test.count' AND status = 'succeeded'`).Row().Scan(&ticks, &distinct); err != nil {
		t.Fatal(err)
	}
	if ticks < 3 {
		t.Fatalf("only %d ticks ran in 4.5 s of a per-second schedule", ticks)
	}
	if calls.Load() != ticks || distinct != ticks {
		t.Fatalf("job ran %d times for %d recorded runs over %d distinct ticks: a tick ran twice", calls.Load(), ticks, distinct)
	}
}

func TestRunNowSkipsWhileRunningAndRecordsFailures(t *testing.T) {
	gdb := apptest.DB(t, apptest.Config(t))
	s := jobs.New(db.SQL(gdb), apptest.Logger(t), nil, nil)
	release := make(chan struct{})
	started := make(chan struct{})
	if err := s.Register(jobs.Job{Name: "test.slow", Schedule: "@daily", Run: func(ctx context.Context) error {
		close(started)
		<-release
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Register(jobs.Job{Name: "test.panics", Schedule: "@daily", Run: func(ctx context.Context) error {
		panic("boom")
	}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Register(jobs.Job{Name: "test.slow", Schedule: "@daily", Run: func(context.Context) error { return nil }}); err == nil {
		t.Error("a second job with the same name was accepted")
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.RunNow(context.Background(), "test.slow") }()
	<-started
	if err := s.RunNow(context.Background(), "test.slow"); !errors.Is(err, jobs.ErrBusy) {
		t.Errorf("overlapping run: got %v, want ErrBusy", err)
	}
	close(release)
	wg.Wait()

	if err := s.RunNow(context.Background(), "test.panics"); err == nil {
		t.Error("a panicking job reported success")
	}
	if err := s.RunNow(context.Background(), "nope"); !errors.Is(err, jobs.ErrUnknownJob) {
		t.Errorf("unknown job: %v", err)
	}
	var status, msg string
	gdb.Raw(`SELECT status, error FROM job_runs WHERE job_name = 'test.panics'`).Row().Scan(&status, &msg)
	if status != "failed" || msg == "" {
		t.Errorf("panicking run recorded as %q %q", status, msg)
	}
}

func TestScheduleOverrides(t *testing.T) {
	gdb := apptest.DB(t, apptest.Config(t))
	s := jobs.New(db.SQL(gdb), apptest.Logger(t), map[string]string{"a": "@every 2m", "typo": "@hourly"}, nil)
	for _, name := range []string{"a", "b"} {
		if err := s.Register(jobs.Job{Name: name, Schedule: "@every 15m", Run: func(context.Context) error { return nil }}); err != nil {
			t.Fatal(err)
		}
	}
	got := s.Jobs()
	if got[0].Schedule != "@every 2m" || got[1].Schedule != "@every 15m" {
		t.Errorf("schedules %+v", got)
	}
	if u := s.UnknownOverrides(); len(u) != 1 || u[0] != "typo" {
		t.Errorf("unknown overrides %v", u)
	}
	bad := jobs.New(db.SQL(gdb), apptest.Logger(t), map[string]string{"c": "every now and then"}, nil)
	if err := bad.Register(jobs.Job{Name: "c", Schedule: "@hourly", Run: func(context.Context) error { return nil }}); err == nil {
		t.Error("a bad override schedule was accepted")
	}
}
