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

// cpuTime returns the user plus system CPU time a process has used.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStat(string(b))
}

// parseStat reads utime and stime from /proc/<pid>/stat. The command name, in
// parentheses, may hold spaces, so fields are counted after its closing ")".
func parseStat(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("bad /proc stat %q", s)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat %q", s)
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bad /proc stat %q: %w", s, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// cpuMeter measures the CPU the service and the broker use during a row.
type cpuMeter struct {
	pids  []int
	start []time.Duration
	wall  time.Time
}

func (b *bench) meterCPU() *cpuMeter {
	m := &cpuMeter{pids: []int{b.svc.pid, b.broker.PID()}, wall: time.Now()}
	for _, p := range m.pids {
		t, _ := cpuTime(p)
		m.start = append(m.start, t)
	}
	return m
}

// Note describes the CPU each process used since meterCPU, as a share of one core.
func (m *cpuMeter) Note() string {
	elapsed := time.Since(m.wall).Seconds()
	var parts []string
	for i, name := range []string{"mqtrigger", "broker"} {
		t, err := cpuTime(m.pids[i])
		if err != nil || m.pids[i] == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.0f%%", name, (t-m.start[i]).Seconds()/elapsed*100))
	}
	if len(parts) == 0 {
		return ""
	}
	return "CPU (of one core) while running: " + strings.Join(parts, ", ")
}
