package jobs

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	runs        *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	lastSuccess *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "srg_job_runs_total",
			Help: "Job runs by job and result (succeeded, failed, skipped when another run or instance had the tick).",
		}, []string{"job", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "srg_job_duration_seconds",
			Help:    "Duration of job runs.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}, []string{"job"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "srg_job_last_success_timestamp_seconds",
			Help: "When each job last succeeded.",
		}, []string{"job"}),
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.duration, m.lastSuccess)
	}
	return m
}
