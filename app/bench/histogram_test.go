package bench

import (
	"math"
	"testing"
)

func TestHistogramPercentiles(t *testing.T) {
	seq := func(from, to int64) []int64 {
		var v []int64
		for i := from; i <= to; i++ {
			v = append(v, i)
		}
		return v
	}
	repeat := func(v int64, n int) []int64 {
		var out []int64
		for range n {
			out = append(out, v)
		}
		return out
	}
	tests := []struct {
		name   string
		values []int64
		q      float64
		want   int64
		relErr float64 // allowed relative error
	}{
		{"empty", nil, 50, 0, 0},
		{"single", []int64{42}, 99, 42, 0},
		{"exact range median", seq(1, 100), 50, 50, 0},
		{"exact range p99", seq(1, 100), 99, 99, 0},
		{"exact range p0 is the minimum", seq(1, 100), 0, 1, 0},
		{"exact range p100 is the maximum", seq(1, 100), 100, 100, 0},
		{"constant large value is exact", repeat(123456, 10), 50, 123456, 0},
		{"wide range median", seq(1, 100000), 50, 50000, 1.0 / 64},
		{"wide range p99", seq(1, 100000), 99, 99000, 1.0 / 64},
		{"bimodal p99 stays in the fast mode", append(repeat(1000, 990), repeat(1000000, 10)...), 99, 1000, 1.0 / 64},
		{"bimodal p99.9 reaches the slow mode", append(repeat(1000, 990), repeat(1000000, 10)...), 99.9, 1000000, 0},
		{"negative values count as zero", []int64{-5, -1, 0}, 100, 0, 0},
		{"huge values", []int64{math.MaxInt64 / 2}, 50, math.MaxInt64 / 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHistogram()
			for _, v := range tt.values {
				h.Record(v)
			}
			got := h.Percentile(tt.q)
			if diff := math.Abs(float64(got - tt.want)); diff > tt.relErr*float64(tt.want) {
				t.Errorf("Percentile(%v) = %d, want %d (±%.1f%%)", tt.q, got, tt.want, 100*tt.relErr)
			}
			if h.Count() != uint64(len(tt.values)) {
				t.Errorf("Count() = %d, want %d", h.Count(), len(tt.values))
			}
		})
	}
}

func TestHistogramMerge(t *testing.T) {
	whole, a, b := NewHistogram(), NewHistogram(), NewHistogram()
	for v := int64(1); v <= 5000; v++ {
		whole.Record(v * 7)
		if v%2 == 0 {
			a.Record(v * 7)
		} else {
			b.Record(v * 7)
		}
	}
	a.Merge(b)
	a.Merge(NewHistogram())
	for _, q := range []float64{0, 10, 50, 90, 99, 99.9, 100} {
		if got, want := a.Percentile(q), whole.Percentile(q); got != want {
			t.Errorf("merged Percentile(%v) = %d, want %d", q, got, want)
		}
	}
	if a.Count() != whole.Count() || a.Max() != whole.Max() || a.Mean() != whole.Mean() {
		t.Errorf("merged count/max/mean = %d/%d/%v, want %d/%d/%v", a.Count(), a.Max(), a.Mean(), whole.Count(), whole.Max(), whole.Mean())
	}
}

// TestHistogramBuckets checks the bucket layout: every value lands in a bucket that
// holds it, and no bucket is wider than 1/64 of its values.
func TestHistogramBuckets(t *testing.T) {
	values := []int64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 1<<20 + 12345, 1 << 40, math.MaxInt64}
	for v := int64(1); v < 1<<62; v = v*3 + 1 {
		values = append(values, v)
	}
	for _, v := range values {
		i := histIndex(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d, out of range", v, i)
		}
		hi := histHighest(i)
		lo := int64(0)
		if i > 0 {
			lo = histHighest(i-1) + 1
		}
		if v < lo || v > hi {
			t.Errorf("value %d in bucket %d = [%d, %d]", v, i, lo, hi)
		}
		if v >= histSubCount && float64(hi-lo) > float64(lo)/64 {
			t.Errorf("bucket %d = [%d, %d] wider than 1/64", i, lo, hi)
		}
	}
}
