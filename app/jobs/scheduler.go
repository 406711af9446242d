// Package jobs runs SRG's cron jobs. Every run takes a Postgres advisory lock and claims
// its tick in the job_runs table, so with several srg instances against one database
// exactly one of them runs each tick, and a run never overlaps the previous one.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
)

// Job is one scheduled task.
type Job struct {
	// Name identifies the job in logs, metrics, config overrides and job_runs.
	Name string
	// Schedule is the default cron spec ("*/15 * * * *", seconds optional as a sixth
	// leading field, descriptors such as @hourly) or "@every 10m" aligned to the epoch.
	Schedule string
	// Timeout bounds one run; zero means one hour.
	Timeout time.Duration
	// Run does the work; it must return when ctx is done.
	Run func(ctx context.Context) error
}

// ErrBusy is returned by RunNow when the job is already running somewhere.
var ErrBusy = errors.New("jobs: job is already running")

// ErrUnknownJob is returned for a name no job was registered under.
var ErrUnknownJob = errors.New("jobs: no such job")

type entry struct {
	job      Job
	spec     string
	schedule cron.Schedule
}

// Scheduler holds the registered jobs and runs them on their schedules.
type Scheduler struct {
	db        *sql.DB
	log       *slog.Logger
	instance  string
	overrides map[string]string
	metrics   *metrics

	mu      sync.Mutex
	entries map[string]*entry
	cron    *cron.Cron
	running sync.WaitGroup
	base    context.Context
	cancel  context.CancelFunc
}

// New makes a scheduler; overrides maps job names to schedules that replace the
// defaults. reg receives the job metrics.
func New(db *sql.DB, log *slog.Logger, overrides map[string]string, reg prometheus.Registerer) *Scheduler {
	host, _ := os.Hostname()
	base, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		db:        db,
		log:       log,
		instance:  fmt.Sprintf("%s/%d", host, os.Getpid()),
		overrides: overrides,
		metrics:   newMetrics(reg),
		entries:   map[string]*entry{},
		base:      base,
		cancel:    cancel,
	}
}

var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec or "@every D"; the latter is aligned to multiples of
// D since the Unix epoch, so that every instance computes the same ticks.
func ParseSchedule(spec string) (cron.Schedule, error) {
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < time.Second {
			return nil, fmt.Errorf("jobs: bad schedule %q: @every needs a duration of at least 1s", spec)
		}
		return alignedEvery(d.Truncate(time.Second)), nil
	}
	s, err := parser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("jobs: bad schedule %q: %w", spec, err)
	}
	return s, nil
}

type alignedEvery time.Duration

func (a alignedEvery) Next(t time.Time) time.Time {
	d := time.Duration(a)
	return t.Truncate(d).Add(d)
}

// Register adds a job. Its schedule is the config override for its name, if any, or
// its default. Names must be unique.
func (s *Scheduler) Register(j Job) error {
	if j.Name == "" || j.Run == nil {
		return errors.New("jobs: a job needs a name and a Run function")
	}
	spec := j.Schedule
	if o, ok := s.overrides[j.Name]; ok {
		spec = o
	}
	sched, err := ParseSchedule(spec)
	if err != nil {
		return fmt.Errorf("jobs: %s: %w", j.Name, err)
	}
	if j.Timeout == 0 {
		j.Timeout = time.Hour
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.entries[j.Name]; dup {
		return fmt.Errorf("jobs: %s registered twice", j.Name)
	}
	s.entries[j.Name] = &entry{job: j, spec: spec, schedule: sched}
	return nil
}

// UnknownOverrides lists override names that match no registered job (a typo in config).
func (s *Scheduler) UnknownOverrides() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for name := range s.overrides {
		if _, ok := s.entries[name]; !ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Start begins running jobs on their schedules.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cron = cron.New(cron.WithLocation(time.UTC))
	for _, e := range s.entries {
		e := e
		s.cron.Schedule(e.schedule, cron.FuncJob(func() { s.tick(e) }))
	}
	s.cron.Start()
	s.log.Info("scheduler started", "jobs", len(s.entries), "instance", s.instance)
}

// Stop stops scheduling and waits for running jobs until ctx ends, then cancels them.
func (s *Scheduler) Stop(ctx context.Context) {
	s.mu.Lock()
	c := s.cron
	s.mu.Unlock()
	if c != nil {
		c.Stop()
	}
	done := make(chan struct{})
	go func() { s.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.cancel()
		<-done
	}
	s.cancel()
}

// tickOf is the scheduled activation that a firing at now belongs to: the instances'
// clocks differ a little, so each rounds back to the same activation.
func tickOf(sched cron.Schedule, now time.Time) time.Time {
	next := sched.Next(now)
	period := sched.Next(next).Sub(next)
	skew := min(30*time.Second, period/2)
	return sched.Next(now.Add(-skew))
}

func (s *Scheduler) tick(e *entry) {
	tick := tickOf(e.schedule, time.Now().UTC())
	err := s.run(s.base, e, tick, "schedule")
	switch {
	case errors.Is(err, errSkipped), errors.Is(err, ErrBusy):
		s.metrics.runs.WithLabelValues(e.job.Name, "skipped").Inc()
	case err != nil:
		s.log.Error("job failed", "job", e.job.Name, "err", err)
	}
}

// RunNow runs a job at once, outside its schedule, and returns its error. It returns
// ErrBusy when the job is running in this or another instance.
func (s *Scheduler) RunNow(ctx context.Context, name string) error {
	s.mu.Lock()
	e, ok := s.entries[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownJob, name)
	}
	return s.run(ctx, e, time.Now().UTC().Truncate(time.Microsecond), "manual")
}

var errSkipped = errors.New("jobs: tick already claimed")

func (s *Scheduler) run(ctx context.Context, e *entry, tick time.Time, trigger string) (err error) {
	s.running.Add(1)
	defer s.running.Done()

	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("jobs: %s: connection: %w", e.job.Name, err)
	}
	defer conn.Close()
	key := lockKey(e.job.Name)
	var locked bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&locked); err != nil {
		return fmt.Errorf("jobs: %s: lock: %w", e.job.Name, err)
	}
	if !locked {
		return ErrBusy
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)

	var runID int64
	err = conn.QueryRowContext(ctx, `
		INSERT INTO job_runs (job_name, tick_at, instance, trigger, status)
		VALUES ($1, $2, $3, $4, 'running')
		ON CONFLICT (job_name, tick_at) DO NOTHING
		RETURNING id`, e.job.Name, tick, s.instance, trigger).Scan(&runID)
	if errors.Is(err, sql.ErrNoRows) {
		return errSkipped
	}
	if err != nil {
		return fmt.Errorf("jobs: %s: claim tick: %w", e.job.Name, err)
	}

	start := time.Now()
	runErr := s.invoke(ctx, e.job)
	elapsed := time.Since(start)

	status, msg := "succeeded", ""
	if runErr != nil {
		status, msg = "failed", runErr.Error()
	}
	if _, err := conn.ExecContext(context.WithoutCancel(ctx),
		`UPDATE job_runs SET status = $1, error = $2, finished_at = now() WHERE id = $3`,
		status, msg, runID); err != nil {
		s.log.Error("job run not recorded", "job", e.job.Name, "err", err)
	}
	s.metrics.runs.WithLabelValues(e.job.Name, status).Inc()
	s.metrics.duration.WithLabelValues(e.job.Name).Observe(elapsed.Seconds())
	if runErr == nil {
		s.metrics.lastSuccess.WithLabelValues(e.job.Name).SetToCurrentTime()
	}
	// Frequent jobs would flood the log at info level; failures are logged by the caller.
	s.log.Debug("job finished", "job", e.job.Name, "trigger", trigger, "tick", tick, "status", status, "duration", elapsed)
	return runErr
}

func (s *Scheduler) invoke(ctx context.Context, j Job) (err error) {
	ctx, cancel := context.WithTimeout(ctx, j.Timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jobs: %s panicked: %v\n%s", j.Name, r, debug.Stack())
		}
	}()
	return j.Run(ctx)
}

// lockKey maps a job name to the advisory lock key shared by every instance.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("srg.job:" + name))
	return int64(h.Sum64())
}

// Info describes a registered job.
type Info struct {
	Name     string
	Schedule string
}

// Jobs lists the registered jobs by name.
func (s *Scheduler) Jobs() []Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Info, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, Info{Name: e.job.Name, Schedule: e.spec})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
