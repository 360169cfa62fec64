package esm

import "github.com/prometheus/client_golang/prometheus"

// metrics are the supervisor's Prometheus series, labelled by mapping UUID and function.
type metrics struct {
	received, acked, filtered, redelivered, deadLettered *prometheus.CounterVec
	batches, invocations, invokeErrors                   *prometheus.CounterVec
	batchSize, duration                                  *prometheus.HistogramVec
	concurrent, workers                                  *prometheus.GaugeVec
	connectionUp                                         *prometheus.GaugeVec
	reconnects, asyncErrors                              *prometheus.CounterVec
	consumersAborted                                     *prometheus.CounterVec
}

// mappingMetrics are one mapping's series, resolved once so the hot path does no
// label look-ups.
type mappingMetrics struct {
	received, acked, filtered, redelivered, deadLettered prometheus.Counter
	batches, invocations, invokeErrors                   prometheus.Counter
	consumersAborted                                     prometheus.Counter
	batchSize, duration                                  prometheus.Observer
	concurrent, workers                                  prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	labels := []string{"mapping", "function"}
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "mqtrigger", Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, l []string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "mqtrigger", Name: name, Help: help}, l)
	}
	m := &metrics{
		received:     counter("messages_received_total", "Messages received from the broker."),
		acked:        counter("messages_acknowledged_total", "Messages acknowledged after the function succeeded or a filter dropped them."),
		filtered:     counter("messages_filtered_total", "Messages that matched no filter pattern and were acknowledged without invoking."),
		redelivered:  counter("messages_redelivered_total", "Messages handed back for redelivery after a failed invocation."),
		deadLettered: counter("messages_dead_lettered_total", "Messages sent to the broker's dead-letter queue."),
		batches:      counter("batches_total", "Batches sent to the function."),
		invocations:  counter("invocations_total", "Function invocations that ran (successful or not)."),
		invokeErrors: counter("invocation_errors_total", "Invocations that failed or could not run."),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "mqtrigger", Name: "batch_size",
			Help: "Messages per batch.", Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "mqtrigger", Name: "invocation_duration_seconds",
			Help: "Time from invoking the function to its answer.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 18)}, labels),
		concurrent:   gauge("concurrent_executions", "Batches being processed by the function now.", labels),
		workers:      gauge("consumers", "Queue consumers running for the mapping.", labels),
		connectionUp: gauge("broker_connection_up", "1 when the last connection attempt to the broker succeeded.", []string{"broker"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "mqtrigger", Name: "broker_reconnects_total",
			Help: "Failover reconnects of broker connections."}, []string{"broker"}),
		asyncErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "mqtrigger", Name: "broker_async_errors_total",
			Help: "ConnectionError reports from the broker: a one-way command (an ack, a send) failed; the connection stays."}, []string{"broker"}),
		consumersAborted: counter("consumers_aborted_total", "Consumers the broker closed (its slow-consumer policy); each is opened again."),
	}
	if reg != nil {
		reg.MustRegister(m.received, m.acked, m.filtered, m.redelivered, m.deadLettered, m.batches, m.invocations,
			m.invokeErrors, m.batchSize, m.duration, m.concurrent, m.workers, m.connectionUp, m.reconnects, m.asyncErrors, m.consumersAborted)
	}
	return m
}

func (m *metrics) forMapping(uuid, function string) *mappingMetrics {
	return &mappingMetrics{
		received:         m.received.WithLabelValues(uuid, function),
		acked:            m.acked.WithLabelValues(uuid, function),
		filtered:         m.filtered.WithLabelValues(uuid, function),
		redelivered:      m.redelivered.WithLabelValues(uuid, function),
		deadLettered:     m.deadLettered.WithLabelValues(uuid, function),
		batches:          m.batches.WithLabelValues(uuid, function),
		invocations:      m.invocations.WithLabelValues(uuid, function),
		invokeErrors:     m.invokeErrors.WithLabelValues(uuid, function),
		consumersAborted: m.consumersAborted.WithLabelValues(uuid, function),
		batchSize:        m.batchSize.WithLabelValues(uuid, function),
		duration:         m.duration.WithLabelValues(uuid, function),
		concurrent:       m.concurrent.WithLabelValues(uuid, function),
		workers:          m.workers.WithLabelValues(uuid, function),
	}
}

// forget drops a deleted mapping's series, so /metrics does not grow with every
// mapping ever created.
func (m *metrics) forget(uuid string) {
	l := prometheus.Labels{"mapping": uuid}
	for _, v := range []*prometheus.CounterVec{m.received, m.acked, m.filtered, m.redelivered, m.deadLettered, m.batches, m.invocations, m.invokeErrors, m.consumersAborted} {
		v.DeletePartialMatch(l)
	}
	m.batchSize.DeletePartialMatch(l)
	m.duration.DeletePartialMatch(l)
	m.concurrent.DeletePartialMatch(l)
	m.workers.DeletePartialMatch(l)
}
