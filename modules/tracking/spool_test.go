package tracking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestSpoolAppendReadAckAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, 1<<20, nil)
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
	s, err := OpenSpool(t.TempDir(), 1000, nil)
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
	s, err := OpenSpool(t.TempDir(), 1<<20, func(d time.Duration) { took = append(took, d) })
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

func TestSpoolClosedRefusesAppends(t *testing.T) {
	s, _ := OpenSpool(t.TempDir(), 1<<20, nil)
	s.Close()
	if err := s.Append(context.Background(), [][]byte{[]byte("x")}); err == nil {
		t.Fatal("append after close succeeded")
	}
}

// Acknowledged records stay in the log until enough of them gather (see pruneBytes),
// but are never handed out again, counted, or replayed after a clean close.
func TestSpoolAckedRecordsAreNotHandedOutAgain(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, 1<<20, nil)
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
	s, err := OpenSpool(dir, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
