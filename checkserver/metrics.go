package checkserver

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the Prometheus series check-server exports. A private registry
// keeps tests independent and /metrics free of surprises.
type Metrics struct {
	Registry      *prometheus.Registry
	decisions     *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	jwksRefreshes *prometheus.CounterVec
	jwksFailures  *prometheus.CounterVec
	cacheHits     prometheus.Counter
	cacheMisses   prometheus.Counter
	sessionHits   prometheus.Counter
	sessionMisses prometheus.Counter
	tokenReviews  *prometheus.CounterVec
}

// NewMetrics registers every series.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "checkserver_decisions_total",
			Help: "Check decisions by result (allow, skip, unauthenticated, invalid, forbidden, unavailable), authentication method and protocol.",
		}, []string{"result", "method", "protocol"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "checkserver_check_duration_seconds",
			Help:    "Time to decide one check.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"protocol", "result"}),
		jwksRefreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "checkserver_jwks_refreshes_total",
			Help: "JWKS fetch attempts per issuer.",
		}, []string{"issuer"}),
		jwksFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "checkserver_jwks_refresh_failures_total",
			Help: "Failed JWKS fetches per issuer (stale keys keep serving).",
		}, []string{"issuer"}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "checkserver_token_cache_hits_total",
			Help: "Bearer tokens answered from the verified-token cache.",
		}),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "checkserver_token_cache_misses_total",
			Help: "Bearer tokens not in the verified-token cache.",
		}),
		sessionHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "checkserver_session_cache_hits_total",
			Help: "Session cookies answered from the session cache.",
		}),
		sessionMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "checkserver_session_cache_misses_total",
			Help: "Session cookies sent to oauth2-proxy.",
		}),
		tokenReviews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "checkserver_tokenreview_total",
			Help: "TokenReview outcomes: authenticated, rejected, error (calls made), negative_cached and limited (refused without a call).",
		}, []string{"result"}),
	}
	m.Registry.MustRegister(m.decisions, m.latency, m.jwksRefreshes, m.jwksFailures, m.cacheHits, m.cacheMisses,
		m.sessionHits, m.sessionMisses, m.tokenReviews,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) observe(protocol string, d Decision, elapsed time.Duration) {
	m.decisions.WithLabelValues(d.Result, d.AuthMethod, protocol).Inc()
	m.latency.WithLabelValues(protocol, d.Result).Observe(elapsed.Seconds())
}

func (m *Metrics) jwksFetch(issuer string, err error) {
	m.jwksRefreshes.WithLabelValues(issuer).Inc()
	if err != nil {
		m.jwksFailures.WithLabelValues(issuer).Inc()
	}
}

func (m *Metrics) tokenReview(result string) { m.tokenReviews.WithLabelValues(result).Inc() }
