package tracking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSpoolAppendReadAckAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, SpoolOptions{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ { // concurrent appends share fsyncs; none is lost
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if err := s.Append(ctx, [][]byte{[]byte(fmt.Sprintf("w%d-%d", w, i))}); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	if n, _ := s.Len(); n != 200 {
		t.Fatalf("spool holds %d records, want 200", n)
	}
	first, recs, err := s.Read(150, 1<<30)
	if err != nil || len(recs) != 150 {
		t.Fatalf("read %d, err %v", len(recs), err)
	}
	if err := s.Rewind(); err != nil { // indexing failed: hand them out again
		t.Fatal(err)
	}
	again, recs2, _ := s.Read(150, 1<<30)
	if again != first || string(recs2[0]) != string(recs[0]) {
		t.Fatal("rewind did not hand the same records out again")
	}
	if err := s.Ack(first+99, 0); err != nil {
		t.Fatal(err)
	}
	// A new process finds the 100 unacknowledged records, handed-out ones included.
	s = reopenSpool(t, s, dir)
	seen := map[string]bool{}
	for {
		f, recs, err := s.Read(30, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			seen[string(r)] = true
		}
		if err := s.Ack(f+uint64(len(recs))-1, 0); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 100 {
		t.Fatalf("after reopen %d distinct records, want 100", len(seen))
	}
	if n, _ := s.Len(); n != 0 {
		t.Fatalf("drained spool holds %d", n)
	}
	if err := s.Append(ctx, [][]byte{[]byte("after drain")}); err != nil {
		t.Fatal(err)
	}
	if _, recs, _ := s.Read(10, 1<<30); len(recs) != 1 || string(recs[0]) != "after drain" {
		t.Fatalf("append after a full drain: %q", recs)
	}
}

func TestSpoolRefusesWhenFull(t *testing.T) {
	s, err := OpenSpool(t.TempDir(), SpoolOptions{MaxBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := make([]byte, 400)
	var full error
	for i := 0; i < 5 && full == nil; i++ {
		full = s.Append(context.Background(), [][]byte{big})
	}
	if !errors.Is(full, ErrSpoolFull) {
		t.Fatalf("want ErrSpoolFull, got %v", full)
	}
	first, recs, _ := s.Read(10, 1<<30)
	var size int64
	for _, r := range recs {
		size += int64(len(r)) + 8
	}
	if err := s.Ack(first+uint64(len(recs))-1, size); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(context.Background(), [][]byte{big}); err != nil {
		t.Fatalf("append after draining a full spool: %v", err)
	}
}

func TestSpoolReportsEachWrite(t *testing.T) {
	var took []time.Duration
	s, err := OpenSpool(t.TempDir(), SpoolOptions{MaxBytes: 1 << 20, Observe: func(d time.Duration) { took = append(took, d) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"a", "b", "c"} {
		if err := s.Append(context.Background(), [][]byte{[]byte(r)}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close() // the writer has returned: took is complete
	if len(took) != 3 || slices.Min(took) <= 0 {
		t.Fatalf("writes reported: %v, want 3 durations", took)
	}
}

// A write that comes less than the sync interval after the last one waits out the
// rest of it, and appends queued meanwhile share that write; with no interval the
// writer never waits.
func TestSpoolSyncInterval(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
		appends  int // queued together after a first append
		writes   int32
	}{
		{"interval groups the appends queued while waiting", time.Hour, 5, 2},
		{"no interval never waits", 0, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			waits := make(chan time.Duration, 1)
			release := make(chan struct{})
			var writes atomic.Int32
			s, err := OpenSpool(t.TempDir(), SpoolOptions{MaxBytes: 1 << 20, SyncInterval: tc.interval,
				Observe: func(time.Duration) { writes.Add(1) },
				wait:    func(d time.Duration) { waits <- d; <-release }})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			appendAll := func(n int, tag string) chan error {
				errs := make(chan error, n)
				for i := range n {
					go func() { errs <- s.Append(context.Background(), [][]byte{fmt.Appendf(nil, "%s%d", tag, i)}) }()
				}
				return errs
			}
			if err := <-appendAll(1, "first"); err != nil {
				t.Fatal(err)
			}
			if len(waits) > 0 {
				t.Fatalf("the first write waited %s", <-waits)
			}
			errs := appendAll(tc.appends, "queued")
			if tc.interval > 0 {
				select {
				case d := <-waits:
					if d <= 0 || d > tc.interval {
						t.Fatalf("writer waited %s, want (0, %s]", d, tc.interval)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("the second write did not wait for the sync interval")
				}
				for deadline := time.Now().Add(10 * time.Second); len(s.writes) < tc.appends-1; {
					if time.Now().After(deadline) {
						t.Fatalf("%d of %d appends queued", len(s.writes)+1, tc.appends)
					}
					time.Sleep(time.Millisecond)
				}
			}
			close(release)
			for range tc.appends {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if len(waits) > 0 {
				t.Fatalf("writer waited %s with an interval of %s", <-waits, tc.interval)
			}
			if got := writes.Load(); got != tc.writes {
				t.Fatalf("%d writes, want %d", got, tc.writes)
			}
			_, recs, err := s.Read(100, 1<<20)
			if err != nil || len(recs) != 1+tc.appends {
				t.Fatalf("read %d records (%v), want %d", len(recs), err, 1+tc.appends)
			}
		})
	}
}

func TestSpoolClosedRefusesAppends(t *testing.T) {
	s, _ := OpenSpool(t.TempDir(), SpoolOptions{MaxBytes: 1 << 20})
	s.Close()
	if err := s.Append(context.Background(), [][]byte{[]byte("x")}); err == nil {
		t.Fatal("append after close succeeded")
	}
}

// Acknowledged records stay in the log until enough of them gather (see pruneBytes),
// but are never handed out again, counted, or replayed after a clean close.
func TestSpoolAckedRecordsAreNotHandedOutAgain(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, SpoolOptions{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if err := s.Append(ctx, [][]byte{[]byte(fmt.Sprintf("r%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	first, recs, _ := s.Read(4, 1<<30)
	if err := s.Ack(first+uint64(len(recs))-1, 0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.log.FirstIndex(); got != first {
		t.Fatalf("4 small records pruned at once: first index %d, want %d", got, first)
	}
	if n, _ := s.Len(); n != 6 {
		t.Fatalf("Len = %d after acknowledging 4 of 10, want 6", n)
	}
	if err := s.Rewind(); err != nil {
		t.Fatal(err)
	}
	if _, recs, _ := s.Read(100, 1<<30); len(recs) != 6 || string(recs[0]) != "r4" {
		t.Fatalf("after rewind: %q, want r4..r9", recs)
	}
	s = reopenSpool(t, s, dir)
	if _, recs, _ := s.Read(100, 1<<30); len(recs) != 6 || string(recs[0]) != "r4" {
		t.Fatalf("after reopen: %q, want r4..r9", recs)
	}
}

// reopenSpool closes s and opens its directory again, as a new process would; the
// new spool is closed at the end of the test.
func reopenSpool(t *testing.T, s *Spool, dir string) *Spool {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := OpenSpool(dir, SpoolOptions{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
