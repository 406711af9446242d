package bench

import (
	"context"
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
	if busy, err := machineBusy(); err != nil || busy <= 0 {
		t.Errorf("machineBusy() = %s, %v", busy, err)
	}
	if s := startCPUMeter(os.Getpid()).String(); !strings.HasPrefix(s, "cpu: bench") {
		t.Errorf("cpu meter says %q", s)
	}
}

// TestWaitCount runs the index polling against a fake Elasticsearch whose count
// grows by 10 on every _refresh.
func TestWaitCount(t *testing.T) {
	var mu sync.Mutex
	var count, refreshes int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/b1-bench-touchpoints/_refresh":
			refreshes++
			count += 10
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
		limit     time.Duration
		reached   bool
		wantCount int64
	}{
		{"reached", 30, time.Minute, true, 30},
		{"given up", 1 << 40, 0, false, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, at, err := es.waitCount(context.Background(), tt.want, time.Millisecond, tt.limit)
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
