package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/mqtrigger/mqtrigger/esm"
)

// Figures are one mapping's counters since this node started it, and its
// gauges now, read from the supervisor's Prometheus series.
type Figures struct {
	Received     float64
	Acknowledged float64
	Filtered     float64
	Redelivered  float64
	DeadLettered float64
	Invocations  float64
	Errors       float64 // invocations that failed or could not run
	Concurrency  float64 // batches being processed now
	Consumers    float64
	Time         int64 // when they were read, ms since the epoch: the pages chart rates from it
}

// series maps the supervisor's metric names to the figures they fill.
var series = map[string]func(*Figures) *float64{
	"mqtrigger_messages_received_total":      func(f *Figures) *float64 { return &f.Received },
	"mqtrigger_messages_acknowledged_total":  func(f *Figures) *float64 { return &f.Acknowledged },
	"mqtrigger_messages_filtered_total":      func(f *Figures) *float64 { return &f.Filtered },
	"mqtrigger_messages_redelivered_total":   func(f *Figures) *float64 { return &f.Redelivered },
	"mqtrigger_messages_dead_lettered_total": func(f *Figures) *float64 { return &f.DeadLettered },
	"mqtrigger_invocations_total":            func(f *Figures) *float64 { return &f.Invocations },
	"mqtrigger_invocation_errors_total":      func(f *Figures) *float64 { return &f.Errors },
	"mqtrigger_concurrent_executions":        func(f *Figures) *float64 { return &f.Concurrency },
	"mqtrigger_consumers":                    func(f *Figures) *float64 { return &f.Consumers },
}

func (c *Console) figures(uuid string) Figures {
	f := Figures{Time: c.opts.Now().UnixMilli()}
	if c.opts.Metrics == nil {
		return f
	}
	mfs, err := c.opts.Metrics.Gather()
	if err != nil {
		c.log.Warn("console: gathering metrics", "err", err)
	}
	for _, mf := range mfs {
		field := series[mf.GetName()]
		if field == nil {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label(m, "mapping") != uuid {
				continue
			}
			*field(&f) += value(m)
		}
	}
	return f
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return 0
}

func (c *Console) serveFigures(w http.ResponseWriter, uuid string) {
	if uuid == "" || strings.Contains(uuid, "/") {
		writeError(w, http.StatusNotFound, "NotFound", "give a mapping UUID")
		return
	}
	writeJSON(w, http.StatusOK, c.figures(uuid))
}

// Broker is a configured broker as the brokers page shows it.
type Broker struct {
	Name      string
	ARN       string
	Endpoints []string
	// Connection is "connected", "disconnected" (the last attempt failed) or
	// "idle" (no trigger has needed it since this node started).
	Connection string
}

func (c *Console) brokers() []Broker {
	up := map[string]float64{}
	if c.opts.Metrics != nil {
		mfs, _ := c.opts.Metrics.Gather()
		for _, mf := range mfs {
			if mf.GetName() != "mqtrigger_broker_connection_up" {
				continue
			}
			for _, m := range mf.GetMetric() {
				up[label(m, "broker")] = value(m)
			}
		}
	}
	out := make([]Broker, 0, len(c.opts.Config.Brokers))
	for _, b := range c.opts.Config.Brokers {
		conn := "idle"
		if v, ok := up[b.Name]; ok {
			conn = "disconnected"
			if v > 0 {
				conn = "connected"
			}
		}
		out = append(out, Broker{Name: b.Name, ARN: b.ARN, Endpoints: b.Endpoints, Connection: conn})
	}
	return out
}

// maxDeadLetters bounds a listing.
const maxDeadLetters = 200

func (c *Console) serveDeadLetters(w http.ResponseWriter, r *http.Request, uuid string) {
	if uuid == "" || strings.Contains(uuid, "/") {
		writeError(w, http.StatusNotFound, "NotFound", "give a mapping UUID")
		return
	}
	if c.opts.DeadLetters == nil {
		writeError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "this server cannot read dead-letter queues")
		return
	}
	q := r.URL.Query().Get("queue")
	if q == "" {
		q = "ActiveMQ.DLQ"
	}
	limit := maxDeadLetters
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxDeadLetters {
			writeError(w, http.StatusBadRequest, "InvalidParameterValueException", "limit must be 1 to "+strconv.Itoa(maxDeadLetters))
			return
		}
		limit = n
	}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	msgs, err := c.opts.DeadLetters(ctx, uuid, q, limit)
	if errors.Is(err, esm.ErrNotFound) {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "the trigger "+uuid+" does not exist")
		return
	}
	if err != nil {
		writeError(w, http.StatusBadGateway, "BrokerUnavailableException", err.Error())
		return
	}
	if msgs == nil {
		msgs = []DeadLetter{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"DeadLetterQueue": q, "Messages": msgs})
}
