package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// diskMeter measures what was written to the block device under the spool over an
// interval, and how much of it srg wrote. A spool fsync waits until the device has
// stored everything written to it before, by any process, so what else writes to
// the same disk (Elasticsearch's segments and merges above all) lengthens it.
type diskMeter struct {
	dev      string // "major:minor" of the device
	pid      int
	dev0     int64
	srv0     int64
	at       time.Time
	disabled bool
}

func startDiskMeter(dir string, pid int) diskMeter {
	m := diskMeter{pid: pid, at: time.Now()}
	var err error
	if m.dev, err = deviceOf(dir); err == nil {
		m.dev0, err = deviceWrittenBytes(m.dev)
	}
	if err == nil {
		m.srv0, err = processWrittenBytes(pid)
	}
	m.disabled = err != nil
	return m
}

// diskUsage is what a diskMeter measured, in bytes per second.
type diskUsage struct {
	srv, rest float64
	ok        bool
}

func (m diskMeter) stop() diskUsage {
	if m.disabled {
		return diskUsage{}
	}
	dev, err1 := deviceWrittenBytes(m.dev)
	srv, err2 := processWrittenBytes(m.pid)
	if err1 != nil || err2 != nil {
		return diskUsage{}
	}
	secs := max(time.Since(m.at).Seconds(), 1e-9)
	own := float64(srv - m.srv0)
	return diskUsage{srv: own / secs, rest: max(float64(dev-m.dev0)-own, 0) / secs, ok: true}
}

// String reports the write rates as "disk: srg 2.1 MB/s rest 6.0 MB/s" (rest is
// every other writer to the device: Elasticsearch, Postgres, the file system's
// journal), or nothing when they could not be read.
func (u diskUsage) String() string {
	if !u.ok {
		return ""
	}
	return fmt.Sprintf("disk: srg %.1f MB/s rest %.1f MB/s", u.srv/1e6, u.rest/1e6)
}

// deviceWrittenBytes reads the bytes written to device dev ("major:minor") from
// /proc/diskstats.
func deviceWrittenBytes(dev string) (int64, error) {
	b, err := os.ReadFile("/proc/diskstats")
	if err != nil {
		return 0, errNoProc
	}
	return parseDiskstats(string(b), dev)
}

// parseDiskstats finds dev's line in /proc/diskstats and returns its sectors
// written (the tenth field; a sector is always 512 bytes there) in bytes.
func parseDiskstats(stats, dev string) (int64, error) {
	major, minor, _ := strings.Cut(dev, ":")
	for _, line := range strings.Split(stats, "\n") {
		f := strings.Fields(line)
		if len(f) < 10 || f[0] != major || f[1] != minor {
			continue
		}
		sectors, err := strconv.ParseInt(f[9], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: malformed /proc/diskstats line for %s", dev)
		}
		return sectors * 512, nil
	}
	return 0, fmt.Errorf("bench: device %s is not in /proc/diskstats", dev)
}

// processWrittenBytes is the bytes process pid has caused to be written to storage,
// from /proc/<pid>/io.
func processWrittenBytes(pid int) (int64, error) {
	v, err := procValue(pid, "io", "write_bytes")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bench: write_bytes of %d: %q", pid, v)
	}
	return n, nil
}
