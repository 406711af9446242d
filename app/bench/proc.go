package bench

import (
	"bytes"
	"context"
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
	v, err := procValue(pid, "status", "VmRSS")
	if err != nil {
		return 0, err
	}
	kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bench: VmRSS of %d: %q", pid, v)
	}
	return kb, nil
}

// procValue is the value of the "key: value" line of /proc/<pid>/<file> (status,
// io), without surrounding space.
func procValue(pid int, file, key string) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + file)
	if err != nil {
		return "", errNoProc
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("bench: no %s for process %d", key, pid)
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

// machineCPU reads /proc/stat: busy is the CPU time all processors have spent on
// anything but idling, steal the part of it the hypervisor gave to other machines.
// Set against the bench's and the server's own, busy shows what the rest of a shared
// machine (Elasticsearch, Postgres, other work) took.
func machineCPU() (busy, steal time.Duration, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, errNoProc
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseCPULine(line)
}

func parseCPULine(line string) (busy, steal time.Duration, err error) {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("bench: malformed /proc/stat")
	}
	var ticks, stolen int64
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("bench: malformed /proc/stat")
		}
		if i != 3 && i != 4 {
			ticks += n
		}
		if i == 7 {
			stolen = n
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond, time.Duration(stolen) * 10 * time.Millisecond, nil
}

// cpuMeter measures how the CPU was shared over an interval.
type cpuMeter struct {
	pid                       int
	self, srv, machine, steal time.Duration
	at                        time.Time
}

func startCPUMeter(pid int) cpuMeter {
	m := cpuMeter{pid: pid, at: time.Now()}
	m.self, _ = cpuTime(os.Getpid())
	m.srv, _ = cpuTime(pid)
	m.machine, m.steal, _ = machineCPU()
	return m
}

// cpuUsage is the CPU time spent over a cpuMeter's interval.
type cpuUsage struct {
	self, srv, machine, steal time.Duration
	elapsed                   time.Duration
}

// stop reads the CPU time spent since the start, once for every figure of it.
func (m cpuMeter) stop() cpuUsage {
	self, _ := cpuTime(os.Getpid())
	srv, err := cpuTime(m.pid)
	if err != nil {
		srv = m.srv
	}
	machine, steal, err := machineCPU()
	if err != nil {
		machine, steal = m.machine, m.steal
	}
	return cpuUsage{self: self - m.self, srv: srv - m.srv, machine: machine - m.machine, steal: steal - m.steal, elapsed: time.Since(m.at)}
}

// String reports the CPU use, in percent of one core, as
// "cpu: bench 15% srg 75% rest 80% steal 2%" (steal is part of rest: CPU time the
// hypervisor gave to other machines).
func (u cpuUsage) String() string {
	secs := u.elapsed.Seconds()
	pct := func(d time.Duration) float64 { return 100 * d.Seconds() / max(secs, 1e-9) }
	rest := u.machine - u.self - u.srv
	return fmt.Sprintf("cpu: bench %3.0f%% srg %3.0f%% rest %3.0f%% steal %2.0f%%", pct(u.self), pct(u.srv), pct(max(rest, 0)), pct(u.steal))
}

// quietShare is the busy share of all processors under which the machine counts as
// quiet enough to start loading it: a freshly started Elasticsearch compiles and
// merges for minutes, and a step run meanwhile measures that as much as srg.
const quietShare = 0.25

// waitQuiet samples busy (cumulative CPU time of all processors) every interval
// until one interval's share of the cpus is under quietShare or limit has passed.
// It returns the last interval's busy time in percent of one core and whether the
// machine became quiet.
func waitQuiet(ctx context.Context, busy func() (time.Duration, error), cpus int, interval, limit time.Duration) (pct float64, quiet bool, err error) {
	last, err := busy()
	if err != nil {
		return 0, false, err
	}
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-ctx.Done():
			return 0, false, ctx.Err()
		case <-time.After(interval):
		}
		now, err := busy()
		if err != nil {
			return 0, false, err
		}
		share := (now - last).Seconds() / interval.Seconds()
		last = now
		if share < quietShare*float64(cpus) {
			return 100 * share, true, nil
		}
		if time.Now().After(deadline) {
			return 100 * share, false, nil
		}
	}
}
