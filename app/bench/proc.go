package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

var errNoProc = errors.New("bench: /proc is not available")

// rssKB is the resident set size of process pid from /proc/<pid>/status.
func rssKB(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, errNoProc
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("bench: VmRSS of %d: %q", pid, v)
			}
			return kb, nil
		}
	}
	return 0, fmt.Errorf("bench: no VmRSS for process %d", pid)
}

// cpuTime is the user plus system CPU time process pid has used, from
// /proc/<pid>/stat (in clock ticks of 1/100 s, the value on every Linux platform Go
// supports but alpha and ia64).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, errNoProc
	}
	// The command name (field 2) may hold spaces; fields after it are plain.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("bench: malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("bench: malformed /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bench: malformed /proc/%d/stat", pid)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// machineBusy is the CPU time all processors have spent on anything but idling,
// from /proc/stat: set against the bench's and the server's own, it shows what the
// rest of a shared machine (Elasticsearch, Postgres, other work) took.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, errNoProc
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("bench: malformed /proc/stat")
	}
	var busy int64
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: malformed /proc/stat")
		}
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return time.Duration(busy) * 10 * time.Millisecond, nil
}

// cpuMeter measures how the CPU was shared over an interval.
type cpuMeter struct {
	pid                int
	self, srv, machine time.Duration
	at                 time.Time
}

func startCPUMeter(pid int) cpuMeter {
	m := cpuMeter{pid: pid, at: time.Now()}
	m.self, _ = cpuTime(os.Getpid())
	m.srv, _ = cpuTime(pid)
	m.machine, _ = machineBusy()
	return m
}

// Server is the CPU time the server used since the start.
func (m cpuMeter) Server() time.Duration {
	srv, err := cpuTime(m.pid)
	if err != nil {
		return 0
	}
	return srv - m.srv
}

// String reports the CPU use since the start, in percent of one core, as
// "cpu: bench 15% srg 75% rest 80%".
func (m cpuMeter) String() string {
	self, _ := cpuTime(os.Getpid())
	srv, _ := cpuTime(m.pid)
	machine, _ := machineBusy()
	secs := time.Since(m.at).Seconds()
	pct := func(d time.Duration) float64 { return 100 * d.Seconds() / max(secs, 1e-9) }
	rest := (machine - m.machine) - (self - m.self) - (srv - m.srv)
	return fmt.Sprintf("cpu: bench %3.0f%% srg %3.0f%% rest %3.0f%%", pct(self-m.self), pct(srv-m.srv), pct(max(rest, 0)))
}
