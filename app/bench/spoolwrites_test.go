package bench

import (
	"math"
	"strings"
	"testing"
)

const metricsBefore = `# HELP srg_tracking_spool_write_seconds Time of each spool write.
# TYPE srg_tracking_spool_write_seconds histogram
srg_tracking_spool_write_seconds_bucket{le="0.001"} 10
srg_tracking_spool_write_seconds_bucket{le="0.01"} 10
srg_tracking_spool_write_seconds_bucket{le="0.1"} 10
srg_tracking_spool_write_seconds_bucket{le="+Inf"} 10
srg_tracking_spool_write_seconds_sum 0.005
srg_tracking_spool_write_seconds_count 10
`

const metricsAfter = `# TYPE srg_tracking_spool_write_seconds histogram
srg_tracking_spool_write_seconds_bucket{le="0.001"} 900
srg_tracking_spool_write_seconds_bucket{le="0.01"} 1000
srg_tracking_spool_write_seconds_bucket{le="0.1"} 1008
srg_tracking_spool_write_seconds_bucket{le="+Inf"} 1010
srg_tracking_spool_write_seconds_sum 2
srg_tracking_spool_write_seconds_count 1010
`

func TestWriteTimes(t *testing.T) {
	before, err := parseWriteTimes(strings.NewReader(metricsBefore))
	if err != nil {
		t.Fatal(err)
	}
	after, err := parseWriteTimes(strings.NewReader(metricsAfter))
	if err != nil {
		t.Fatal(err)
	}
	step, err := after.since(before)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want float64
	}{
		{"writes", float64(step.total()), 1000},
		{"p50 bound", step.upperBound(50), 0.001},
		{"p99 bound", step.upperBound(99), 0.01},
		{"p99.5 bound", step.upperBound(99.5), 0.1},
		{"p99.9 bound", step.upperBound(99.9), math.Inf(1)},
		{"share over 10 ms", step.over(0.01), 0.01},
		{"share over 1 ms", step.over(0.001), 0.11},
	}
	for _, tt := range tests {
		if math.Abs(tt.got-tt.want) > 1e-9 && !(math.IsInf(tt.got, 1) && math.IsInf(tt.want, 1)) {
			t.Errorf("%s: %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if _, err := before.since(after); err == nil {
		t.Error("a histogram that went back was accepted")
	}
}

func TestWriteTimesRefusesMalformedMetrics(t *testing.T) {
	for _, body := range []string{
		"srg_tracking_spool_write_seconds_bucket{le=\"0.1\" 3\n",                                // broken label set
		"# TYPE other counter\nother 1\n",                                                       // no histogram
		"# TYPE srg_tracking_spool_write_seconds counter\nsrg_tracking_spool_write_seconds 1\n", // not a histogram
	} {
		if _, err := parseWriteTimes(strings.NewReader(body)); err == nil {
			t.Errorf("accepted %q", body)
		}
	}
}
