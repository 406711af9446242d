package jobs

import (
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	base := time.Date(2026, 11, 22, 10, 7, 30, 0, time.UTC)
	tests := []struct {
		spec string
		next time.Time
		ok   bool
	}{
		{"*/15 * * * *", time.Date(2026, 11, 22, 10, 15, 0, 0, time.UTC), true},
		{"0 */15 * * * *", time.Date(2026, 11, 22, 10, 15, 0, 0, time.UTC), true},
		{"@hourly", time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC), true},
		{"@every 10m", time.Date(2026, 11, 22, 10, 10, 0, 0, time.UTC), true},
		{"@every 45s", base.Truncate(45 * time.Second).Add(45 * time.Second), true},
		{"@every 0s", time.Time{}, false},
		{"@every soon", time.Time{}, false},
		{"61 * * * *", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && !s.Next(base).Equal(tt.next) {
				t.Fatalf("next = %v, want %v", s.Next(base), tt.next)
			}
		})
	}
}

func TestTickOfIsTheSameAcrossSkewedClocks(t *testing.T) {
	s, _ := ParseSchedule("*/15 * * * *")
	tick := time.Date(2026, 11, 22, 10, 15, 0, 0, time.UTC)
	for _, skew := range []time.Duration{0, 3 * time.Millisecond, 900 * time.Millisecond, 5 * time.Second, -2 * time.Second} {
		if got := tickOf(s, tick.Add(skew)); !got.Equal(tick) {
			t.Errorf("firing at tick%+v maps to %v, want %v", skew, got, tick)
		}
	}
	every, _ := ParseSchedule("* * * * * *")
	sec := time.Date(2026, 11, 22, 10, 15, 7, 0, time.UTC)
	if got := tickOf(every, sec.Add(20*time.Millisecond)); !got.Equal(sec) {
		t.Errorf("per-second schedule: %v, want %v", got, sec)
	}
}
