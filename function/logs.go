package function

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// A function's log lines: as the runtime wrote them (LogFormat Text) or as Lambda's
// JSON lines (LogFormat JSON), and the end of one invocation's log for Invoke's
// LogType Tail.

// maxTail is how much of an invocation's log LogType Tail returns, as Lambda's.
const maxTail = 4096

// formatLine renders one line of a runtime's output for cfg; keep is false for a
// JSON line below the function's ApplicationLogLevel.
func formatLine(cfg LoggingConfig, line []byte, requestID string, now time.Time) ([]byte, bool) {
	if cfg.LogFormat != "JSON" {
		return line, true
	}
	if len(line) > 0 && line[0] == '{' && json.Valid(line) {
		// Already structured (a JSON slog handler, say): kept, and filtered by its level.
		var l struct {
			Level string `json:"level"`
		}
		_ = json.Unmarshal(line, &l)
		return line, levelAtLeast(l.Level, cfg.ApplicationLogLevel)
	}
	if !levelAtLeast("INFO", cfg.ApplicationLogLevel) {
		return nil, false
	}
	b, _ := json.Marshal(struct {
		Timestamp string `json:"timestamp"`
		Level     string `json:"level"`
		RequestID string `json:"requestId,omitempty"`
		Message   string `json:"message"`
	}{now.UTC().Format("2006-01-02T15:04:05.000Z"), "INFO", requestID, string(line)})
	return b, true
}

// levelAtLeast says whether a line of level passes min; unknown levels pass.
func levelAtLeast(level, min string) bool {
	i := slices.Index(applicationLogLevels, strings.ToUpper(level))
	j := slices.Index(applicationLogLevels, min)
	return i < 0 || j < 0 || i >= j
}

// logTail collects one invocation's log lines, keeping the last maxTail bytes.
type logTail struct {
	mu   sync.Mutex
	buf  []byte
	last time.Time
}

type tailKey struct{}

// withTail asks the invocation run with ctx to collect its log.
func withTail(ctx context.Context) context.Context {
	return context.WithValue(ctx, tailKey{}, &logTail{})
}

func tailFrom(ctx context.Context) *logTail {
	t, _ := ctx.Value(tailKey{}).(*logTail)
	return t
}

func (t *logTail) add(line []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(append(t.buf, line...), '\n')
	if len(t.buf) > 4*maxTail {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-maxTail:]...)
	}
	t.last = time.Now()
}

// bytes returns the last maxTail bytes collected.
func (t *logTail) bytes() []byte {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > maxTail {
		b = b[len(b)-maxTail:]
	}
	return bytes.Clone(b)
}

// settle gives output the runtime wrote before it answered time to come through
// its pipe: it returns once 5 ms pass without a new line, after 50 ms at most.
func (t *logTail) settle() {
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) {
		t.mu.Lock()
		quiet := time.Since(t.last) >= 5*time.Millisecond
		t.mu.Unlock()
		if quiet {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// platformStart and platformEnd write Lambda's START, END and REPORT lines.
func (t *logTail) platformStart(cfg *envConfig, id string) {
	if cfg.logging.LogFormat == "JSON" {
		if levelAtLeast("INFO", cfg.logging.SystemLogLevel) {
			t.addJSON("platform.start", map[string]any{"requestId": id, "version": cfg.version})
		}
		return
	}
	t.add(fmt.Appendf(nil, "START RequestId: %s Version: %s", id, cfg.version))
}

func (t *logTail) platformEnd(cfg *envConfig, id string, res *Result) {
	ms := float64(res.Duration.Microseconds()) / 1000
	billed := int(math.Ceil(ms))
	if cfg.logging.LogFormat == "JSON" {
		if levelAtLeast("INFO", cfg.logging.SystemLogLevel) {
			status := "success"
			if res.FunctionError != "" {
				status = "error"
			}
			t.addJSON("platform.report", map[string]any{"requestId": id, "status": status,
				"metrics": map[string]any{"durationMs": ms, "billedDurationMs": billed, "memorySizeMB": cfg.memory}})
		}
		return
	}
	t.add(fmt.Appendf(nil, "END RequestId: %s", id))
	t.add(fmt.Appendf(nil, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB", id, ms, billed, cfg.memory))
}

func (t *logTail) addJSON(typ string, record map[string]any) {
	b, _ := json.Marshal(map[string]any{"time": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "type": typ, "record": record})
	t.add(b)
}
