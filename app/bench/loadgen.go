package bench

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// loadConfig describes one load step.
type loadConfig struct {
	Addr     string // the target, a loopback host:port
	Conns    int
	Duration time.Duration
	// Rate is the target of the open-loop mode in requests per second over all
	// connections, each sending on a fixed schedule; 0 selects the closed-loop mode,
	// every connection sending back to back.
	Rate   float64
	Events int    // page views per request
	Run    string // see requestSpec
	Tag    string
	Seed   uint64
}

// loadResult is what one step measured.
type loadResult struct {
	Sent      uint64         // requests written
	OK        uint64         // 2xx answers
	Statuses  map[int]uint64 // other answers by status
	NetErrors uint64         // failed connects, writes and reads
	Unknown   uint64         // requests written whose answer was never read
	Missed    uint64         // open loop: scheduled requests not sent before the step's hard stop
	Events    uint64         // events in 2xx-answered requests
	Elapsed   time.Duration  // from the start to the last answer
	// Latency in microseconds: from the scheduled send time in open-loop mode (so a
	// late generator or a queueing server both show), from the write in closed loop.
	Latency *Histogram
	// SendLag in microseconds (open loop): how late the generator wrote each request
	// against its schedule, to tell its own delays from the server's.
	SendLag  *Histogram
	FirstErr string
	// ServerCPU is the CPU time srg used during the step (set by the ingest run).
	ServerCPU time.Duration
	// Steal is the CPU time the hypervisor gave to other machines during the step,
	// over all processors (set by the ingest run).
	Steal time.Duration
	// Disk is what srg and every other process wrote to the spool's device during the
	// step (set by the ingest run).
	Disk diskUsage
}

// RPS is the rate of acknowledged (2xx) requests.
func (r loadResult) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// worker drives one connection.
type worker struct {
	cfg      *loadConfig
	addr     string
	ring     *requestRing
	conn     net.Conn
	rr       *responseReader
	res      loadResult
	lastDone time.Time
	until    time.Time // hard stop for any I/O
}

// runLoad runs one load step: it builds every connection's requests and connects
// before starting the clock, then sends for cfg.Duration.
func runLoad(ctx context.Context, cfg loadConfig) (loadResult, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return loadResult{}, fmt.Errorf("bench: load target %q is not a loopback address", cfg.Addr)
	}
	if cfg.Conns < 1 || cfg.Conns > maxConns || cfg.Duration <= 0 || cfg.Rate < 0 {
		return loadResult{}, fmt.Errorf("bench: invalid load step (%d connections, %s, %.1f/s)", cfg.Conns, cfg.Duration, cfg.Rate)
	}
	spec := requestSpec{Host: cfg.Addr, Events: cfg.Events, Run: cfg.Run, Tag: cfg.Tag}
	workers := make([]*worker, cfg.Conns)
	defer func() {
		for _, w := range workers {
			if w != nil && w.conn != nil {
				w.conn.Close()
			}
		}
	}()
	for i := range workers {
		ring, err := newRequestRing(spec, i, cfg.Seed)
		if err != nil {
			return loadResult{}, err
		}
		w := &worker{cfg: &cfg, addr: cfg.Addr, ring: ring,
			res: loadResult{Statuses: map[int]uint64{}, Latency: NewHistogram(), SendLag: NewHistogram()}}
		workers[i] = w
		if err := w.dial(ctx); err != nil {
			if ctx.Err() != nil {
				return loadResult{}, ctx.Err()
			}
			return loadResult{}, fmt.Errorf("bench: connect to %s: %w", cfg.Addr, err)
		}
	}

	start := time.Now()
	deadline := start.Add(cfg.Duration)
	grace := min(max(cfg.Duration/2, time.Second), 10*time.Second)
	var wg sync.WaitGroup
	for i, w := range workers {
		w.until = deadline.Add(grace)
		w.conn.SetDeadline(w.until.Add(5 * time.Second))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cfg.Rate > 0 {
				w.openLoop(ctx, start, deadline, i)
			} else {
				w.closedLoop(ctx, deadline)
			}
		}()
	}
	wg.Wait()

	total := loadResult{Statuses: map[int]uint64{}, Latency: NewHistogram(), SendLag: NewHistogram()}
	last := start
	for _, w := range workers {
		r := &w.res
		total.Sent += r.Sent
		total.OK += r.OK
		total.NetErrors += r.NetErrors
		total.Unknown += r.Unknown
		total.Missed += r.Missed
		total.Events += r.Events
		for code, n := range r.Statuses {
			total.Statuses[code] += n
		}
		total.Latency.Merge(r.Latency)
		total.SendLag.Merge(r.SendLag)
		if total.FirstErr == "" {
			total.FirstErr = r.FirstErr
		}
		if w.lastDone.After(last) {
			last = w.lastDone
		}
	}
	total.Elapsed = last.Sub(start)
	return total, ctx.Err()
}

func (w *worker) dial(ctx context.Context) error {
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", w.addr)
	if err != nil {
		return err
	}
	w.conn = conn
	w.rr = newResponseReader(conn)
	if !w.until.IsZero() {
		conn.SetDeadline(w.until.Add(5 * time.Second))
	}
	return nil
}

// ensureConn reconnects after an error, pausing between failed attempts; false
// means no connection could be made before the deadline.
func (w *worker) ensureConn(ctx context.Context, deadline time.Time) bool {
	for w.conn == nil {
		if err := w.dial(ctx); err != nil {
			w.fail(err)
			if ctx.Err() != nil || time.Now().Add(50*time.Millisecond).After(deadline) {
				return false
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return true
}

func (w *worker) closedLoop(ctx context.Context, deadline time.Time) {
	for n := 0; n < 1<<40 && ctx.Err() == nil; n++ {
		t0 := time.Now()
		if !t0.Before(deadline) || !w.ensureConn(ctx, deadline) {
			return
		}
		if w.roundTrip(w.ring.Next()) {
			w.res.Latency.Record(w.lastDone.Sub(t0).Microseconds())
		}
	}
}

// openLoop sends connection i's share of the rate on a fixed schedule, offset
// from the other connections' so the requests are spread evenly.
func (w *worker) openLoop(ctx context.Context, start, deadline time.Time, i int) {
	interval := time.Duration(float64(w.cfg.Conns) / w.cfg.Rate * float64(time.Second))
	if interval <= 0 {
		interval = time.Nanosecond
	}
	first := start.Add(interval * time.Duration(i) / time.Duration(w.cfg.Conns))
	var k int64
	for ; ctx.Err() == nil; k++ {
		at := first.Add(time.Duration(k) * interval)
		if !at.Before(deadline) {
			return
		}
		now := time.Now()
		if now.After(w.until) {
			break
		}
		if d := at.Sub(now); d > 0 && !sleep(ctx, d) {
			break
		}
		if !w.ensureConn(ctx, w.until) {
			break
		}
		w.res.SendLag.Record(time.Since(at).Microseconds())
		if w.roundTrip(w.ring.Next()) {
			w.res.Latency.Record(w.lastDone.Sub(at).Microseconds())
		}
	}
	scheduled := int64(deadline.Sub(first)+interval-1) / int64(interval)
	if scheduled > k {
		w.res.Missed += uint64(scheduled - k)
	}
}

// sleep pauses for d, or until ctx ends (then false). Short pauses, the common case,
// skip the timer and channel.
func sleep(ctx context.Context, d time.Duration) bool {
	if d < 50*time.Millisecond {
		time.Sleep(d)
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// roundTrip writes req and reads its answer; true when the answer was read.
func (w *worker) roundTrip(req []byte) bool {
	if _, err := w.conn.Write(req); err != nil {
		w.fail(err)
		w.res.Unknown++ // part of it may have reached the server
		return false
	}
	w.res.Sent++
	res, err := w.rr.Read()
	if err != nil {
		w.fail(err)
		w.res.Unknown++
		return false
	}
	w.lastDone = time.Now()
	if res.Status >= 200 && res.Status < 300 {
		w.res.OK++
		w.res.Events += uint64(w.cfg.Events)
	} else {
		w.res.Statuses[res.Status]++
		if w.res.FirstErr == "" {
			w.res.FirstErr = fmt.Sprintf("HTTP %d: %s", res.Status, res.Body)
		}
	}
	if res.Close {
		w.conn.Close()
		w.conn = nil
	}
	return true
}

func (w *worker) fail(err error) {
	w.res.NetErrors++
	if w.res.FirstErr == "" {
		w.res.FirstErr = err.Error()
	}
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}
