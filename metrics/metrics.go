// Package metrics holds the Prometheus collectors of segmentbot in one
// registry of its own, so tests and several servers in one process never
// collide on the global default registry.
//
// It only declares and serves collectors; it must not decide what to count:
// handlers, the bot and the importer increment them.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of collectors the service exports.
type Metrics struct {
	Registry *prometheus.Registry

	// Requests counts HTTP requests by route template, method and status.
	Requests *prometheus.CounterVec
	// Latency observes HTTP request durations in seconds by route template.
	Latency *prometheus.HistogramVec
	// MembershipChanges counts joins and leaves by source (button, keyword,
	// import, api, ...) and action (join, leave).
	MembershipChanges *prometheus.CounterVec
	// ImportsFinished counts imports reaching a final status.
	ImportsFinished *prometheus.CounterVec
	// ImportRows counts import rows by outcome.
	ImportRows *prometheus.CounterVec
	// WarningsSent counts late-upload warnings delivered.
	WarningsSent prometheus.Counter
	// BroadcastSends counts broadcast send attempts by channel and status
	// (sent, failed, retried).
	BroadcastSends *prometheus.CounterVec
	// BroadcastSendLatency observes how long one broadcast send took, by
	// channel.
	BroadcastSendLatency *prometheus.HistogramVec
}

// New returns Metrics registered in a fresh registry together with the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "segmentbot",
			Name:      "http_requests_total",
			Help:      "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "segmentbot",
			Name:      "http_request_duration_seconds",
			Help:      "HTTP request latency by route.",
			Buckets:   prometheus.DefBuckets,
		}, []string{"route"}),
		MembershipChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "segmentbot",
			Name:      "membership_changes_total",
			Help:      "Segment membership changes by source and action.",
		}, []string{"source", "action"}),
		ImportsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "segmentbot",
			Name:      "imports_finished_total",
			Help:      "Imports that reached a final status, by status.",
		}, []string{"status"}),
		ImportRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "segmentbot",
			Name:      "import_rows_total",
			Help:      "Import rows by outcome.",
		}, []string{"outcome"}),
		WarningsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "segmentbot",
			Name:      "warnings_sent_total",
			Help:      "Late-upload warnings delivered to admins.",
		}),
		BroadcastSends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "segmentbot",
			Name:      "broadcast_sends_total",
			Help:      "Broadcast send attempts by channel and status (sent, failed, retried).",
		}, []string{"channel", "status"}),
		BroadcastSendLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "segmentbot",
			Name:      "broadcast_send_duration_seconds",
			Help:      "Latency of one broadcast send, by channel.",
			Buckets:   prometheus.DefBuckets,
		}, []string{"channel"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.Requests, m.Latency, m.MembershipChanges, m.ImportsFinished, m.ImportRows, m.WarningsSent,
		m.BroadcastSends, m.BroadcastSendLatency,
	)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
