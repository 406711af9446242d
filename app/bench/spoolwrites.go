package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// spoolWriteMetric is the server's histogram of spool write and fsync times, which
// every collect request waits on before its 204.
const spoolWriteMetric = "srg_tracking_spool_write_seconds"

// writeTimes is a reading of that histogram: cumulative counts by upper bound.
type writeTimes struct {
	bounds []float64 // seconds, ascending, +Inf last
	counts []uint64
}

// readWriteTimes scrapes the server's /metrics for the histogram.
func readWriteTimes(ctx context.Context, addr string) (writeTimes, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return writeTimes{}, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return writeTimes{}, fmt.Errorf("bench: metrics: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return writeTimes{}, fmt.Errorf("bench: metrics: status %d", res.StatusCode)
	}
	return parseWriteTimes(res.Body)
}

func parseWriteTimes(r io.Reader) (writeTimes, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return writeTimes{}, fmt.Errorf("bench: metrics: %w", err)
	}
	f := families[spoolWriteMetric]
	if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetHistogram() == nil {
		return writeTimes{}, fmt.Errorf("bench: metrics: no histogram %s", spoolWriteMetric)
	}
	h := f.GetMetric()[0].GetHistogram()
	var w writeTimes
	for _, b := range h.GetBucket() {
		w.bounds = append(w.bounds, b.GetUpperBound())
		w.counts = append(w.counts, b.GetCumulativeCount())
	}
	if len(w.bounds) == 0 || !math.IsInf(w.bounds[len(w.bounds)-1], 1) {
		w.bounds = append(w.bounds, math.Inf(1))
		w.counts = append(w.counts, h.GetSampleCount())
	}
	return w, nil
}

// since is the histogram of the writes between an earlier reading and this one.
func (w writeTimes) since(earlier writeTimes) (writeTimes, error) {
	if len(earlier.bounds) != len(w.bounds) {
		return writeTimes{}, fmt.Errorf("bench: metrics: the histogram's buckets changed")
	}
	d := writeTimes{bounds: w.bounds, counts: make([]uint64, len(w.counts))}
	for i := range w.counts {
		if w.bounds[i] != earlier.bounds[i] || w.counts[i] < earlier.counts[i] {
			return writeTimes{}, fmt.Errorf("bench: metrics: the histogram went back (a restart?)")
		}
		d.counts[i] = w.counts[i] - earlier.counts[i]
	}
	return d, nil
}

// total is the number of writes.
func (w writeTimes) total() uint64 {
	if len(w.counts) == 0 {
		return 0
	}
	return w.counts[len(w.counts)-1]
}

// upperBound is the bound, in seconds, of the bucket that holds the p-th percentile
// write (+Inf when it is past the last finite bound, NaN without writes).
func (w writeTimes) upperBound(p float64) float64 {
	n := w.total()
	if n == 0 {
		return math.NaN()
	}
	rank := uint64(math.Ceil(p / 100 * float64(n)))
	for i, c := range w.counts {
		if c >= max(rank, 1) {
			return w.bounds[i]
		}
	}
	return math.Inf(1)
}

// over is the share (0..1) of writes slower than the bucket bound at or above s seconds.
func (w writeTimes) over(s float64) float64 {
	n := w.total()
	if n == 0 {
		return math.NaN()
	}
	for i, b := range w.bounds {
		if b >= s {
			return float64(n-w.counts[i]) / float64(n)
		}
	}
	return 0
}
