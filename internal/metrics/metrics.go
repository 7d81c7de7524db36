// Package metrics is Vigie's Prometheus instrumentation: the only package that imports
// client_golang. It owns one registry per process (no global), the counters and histograms the
// other packages feed through plain callbacks wired in cmd/vigie (HTTP requests, imports,
// evaluations, job runs), and a collector that reads the state of the platform (schools per
// status per academy, freshness of each source) from a function at scrape time, cached for a
// short while so that several scrapers do not load the database.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "vigie"

// Outcomes of an import, as the vigie_imports_total label says.
const (
	ImportAccepted  = "accepted"
	ImportDuplicate = "duplicate"
	ImportRejected  = "rejected" // bad input: the file was refused and recorded
	ImportFailed    = "failed"   // Vigie failed (database): the file was not recorded
)

// State is what the platform looks like at scrape time, read from the database.
type State struct {
	// Schools counts the schools of each academy by status of their latest result (ready,
	// at_risk, not_ready, or none when never evaluated).
	Schools []SchoolCount
	// Sources gives, per academy and source, the time of the newest accepted import.
	Sources []SourceTime
}

// SchoolCount is one (academy, status) count.
type SchoolCount struct {
	Academy string
	Status  string
	N       int
}

// SourceTime is the newest accepted import of a source in an academy.
type SourceTime struct {
	Academy string
	Source  string
	Newest  time.Time
}

// StateFunc reads the State (e.g. from the store).
type StateFunc func(ctx context.Context) (State, error)

// Options configure the metrics.
type Options struct {
	Version string
	// State is read at scrape time (nil: no state gauges); StateTTL is how long a reading is
	// reused (default 30 s), StateTimeout the time it may take (default 10 s).
	State        StateFunc
	StateTTL     time.Duration
	StateTimeout time.Duration
	Logger       *slog.Logger
	Now          func() time.Time // nil: time.Now
}

// Metrics holds Vigie's registry and instruments. It is safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	imports     *prometheus.CounterVec
	importBytes *prometheus.CounterVec

	evalDuration *prometheus.HistogramVec
	evalSchools  *prometheus.CounterVec
	evalRuns     *prometheus.CounterVec
	evalRate     *prometheus.GaugeVec

	jobRuns     *prometheus.CounterVec
	jobDuration *prometheus.HistogramVec
	jobSkips    *prometheus.CounterVec
	jobLastDone *prometheus.GaugeVec
}

// New returns the metrics of one process, with the Go runtime and process collectors.
func New(opts Options) *Metrics {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StateTTL <= 0 {
		opts.StateTTL = 30 * time.Second
	}
	if opts.StateTimeout <= 0 {
		opts.StateTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time to answer an HTTP request, by method, route pattern and status code.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120},
	}, []string{"method", "route", "code"})
	m.httpInFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "http", Name: "requests_in_flight", Help: "HTTP requests being answered.",
	})
	m.imports = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "imports_total",
		Help: "Files imported, by kind (sts, siecle, links, ent...) and outcome (accepted, duplicate, rejected, failed).",
	}, []string{"kind", "outcome"})
	m.importBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "import_bytes_total", Help: "Bytes of the files imported, by kind and outcome.",
	}, []string{"kind", "outcome"})
	m.evalDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "evaluation", Name: "duration_seconds",
		Help:    "Time of an evaluation run, by scope (academy: every school; school: one).",
		Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200},
	}, []string{"scope"})
	m.evalSchools = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "evaluation", Name: "schools_total",
		Help: "Schools evaluated, by academy: rate() gives schools per second.",
	}, []string{"academy"})
	m.evalRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "evaluation", Name: "runs_total", Help: "Evaluation runs, by scope and outcome (done, failed).",
	}, []string{"scope", "outcome"})
	m.evalRate = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "evaluation", Name: "last_schools_per_second",
		Help: "Schools per second of the last whole-academy evaluation this replica ran.",
	}, []string{"academy"})
	m.jobRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "job", Name: "runs_total",
		Help: "Scheduled job runs this replica closed, by job and status (done, failed after retries).",
	}, []string{"job", "status"})
	m.jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "job", Name: "duration_seconds", Help: "Time of a scheduled job run, retries included.",
		Buckets: []float64{.1, .5, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 2400, 3600},
	}, []string{"job"})
	m.jobSkips = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "job", Name: "skips_total",
		Help: "Times this replica's schedule fired for a job it did not run, by reason (locked: another replica runs it; done: the slot is recorded).",
	}, []string{"job", "reason"})
	m.jobLastDone = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "job", Name: "last_success_timestamp_seconds",
		Help: "When this replica last finished a run of the job successfully (Unix time).",
	}, []string{"job"})
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info", Help: "Always 1; the version label says which build runs.",
		ConstLabels: prometheus.Labels{"version": opts.Version},
	})
	build.Set(1)
	m.reg.MustRegister(m.httpDuration, m.httpInFlight, m.imports, m.importBytes, m.evalDuration, m.evalSchools, m.evalRuns,
		m.evalRate, m.jobRuns, m.jobDuration, m.jobSkips, m.jobLastDone, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if opts.State != nil {
		m.reg.MustRegister(newStateCollector(opts))
	}
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
}

// RequestStarted and RequestDone bracket an HTTP request; route is the pattern (never the raw
// path, so that the label set stays small).
func (m *Metrics) RequestStarted() { m.httpInFlight.Inc() }

// RequestDone records an answered request.
func (m *Metrics) RequestDone(method, route string, status int, elapsed time.Duration) {
	m.httpInFlight.Dec()
	if route == "" {
		route = "unmatched"
	}
	m.httpDuration.WithLabelValues(method, route, strconv.Itoa(status)).Observe(elapsed.Seconds())
}

// Import records one imported file.
func (m *Metrics) Import(kind, outcome string, bytes int64) {
	if kind == "" {
		kind = "unknown"
	}
	m.imports.WithLabelValues(kind, outcome).Inc()
	if bytes > 0 {
		m.importBytes.WithLabelValues(kind, outcome).Add(float64(bytes))
	}
}

// Evaluation records an evaluation run of an academy (uai empty) or of one school.
func (m *Metrics) Evaluation(academy string, wholeAcademy bool, schools int, elapsed time.Duration, failed bool) {
	scope, outcome := "school", "done"
	if wholeAcademy {
		scope = "academy"
	}
	if failed {
		outcome = "failed"
	}
	m.evalRuns.WithLabelValues(scope, outcome).Inc()
	m.evalDuration.WithLabelValues(scope).Observe(elapsed.Seconds())
	if failed {
		return
	}
	m.evalSchools.WithLabelValues(academy).Add(float64(schools))
	if wholeAcademy && elapsed > 0 {
		m.evalRate.WithLabelValues(academy).Set(float64(schools) / elapsed.Seconds())
	}
}

// JobRun records a scheduled job run this replica closed.
func (m *Metrics) JobRun(job, status string, elapsed time.Duration, finished time.Time) {
	m.jobRuns.WithLabelValues(job, status).Inc()
	m.jobDuration.WithLabelValues(job).Observe(elapsed.Seconds())
	if status == "done" {
		m.jobLastDone.WithLabelValues(job).Set(float64(finished.Unix()))
	}
}

// JobSkipped records a schedule firing that this replica did not run.
func (m *Metrics) JobSkipped(job, reason string) { m.jobSkips.WithLabelValues(job, reason).Inc() }

// stateCollector turns a State into gauges at scrape time.
type stateCollector struct {
	opts      Options
	schools   *prometheus.Desc
	freshness *prometheus.Desc
	newest    *prometheus.Desc
	up        *prometheus.Desc

	mu      sync.Mutex
	last    State
	lastErr error
	readAt  time.Time
}

func newStateCollector(opts Options) *stateCollector {
	return &stateCollector{
		opts: opts,
		schools: prometheus.NewDesc(namespace+"_schools", "Schools by status of their latest result (none: never evaluated), per academy.",
			[]string{"academy", "status"}, nil),
		freshness: prometheus.NewDesc(namespace+"_source_age_seconds", "Age of the newest accepted import of each source, per academy.",
			[]string{"academy", "source"}, nil),
		newest: prometheus.NewDesc(namespace+"_source_newest_import_timestamp_seconds", "Time of the newest accepted import of each source, per academy (Unix time).",
			[]string{"academy", "source"}, nil),
		up: prometheus.NewDesc(namespace+"_state_up", "1 when the last reading of the platform state from the database succeeded.", nil, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.schools
	ch <- c.freshness
	ch <- c.newest
	ch <- c.up
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.read()
	up := 1.0
	if err != nil {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
	now := c.opts.Now()
	for _, s := range st.Schools {
		ch <- prometheus.MustNewConstMetric(c.schools, prometheus.GaugeValue, float64(s.N), s.Academy, s.Status)
	}
	for _, s := range st.Sources {
		ch <- prometheus.MustNewConstMetric(c.freshness, prometheus.GaugeValue, now.Sub(s.Newest).Seconds(), s.Academy, s.Source)
		ch <- prometheus.MustNewConstMetric(c.newest, prometheus.GaugeValue, float64(s.Newest.Unix()), s.Academy, s.Source)
	}
}

// read returns the cached state, reading it again once it is older than the TTL. A failed
// reading keeps the previous values (and reports vigie_state_up 0) rather than dropping them.
func (c *stateCollector) read() (State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Now()
	if !c.readAt.IsZero() && now.Sub(c.readAt) < c.opts.StateTTL {
		return c.last, c.lastErr
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.StateTimeout)
	defer cancel()
	st, err := c.opts.State(ctx)
	c.readAt, c.lastErr = now, err
	if err != nil {
		c.opts.Logger.Warn("read platform state for metrics", "err", err)
		return c.last, err
	}
	c.last = st
	return st, nil
}
