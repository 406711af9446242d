package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDiskstats(t *testing.T) {
	const stats = ` 254       0 vda 1566997 188303 88616210 4346020 11192055 1763506 474693968 4271363 0 2683376 10264762
 254       1 vda1 10 0 80 1 7 0 56 3 0 4 4
 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   8      16 sdb 1 2 3 4 5 6 x 8 9 10 11
`
	tests := []struct {
		dev     string
		want    int64
		wantErr string
	}{
		{"254:0", 474693968 * 512, ""},
		{"254:1", 56 * 512, ""},
		{"253:0", 0, ""},
		{"8:16", 0, "malformed"},
		{"7:3", 0, "not in /proc/diskstats"},
	}
	for _, tt := range tests {
		got, err := parseDiskstats(stats, tt.dev)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.dev, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %d, %v; want %d", tt.dev, got, err, tt.want)
		}
	}
}

// TestDiskMeter writes and fsyncs a file where the bench puts the spool: the meter
// must count it as this process's writes.
func TestDiskMeter(t *testing.T) {
	dir := t.TempDir()
	m := startDiskMeter(dir, os.Getpid())
	if m.disabled {
		t.Fatalf("disk meter cannot read the device of %s (%q) or /proc/self/io", dir, m.dev)
	}
	const size = 4 << 20
	f, err := os.Create(filepath.Join(dir, "w"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	u := m.stop()
	if !u.ok || u.srv <= 0 || u.rest < 0 {
		t.Fatalf("usage = %+v, want this process's %d bytes counted", u, size)
	}
	if s := u.String(); !strings.HasPrefix(s, "disk: srg ") {
		t.Errorf("String() = %q", s)
	}
	if s := (diskUsage{}).String(); s != "" {
		t.Errorf("unmeasured usage prints %q", s)
	}
}
