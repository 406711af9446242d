package syncer

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/mirror"
)

type metrics struct {
	runs        *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	objects     *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
}

// newMetrics registers the sync metrics with reg (nil: unregistered).
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "srg_sync_runs_total", Help: "Connector runs by source, direction and outcome.",
		}, []string{"kind", "direction", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "srg_sync_run_duration_seconds", Help: "Connector run duration.",
			Buckets: prometheus.ExponentialBuckets(0.1, 4, 8),
		}, []string{"kind", "direction"}),
		objects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "srg_sync_objects_total", Help: "Records written by connector runs, by source and record type.",
		}, []string{"kind", "direction", "object"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "srg_sync_last_success_timestamp_seconds", Help: "When a connector last ran without error.",
		}, []string{"kind", "direction"}),
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.duration, m.objects, m.lastSuccess)
	}
	return m
}

func (m *metrics) observe(kind connector.Kind, direction, status string, took time.Duration, counts mirror.Counts) {
	m.runs.WithLabelValues(string(kind), direction, status).Inc()
	m.duration.WithLabelValues(string(kind), direction).Observe(took.Seconds())
	for obj, n := range counts {
		m.objects.WithLabelValues(string(kind), direction, string(obj)).Add(float64(n))
	}
	if status == StatusOK {
		m.lastSuccess.WithLabelValues(string(kind), direction).SetToCurrentTime()
	}
}
