package bench

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProcReadings(t *testing.T) {
	rss, err := rssKB(os.Getpid())
	if err != nil || rss <= 0 {
		t.Errorf("rssKB(self) = %d, %v", rss, err)
	}
	if cpu, err := cpuTime(os.Getpid()); err != nil || cpu < 0 {
		t.Errorf("cpuTime(self) = %s, %v", cpu, err)
	}
	if busy, steal, err := machineCPU(); err != nil || busy <= 0 || steal < 0 || steal > busy {
		t.Errorf("machineCPU() = %s, %s, %v", busy, steal, err)
	}
	if s := startCPUMeter(os.Getpid()).stop().String(); !strings.HasPrefix(s, "cpu: bench") {
		t.Errorf("cpu meter says %q", s)
	}
}

// TestWaitCount runs the index polling against a fake Elasticsearch whose count
// grows by 10 on every _refresh up to 100.
func TestWaitCount(t *testing.T) {
	var mu sync.Mutex
	var count, refreshes int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/b1-bench-touchpoints/_refresh":
			refreshes++
			count = min(count+10, 100) // then it stalls
			w.Write([]byte(`{"_shards":{"total":1,"successful":1,"failed":0}}`))
		case r.Method == http.MethodGet && r.URL.Path == "/b1-bench-touchpoints/_count":
			w.Write([]byte(`{"count":` + strconv.Itoa(count) + `}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()
	es := &elastic{base: ts.URL, prefix: "b1", http: ts.Client()}
	tests := []struct {
		name      string
		want      int64
		stall     time.Duration
		reached   bool
		wantCount int64
	}{
		{"reached", 30, time.Minute, true, 30},
		{"waits while it grows, gives up once it stalls", 1 << 40, 20 * time.Millisecond, false, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, at, err := es.waitCount(context.Background(), tt.want, time.Millisecond, tt.stall)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.wantCount || at.IsZero() == tt.reached {
				t.Errorf("waitCount = %d, reached %v; want %d, %v", n, !at.IsZero(), tt.wantCount, tt.reached)
			}
		})
	}
	if ok, err := es.exists(context.Background(), "b1-bench-credits"); ok || err != nil {
		t.Errorf("exists(missing index) = %v, %v", ok, err)
	}
}

func TestParseCPULine(t *testing.T) {
	tests := []struct {
		line        string
		busy, steal time.Duration
		wantErr     bool
	}{
		{"cpu  100 5 20 1000 50 1 2 30 0 0", 1580 * time.Millisecond, 300 * time.Millisecond, false},
		{"cpu  100 0 0 0 0 0 0 0", time.Second, 0, false},
		{"cpu  100 5 20", 0, 0, true},
		{"cpu0 100 5 20 1000 50 1 2 30", 0, 0, true},
		{"cpu  100 5 x 1000 50 1 2 30", 0, 0, true},
	}
	for _, tt := range tests {
		busy, steal, err := parseCPULine(tt.line)
		if (err != nil) != tt.wantErr || busy != tt.busy || steal != tt.steal {
			t.Errorf("parseCPULine(%q) = %s, %s, %v; want %s, %s, error %v", tt.line, busy, steal, err, tt.busy, tt.steal, tt.wantErr)
		}
	}
}

func TestWaitQuiet(t *testing.T) {
	const interval = 10 * time.Millisecond
	tests := []struct {
		name      string
		perSample []time.Duration // busy time added between samples, 2 cpus
		limit     time.Duration
		wantQuiet bool
		wantPct   float64
		samples   int
	}{
		{"quiet at once", []time.Duration{2 * time.Millisecond}, time.Second, true, 20, 2},
		{"quiet after two busy intervals", []time.Duration{15 * time.Millisecond, 12 * time.Millisecond, 4 * time.Millisecond}, time.Second, true, 40, 4},
		{"never quiet", []time.Duration{18 * time.Millisecond}, 50 * time.Millisecond, false, 180, 0},
		{"at the share is not quiet", []time.Duration{5 * time.Millisecond, 1 * time.Millisecond}, time.Second, true, 10, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var total time.Duration
			calls := 0
			busy := func() (time.Duration, error) {
				if calls > 0 {
					total += tt.perSample[min(calls-1, len(tt.perSample)-1)]
				}
				calls++
				return total, nil
			}
			pct, quiet, err := waitQuiet(context.Background(), busy, 2, interval, tt.limit)
			if err != nil || quiet != tt.wantQuiet {
				t.Fatalf("waitQuiet = %.0f, %v, %v; want quiet %v", pct, quiet, err, tt.wantQuiet)
			}
			if math.Abs(pct-tt.wantPct) > 0.01 {
				t.Errorf("busy %.2f%%, want %.0f%%", pct, tt.wantPct)
			}
			if tt.samples > 0 && calls != tt.samples {
				t.Errorf("%d samples, want %d", calls, tt.samples)
			}
		})
	}
	t.Run("reader error", func(t *testing.T) {
		if _, _, err := waitQuiet(context.Background(), func() (time.Duration, error) { return 0, errNoProc }, 2, interval, time.Second); err != errNoProc {
			t.Errorf("err = %v, want errNoProc", err)
		}
	})
}
