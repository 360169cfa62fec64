package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of CPU times in /proc/<pid>/stat; 100 on every
// Linux platform Go supports.
const clockTicks = 100

// procStat is what the benchmark reads from /proc/<pid>/stat.
type procStat struct {
	ppid int
	cpu  time.Duration // user plus system
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(string(b))
}

// cpuTime returns the user plus system CPU time a process has used.
func cpuTime(pid int) (time.Duration, error) {
	st, err := readStat(pid)
	return st.cpu, err
}

// parseStat reads ppid, utime and stime from /proc/<pid>/stat. The command name,
// in parentheses, may hold spaces, so fields are counted after its closing ")".
func parseStat(s string) (procStat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("bad /proc stat %q", s)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state): ppid is field 4, utime and stime fields 14 and 15.
	if len(f) < 13 {
		return procStat{}, fmt.Errorf("short /proc stat %q", s)
	}
	var n [3]int64
	for j, v := range []string{f[1], f[11], f[12]} {
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("bad /proc stat %q: %w", s, err)
		}
		n[j] = x
	}
	return procStat{ppid: int(n[0]), cpu: time.Duration(n[1]+n[2]) * time.Second / clockTicks}, nil
}

// children returns the CPU time of each child process of parent.
func children(parent int) map[int]time.Duration {
	out := map[int]time.Duration{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil && st.ppid == parent {
			out[pid] = st.cpu
		}
	}
	return out
}

// cpuMeter measures the CPU the service, its function processes, the broker and
// this process (which hosts the HTTP function) use during a row.
type cpuMeter struct {
	svc, broker, self int
	start             [3]time.Duration
	fns               map[int]time.Duration
	wall              time.Time
}

func (b *bench) meterCPU() *cpuMeter {
	m := &cpuMeter{svc: b.svc.pid, broker: b.broker.PID(), self: os.Getpid(), wall: time.Now()}
	for i, p := range []int{m.svc, m.broker, m.self} {
		m.start[i], _ = cpuTime(p)
	}
	m.fns = children(m.svc)
	return m
}

// perGB is the service's CPU time since meterCPU per gigabyte (1e9 bytes) of
// message bodies delivered: what a row costs mqtrigger for each byte it moves.
func (m *cpuMeter) perGB(bodyBytes int64) string {
	t, err := cpuTime(m.svc)
	if err != nil || bodyBytes <= 0 {
		return ""
	}
	return fmt.Sprintf("mqtrigger %.2f CPU-s per GB of bodies", (t-m.start[0]).Seconds()/(float64(bodyBytes)/1e9))
}

// Note describes the CPU each used since meterCPU, as a share of one core.
// Function processes that ended during the row are not counted.
func (m *cpuMeter) Note() string {
	elapsed := time.Since(m.wall).Seconds()
	if elapsed <= 0 {
		return ""
	}
	pct := func(d time.Duration) string { return fmt.Sprintf("%.0f%%", d.Seconds()/elapsed*100) }
	var parts []string
	for i, name := range []string{"mqtrigger", "broker", "benchmark process (HTTP function)"} {
		pid := []int{m.svc, m.broker, m.self}[i]
		if pid == 0 {
			continue
		}
		if t, err := cpuTime(pid); err == nil {
			parts = append(parts, name+" "+pct(t-m.start[i]))
		}
	}
	var fns time.Duration
	now := children(m.svc)
	for pid, t := range now {
		fns += t - m.fns[pid]
	}
	if len(now) > 0 {
		parts = append(parts, fmt.Sprintf("%d function processes %s", len(now), pct(fns)))
	}
	return "CPU (of one core) while running: " + strings.Join(parts, ", ")
}
