package bench

import (
	"fmt"
	"os"
	"time"
)

// fsyncLatencies appends n records of size bytes to a new file in dir, fsyncing
// after each as the spool does with one request's events, and returns the latency
// of each append and fsync in microseconds, and how many took over slow. The file
// is removed. It is the disk's own floor under a collect request's latency: every
// 204 waits for an fsync.
func fsyncLatencies(dir string, n, size int, slow time.Duration) (_ *Histogram, over int, _ error) {
	f, err := os.CreateTemp(dir, "fsync-baseline-*")
	if err != nil {
		return nil, 0, fmt.Errorf("bench: disk baseline: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	record := make([]byte, size)
	for i := range record {
		record[i] = 'x'
	}
	h := NewHistogram()
	for range n {
		start := time.Now()
		if _, err := f.Write(record); err != nil {
			return nil, 0, fmt.Errorf("bench: disk baseline: %w", err)
		}
		if err := f.Sync(); err != nil {
			return nil, 0, fmt.Errorf("bench: disk baseline: %w", err)
		}
		took := time.Since(start)
		if took > slow {
			over++
		}
		h.Record(took.Microseconds())
	}
	return h, over, nil
}

// diskBaseline prints the fsync latency of the disk the server's spool is on.
func (r *ingestRun) diskBaseline() error {
	h, over, err := fsyncLatencies(r.srv.dir, diskBaselineWrites, 300, 10*time.Millisecond)
	if err != nil {
		return err
	}
	r.figure("disk_fsync_p50_ms", float64(h.Percentile(50))/1000, 3)
	r.figure("disk_fsync_p99_ms", float64(h.Percentile(99))/1000, 3)
	r.figure("disk_fsync_p999_ms", float64(h.Percentile(99.9))/1000, 3)
	r.figure("disk_fsync_max_ms", float64(h.Max())/1000, 3)
	r.figure("disk_fsync_over_10ms_pct", float64(over)/float64(h.Count())*100, 2)
	return nil
}

// diskBaselineWrites is how many appends the disk baseline times (a few seconds).
const diskBaselineWrites = 3000
