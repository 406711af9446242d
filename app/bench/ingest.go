// Package bench measures SRG as its operators would: `srg bench ingest` starts the
// real server against the dev stack's Postgres and Elasticsearch, loads its tracking
// endpoint from a generator built to stay out of the way, and prints each figure as
// a name=value line. Every figure of a run comes from one invocation on one machine,
// so the ratios between them are what to compare across machines and versions.
package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"
)

// IngestOptions configure the benchmark.
type IngestOptions struct {
	// Binary is the path of the srg binary to run as the server (the caller passes
	// os.Executable()).
	Binary string
	// DatabaseURL is the admin URL of the dev stack's Postgres (SRG_DATABASE_URL);
	// the bench creates and drops its own database srg_bench_<random>.
	DatabaseURL string
	// ElasticsearchURL is SRG_ELASTICSEARCH_URL; the bench uses the index prefix
	// bench<random> and deletes its indices at the end.
	ElasticsearchURL string
	// Duration is the length of each measurement step (default 10s).
	Duration time.Duration
	// Connections is the number of load generator connections (default 64).
	Connections int
	// Out receives one name=value line per figure.
	Out io.Writer
	// Log receives progress lines.
	Log io.Writer
}

// Shares of the closed-loop maximum at which latency is measured, and the constant
// load of the end-to-end step.
var latencyShares = []struct {
	pct   int
	share float64
}{{50, 0.5}, {80, 0.8}}

const (
	e2eRequestsPerSecond = 500
	e2eEvents            = 10
	indexStall           = 120 * time.Second
	quietWait            = 180 * time.Second
)

// RunIngest runs the ingest benchmark: the bare net/http baseline and srg at their
// maximum throughput with 1- and 10-event requests, srg's latency at 50% and 80% of
// that maximum, its memory, and the end-to-end path into Elasticsearch, checking
// that every acknowledged event was indexed. It returns an error when a step fails
// or an acknowledged event is missing from the index (after printing the figures).
func RunIngest(ctx context.Context, o IngestOptions) error {
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Connections <= 0 {
		o.Connections = 64
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	switch {
	case o.Binary == "":
		return errors.New("bench: the srg binary to run is required")
	case o.DatabaseURL == "":
		return errors.New("bench: a database URL is required (SRG_DATABASE_URL)")
	case o.ElasticsearchURL == "":
		return errors.New("bench: an Elasticsearch URL is required (SRG_ELASTICSEARCH_URL)")
	}
	token := newToken(8)
	r := &ingestRun{o: o, out: &lockedWriter{w: o.Out}, log: &lockedWriter{w: o.Log}, token: token[:runLen]}
	srv, err := startChild(ctx, o, token, r.log)
	if err != nil {
		return err
	}
	defer srv.stop(r.log)
	r.srv = srv
	bare, stopBare, err := startBaseline()
	if err != nil {
		return err
	}
	defer stopBare()
	return r.run(ctx, bare)
}

// ingestRun is the state of one RunIngest.
type ingestRun struct {
	o        IngestOptions
	out, log *lockedWriter
	token    string
	srv      *child
	steps    uint64
	acked    int64 // events srg answered 2xx for, over every step
	unknown  uint64
}

func (r *ingestRun) run(ctx context.Context, bare string) error {
	// Wait for what else runs (a freshly started Elasticsearch above all) to calm down:
	// the steps are shares of one machine. This also lets srg's start-up garbage be
	// collected before the idle reading.
	pct, quiet, err := waitMachineQuiet(ctx)
	switch {
	case errors.Is(err, errNoProc):
		time.Sleep(time.Second)
	case err != nil:
		return err
	default:
		r.figure("machine_busy_pct_before_load", pct, 1)
		if !quiet {
			fmt.Fprintf(r.log, "the machine is still %.0f%% busy (of one core) after %s; loading it anyway\n", pct, quietWait)
		}
	}
	if kb, err := rssKB(r.srv.pid()); err == nil {
		r.figure("srg_rss_idle_mb", float64(kb)/1024, 1)
	} else {
		fmt.Fprintf(r.log, "memory not measured: %v\n", err)
	}
	// Before any load, so that only what else the machine runs shares the disk.
	if err := r.diskBaseline(); err != nil {
		return err
	}
	peak := startRSSSampler(r.srv.pid())
	defer peak()

	d := r.o.Duration
	srvAddr := r.srv.addr
	if _, err := r.step(ctx, "warm-up", srvAddr, 1, 0, min(d/4, 2*time.Second)); err != nil {
		return err
	}
	if err := r.settle(ctx); err != nil {
		return err
	}
	maxRPS := map[int]float64{}
	for _, events := range []int{1, e2eEvents} {
		name := fmt.Sprintf("%dev", events)
		b, err := r.step(ctx, "bare_"+name, bare, events, 0, d)
		if err != nil {
			return err
		}
		s, err := r.step(ctx, "srg_"+name, srvAddr, events, 0, d)
		if err != nil {
			return err
		}
		maxRPS[events] = s.RPS()
		r.figure("bare_"+name+"_rps", b.RPS(), 1)
		r.figure("srg_"+name+"_rps", s.RPS(), 1)
		r.figure("srg_"+name+"_events_per_s", s.RPS()*float64(events), 1)
		r.figure("srg_"+name+"_ratio_to_bare", s.RPS()/b.RPS(), 3)
		r.figure("srg_"+name+"_steal_pct", 100*s.Steal.Seconds()/d.Seconds(), 1)
		if s.ServerCPU > 0 {
			// What a request costs srg whatever else the machine runs (the ingester's
			// work during the step included): the figure to compare on a busy machine.
			r.figure("srg_"+name+"_cpu_us_per_request", s.ServerCPU.Seconds()*1e6/float64(s.OK), 1)
		}
		if err := r.settle(ctx); err != nil {
			return err
		}
	}
	for _, events := range []int{1, e2eEvents} {
		for _, at := range latencyShares {
			name := fmt.Sprintf("srg_%dev", events)
			suffix := fmt.Sprintf("_at_%dpct", at.pct)
			before, err := readWriteTimes(ctx, srvAddr)
			if err != nil {
				return err
			}
			s, err := r.step(ctx, name+suffix, srvAddr, events, at.share*maxRPS[events], d)
			if err != nil {
				return err
			}
			r.figure(name+"_p50_ms"+suffix, float64(s.Latency.Percentile(50))/1000, 3)
			r.figure(name+"_p99_ms"+suffix, float64(s.Latency.Percentile(99))/1000, 3)
			r.figure(name+"_rps"+suffix, s.RPS(), 1)
			// A step the hypervisor took CPU from measures the neighbours as much as srg.
			r.figure(name+"_steal_pct"+suffix, 100*s.Steal.Seconds()/d.Seconds(), 1)
			if s.Disk.ok {
				// Every spool fsync waits for what the others wrote before it.
				r.figure(name+"_disk_rest_mb_per_s"+suffix, s.Disk.rest/1e6, 1)
			}
			if err := r.spoolWrites(ctx, name, suffix, before); err != nil {
				return err
			}
			if err := r.settle(ctx); err != nil {
				return err
			}
		}
	}
	if err := r.endToEnd(ctx); err != nil {
		return err
	}
	if kb := peak(); kb > 0 {
		r.figure("srg_rss_load_peak_mb", float64(kb)/1024, 1)
	}

	indexed, _, err := r.srv.es.waitCount(ctx, r.acked, time.Second, indexStall)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "events_acknowledged=%d\nevents_indexed=%d\nevents_lost=%d\n", r.acked, indexed, r.acked-indexed)
	if r.unknown > 0 {
		fmt.Fprintf(r.log, "%d requests to srg went unanswered (connection errors): their events may or may not be indexed\n", r.unknown)
	}
	if indexed < r.acked {
		return fmt.Errorf("bench: %d acknowledged events are not in the index, which has not grown for %s", r.acked-indexed, indexStall)
	}
	return nil
}

// endToEnd loads srg at a constant e2eRequestsPerSecond of e2eEvents-event requests
// while sampling the index count every second, then waits for the index to hold
// every acknowledged event.
func (r *ingestRun) endToEnd(ctx context.Context) error {
	type sample struct {
		at time.Time
		n  int64
	}
	es := r.srv.es
	first, err := es.count(ctx)
	if err != nil {
		return err
	}
	samples := []sample{{time.Now(), first}}
	done := make(chan struct{})
	var sampleErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for range 100000 {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			n, err := es.count(ctx)
			if err != nil {
				sampleErr = err
				return
			}
			samples = append(samples, sample{time.Now(), n})
		}
	}()
	_, err = r.step(ctx, "e2e", r.srv.addr, e2eEvents, e2eRequestsPerSecond, r.o.Duration)
	loadEnd := time.Now()
	close(done)
	wg.Wait()
	if err != nil {
		return err
	}
	if sampleErr != nil {
		return sampleErr
	}
	last := samples[len(samples)-1]
	if span := last.at.Sub(samples[0].at).Seconds(); span > 0 {
		r.figure("e2e_index_events_per_s", float64(last.n-samples[0].n)/span, 1)
	}
	n, reached, err := es.waitCount(ctx, r.acked, 200*time.Millisecond, indexStall)
	if err != nil {
		return err
	}
	if reached.IsZero() {
		fmt.Fprintf(r.log, "index holds %d of %d acknowledged events after the load, and has not grown for %s\n", n, r.acked, indexStall)
		return nil
	}
	r.figure("e2e_drain_seconds", max(reached.Sub(loadEnd).Seconds(), 0), 3)
	return nil
}

// step runs one load step against addr and reports it on the progress log.
func (r *ingestRun) step(ctx context.Context, name, addr string, events int, rate float64, d time.Duration) (loadResult, error) {
	r.steps++
	toSrg := addr == r.srv.addr
	cpu := startCPUMeter(r.srv.pid())
	disk := startDiskMeter(r.srv.dir, r.srv.pid())
	res, err := runLoad(ctx, loadConfig{Addr: addr, Conns: r.o.Connections, Duration: d, Rate: rate,
		Events: events, Run: r.token, Tag: fixed36(r.steps, tagLen), Seed: r.steps})
	usage := cpu.stop()
	res.Disk = disk.stop()
	res.ServerCPU = usage.srv
	res.Steal = usage.steal
	if toSrg {
		r.acked += int64(res.Events)
		r.unknown += res.Unknown
	}
	if err != nil {
		return res, fmt.Errorf("bench: step %s: %w", name, err)
	}
	mode := "max"
	if rate > 0 {
		mode = fmt.Sprintf("%.0f/s", rate)
	}
	var other uint64
	for _, n := range res.Statuses {
		other += n
	}
	var line strings.Builder
	fmt.Fprintf(&line, "%-18s %-7s %8.1f req/s  p50 %7.3f ms  p99 %7.3f ms  ok %d other %d neterr %d unknown %d missed %d  %s",
		name, mode, res.RPS(), float64(res.Latency.Percentile(50))/1000, float64(res.Latency.Percentile(99))/1000,
		res.OK, other, res.NetErrors, res.Unknown, res.Missed, usage)
	if res.Disk.ok {
		fmt.Fprintf(&line, "  %s", res.Disk)
	}
	if rate > 0 {
		fmt.Fprintf(&line, "  send lag p99 %.3f ms", float64(res.SendLag.Percentile(99))/1000)
	}
	if res.FirstErr != "" {
		fmt.Fprintf(&line, "\n%-18s first error: %.300s", name, res.FirstErr)
	}
	fmt.Fprintln(r.log, line.String())
	if res.OK == 0 {
		return res, fmt.Errorf("bench: step %s: no request was acknowledged (%s)", name, res.FirstErr)
	}
	return res, nil
}

// spoolWrites prints what the spool's writes and fsyncs took during a step, from the
// server's histogram: every 204 waits for one or two of them, so a slow disk shows
// here apart from the server's own work. The p99 is the upper bound of its bucket.
func (r *ingestRun) spoolWrites(ctx context.Context, name, suffix string, before writeTimes) error {
	after, err := readWriteTimes(ctx, r.srv.addr)
	if err != nil {
		return err
	}
	step, err := after.since(before)
	if err != nil {
		return err
	}
	r.figure(name+"_spool_write_p99_bound_ms"+suffix, step.upperBound(99)*1000, 1)
	r.figure(name+"_spool_writes_over_10ms_pct"+suffix, step.over(0.01)*100, 2)
	r.figure(name+"_spool_writes_over_100ms_pct"+suffix, step.over(0.1)*100, 2)
	return nil
}

// settle waits until the index holds every event acknowledged so far and the
// machine is quiet again, so that the indexing of one step does not take CPU or
// disk from the next.
func (r *ingestRun) settle(ctx context.Context) error {
	start := time.Now()
	cpu := startCPUMeter(r.srv.pid())
	n, reached, err := r.srv.es.waitCount(ctx, r.acked, time.Second, indexStall)
	if err != nil {
		return err
	}
	if reached.IsZero() {
		fmt.Fprintf(r.log, "index holds %d of %d acknowledged events and has not grown for %s; going on\n", n, r.acked, indexStall)
	} else {
		fmt.Fprintf(r.log, "indexed %d events, %.1f s after the step; %s\n", n, reached.Sub(start).Seconds(), cpu.stop())
	}
	// Elasticsearch merges what it indexed for a while after; the next step would
	// share the CPU and the disk with that.
	start = time.Now()
	pct, quiet, err := waitMachineQuiet(ctx)
	switch {
	case errors.Is(err, errNoProc):
		return nil
	case err != nil:
		return err
	case !quiet:
		fmt.Fprintf(r.log, "the machine is still %.0f%% busy (of one core) after %s; going on\n", pct, quietWait)
	default:
		fmt.Fprintf(r.log, "quiet %.1f s later\n", time.Since(start).Seconds())
	}
	return nil
}

// waitMachineQuiet waits, up to quietWait, until the machine is quiet (waitQuiet).
func waitMachineQuiet(ctx context.Context) (pct float64, quiet bool, err error) {
	busy := func() (time.Duration, error) {
		b, _, err := machineCPU()
		return b, err
	}
	return waitQuiet(ctx, busy, runtime.NumCPU(), time.Second, quietWait)
}

func (r *ingestRun) figure(name string, v float64, decimals int) {
	fmt.Fprintf(r.out, "%s=%.*f\n", name, decimals, v)
}

// startRSSSampler reads the resident set size of pid every 200 ms until the returned
// function is first called; every call returns the largest reading in kB.
func startRSSSampler(pid int) func() int64 {
	done := make(chan struct{})
	result := make(chan int64, 1)
	var once sync.Once
	var peak int64
	stop := func() int64 {
		once.Do(func() {
			close(done)
			peak = <-result
		})
		return peak
	}
	go func() {
		var most int64
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb, err := rssKB(pid); err == nil {
				most = max(most, kb)
			}
			select {
			case <-done:
				result <- most
				return
			case <-tick.C:
			}
		}
	}()
	return stop
}

// newToken returns n random characters of [a-z0-9], starting with a letter.
func newToken(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	b[0] = letters[int(b[0])%26]
	return string(b)
}

// lockedWriter serialises writes from the steps and the server's output.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
