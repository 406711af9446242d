package bench

import (
	"math"
	"math/bits"
)

// Histogram records non-negative integer values (the load generator uses
// microseconds) in logarithmic buckets, each power of two split into 64 linear
// sub-buckets, the layout of an HdrHistogram with two significant digits: values
// below 128 are exact and every other value is kept within 1/64 (1.6%). Recording
// is a few instructions and never allocates; a Histogram is not safe for concurrent
// use, so each connection keeps its own and they are merged at the end.
type Histogram struct {
	counts   [histBuckets]uint64
	total    uint64
	min, max int64
	sum      float64
}

const (
	histSubBits  = 7
	histSubCount = 1 << histSubBits // exact values below this
	histHalf     = histSubCount / 2 // sub-buckets per power of two above it
	histBuckets  = histSubCount + (64-histSubBits)*histHalf
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{min: math.MaxInt64}
}

func histIndex(v int64) int {
	if v < histSubCount {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - histSubBits
	sub := v >> e // in [histHalf, histSubCount)
	return histSubCount + (e-1)*histHalf + int(sub-histHalf)
}

// histHighest is the largest value that falls into bucket i.
func histHighest(i int) int64 {
	if i < histSubCount {
		return int64(i)
	}
	j := i - histSubCount
	e := j/histHalf + 1
	sub := int64(j%histHalf + histHalf)
	return (sub+1)<<e - 1
}

// Record adds one value; negative values count as 0.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[histIndex(v)]++
	h.total++
	h.sum += float64(v)
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

// Merge adds every value recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Max is the largest recorded value (0 when empty).
func (h *Histogram) Max() int64 { return h.max }

// Mean is the average of the recorded values (0 when empty).
func (h *Histogram) Mean() float64 {
	if h.total == 0 {
		return 0
	}
	return h.sum / float64(h.total)
}

// Percentile returns the value below or at which q percent (0-100) of the recorded
// values lie, as the highest value of its bucket, clamped to the recorded range. It
// returns 0 when the histogram is empty.
func (h *Histogram) Percentile(q float64) int64 {
	if h.total == 0 {
		return 0
	}
	q = min(max(q, 0), 100)
	rank := uint64(math.Ceil(q / 100 * float64(h.total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(max(histHighest(i), h.min), h.max)
		}
	}
	return h.max
}
