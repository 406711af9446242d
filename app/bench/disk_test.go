package bench

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
	"time"
)

func TestFsyncLatenciesTimesEveryAppendAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	h, over, err := fsyncLatencies(dir, 50, 300, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h.Count() != 50 {
		t.Fatalf("timed %d appends, want 50", h.Count())
	}
	// Every append takes longer than no time at all.
	if over != 50 {
		t.Fatalf("%d appends over 0, want 50", over)
	}
	if _, over, _ := fsyncLatencies(dir, 5, 300, time.Hour); over != 0 {
		t.Fatalf("%d appends over an hour", over)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Fatalf("files left behind: %v", left)
	}
}

func TestFsyncLatenciesReportsAnUnwritableDirectory(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone")
	if _, _, err := fsyncLatencies(missing, 1, 300, 0); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want a missing directory", err)
	}
}
