package tracking

import (
	"testing"
	"time"
)

func TestPaceDelay(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name    string
		rate    int
		arrival float64
		indexed int
		took    time.Duration
		spool   int64
		want    time.Duration
	}{
		{"burst: index 3000 events at 3000/s in one second", 3000, 9000, 3000, 200 * time.Millisecond, 10 * mb, 800 * time.Millisecond},
		{"burst but Elasticsearch already slower than the pace", 3000, 9000, 3000, 1500 * time.Millisecond, 10 * mb, 0},
		{"arrivals below the pace", 3000, 2500, 2000, 100 * time.Millisecond, 10 * mb, 0},
		{"spool half full: full speed", 3000, 9000, 3000, 200 * time.Millisecond, 513 * mb, 0},
		{"pacing off", 0, 9000, 3000, 200 * time.Millisecond, 10 * mb, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := paceDelay(tt.rate, tt.arrival, tt.indexed, tt.took, tt.spool, 1024*mb); got != tt.want {
				t.Fatalf("delay %v, want %v", got, tt.want)
			}
		})
	}
}
