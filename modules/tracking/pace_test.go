package tracking

import (
	"context"
	"testing"
	"time"
)

func TestPaceDelay(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name     string
		rate     int
		requests int
		arrival  int64
		indexed  int
		took     time.Duration
		spool    int64
		want     time.Duration
	}{
		{"burst: index 500 events at 500/s in one second", 500, 1000, 4000, 500, 200 * time.Millisecond, 10 * mb, 800 * time.Millisecond},
		{"burst but Elasticsearch already slower than the pace", 500, 1000, 4000, 500, 1500 * time.Millisecond, 10 * mb, 0},
		{"many events in few requests: no burst", 500, 1000, 500, 5000, 100 * time.Millisecond, 10 * mb, 0},
		{"requests at the threshold: no burst", 500, 1000, 1000, 500, 100 * time.Millisecond, 10 * mb, 0},
		{"spool half full: full speed", 500, 1000, 4000, 500, 200 * time.Millisecond, 513 * mb, 0},
		{"pacing off", 0, 1000, 4000, 500, 200 * time.Millisecond, 10 * mb, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := paceDelay(tt.rate, tt.requests, tt.arrival, tt.indexed, tt.took, tt.spool, 1024*mb); got != tt.want {
				t.Fatalf("delay %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBatchRecords(t *testing.T) {
	tests := []struct {
		name    string
		rate    int
		arrival int64
		spooled int // records of 1 kB in a spool of at most 1 MB
		want    int
	}{
		{"no burst: full bulks", 500, 800, 0, 2000},
		{"burst: a tenth of a second's pace", 500, 4000, 0, 50},
		{"burst at a tiny pace: one request", 5, 4000, 0, 1},
		{"pacing off", 0, 4000, 0, 2000},
		{"burst with the spool half full: full bulks", 500, 4000, 600, 2000},
	}
	for _, tt := range tests {
		spool, err := OpenSpool(t.TempDir(), SpoolOptions{MaxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		for range tt.spooled {
			if err := spool.Append(context.Background(), [][]byte{make([]byte, 1000)}); err != nil {
				t.Fatal(err)
			}
		}
		in := &ingester{spool: spool, bulkSize: 2000, burstRate: tt.rate, burstRequests: 1000}
		in.arrival.Store(tt.arrival)
		if got := in.batchRecords(); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
		spool.Close()
	}
}
