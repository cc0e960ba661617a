// Package runner runs a scenario against a target with Vegeta as a library:
// open-loop pacing from the scenario's ramp, a weighted templated targeter,
// bounded workers and connections, no response bodies kept, live progress,
// raw results streamed as Vegeta gob, and — after the attack — a
// reconciliation that proves no accepted write was lost.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/campaignkit/campaignkit/loadtests/report"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

// config is what Options set.
type config struct {
	scale       float64
	profile     *scenario.Profile
	name        string
	results     io.Writer
	progress    io.Writer
	every       time.Duration
	workers     uint64
	maxWorkers  uint64
	connections int
	timeout     time.Duration
	reconcile   bool
	track       bool
	lockPath    string
	lockWait    time.Duration
	keepHeaders bool
}

// Option configures Run.
type Option func(*config)

// WithScale multiplies the scenario's rates (use Scenario.LocalScale for
// local runs). Default 1.
func WithScale(f float64) Option { return func(c *config) { c.scale = f } }

// WithProfile replaces the scenario's profile (a distributed worker's slice).
func WithProfile(p *scenario.Profile) Option { return func(c *config) { c.profile = p } }

// WithAttackName names the attack in every result. Default the scenario name.
func WithAttackName(n string) Option { return func(c *config) { c.name = n } }

// WithResults streams every raw result to w, Vegeta gob encoded.
func WithResults(w io.Writer) Option { return func(c *config) { c.results = w } }

// WithProgress prints one progress line to w every interval (default 1 s).
func WithProgress(w io.Writer, every time.Duration) Option {
	return func(c *config) { c.progress, c.every = w, every }
}

// WithWorkers sets the initial and maximum number of Vegeta workers. When
// all maxWorkers are busy the rate drops, which the rate check reports.
// Default 10 and 5,000.
func WithWorkers(initial, maxWorkers uint64) Option {
	return func(c *config) { c.workers, c.maxWorkers = initial, maxWorkers }
}

// WithConnections caps connections per host (MaxConnsPerHost). Default no
// cap of its own: with HTTP/1.1 each worker holds at most one connection, so
// the maximum number of workers already bounds them (and the transport
// skips per-host connection accounting, which costs at high rates).
func WithConnections(n int) Option { return func(c *config) { c.connections = n } }

// WithTimeout is the per-request timeout. Default 30 s.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithReconcile turns the write reconciliation on or off. Default on when
// the scenario has a reconcile section.
func WithReconcile(on bool) Option { return func(c *config) { c.reconcile = on } }

// WithLock sets the machine-wide lock file that keeps load tests one at a
// time and how long to wait for it. Default
// $TMPDIR/campaignkit-loadtest.lock, no wait.
func WithLock(path string, wait time.Duration) Option {
	return func(c *config) { c.lockPath, c.lockWait = path, wait }
}

// WithTrackWrites counts accepted writes and their amounts without
// checking the totals (a distributed worker: the coordinator checks the sum
// over all workers). The counts land in Summary.Reconciliation, skipped.
func WithTrackWrites(on bool) Option { return func(c *config) { c.track = on } }

// ErrBusy is returned by Run when another load test holds the lock.
var ErrBusy = errors.New("another load test is running on this machine")

// Outcome is a finished (or interrupted) run.
type Outcome struct {
	Summary   *report.Summary
	Collector *report.Collector
}

// Run attacks base with scenario s and returns the summary. A cancelled ctx
// stops the attack cleanly: the outcome covers what was sent, marked
// interrupted, and reconciliation is skipped. Run returns an error only when
// the run could not happen (lock, target, baseline totals).
func Run(ctx context.Context, s *scenario.Scenario, base string, opts ...Option) (*Outcome, error) {
	c := config{scale: 1, name: s.Name, every: time.Second, workers: 10, maxWorkers: 5000,
		timeout: 30 * time.Second, reconcile: s.Reconcile != nil,
		lockPath: filepath.Join(os.TempDir(), "campaignkit-loadtest.lock")}
	for _, o := range opts {
		o(&c)
	}
	if (c.reconcile || c.track) && s.Reconcile == nil {
		return nil, fmt.Errorf("reconcile: scenario %s has no reconcile section", s.Name)
	}
	unlock, err := lock(ctx, c.lockPath, c.lockWait)
	if err != nil {
		return nil, err
	}
	defer unlock()

	profile := c.profile
	if profile == nil {
		profile = s.Profile(c.scale)
	}
	tr, err := s.Targeter(base, c.reconcile || c.track)
	if err != nil {
		return nil, err
	}
	rec := &recorder{}
	client := newClient(c, rec)
	var totals *totalsReader
	var before totalsValue
	if c.reconcile {
		totals = &totalsReader{client: &http.Client{Timeout: 10 * time.Second}, url: base + s.Reconcile.TotalsPath, rc: s.Reconcile}
		if before, err = totals.read(ctx); err != nil {
			return nil, fmt.Errorf("reconcile: read totals before the attack: %w", err)
		}
	}

	atk := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.Workers(c.workers),
		vegeta.MaxWorkers(c.maxWorkers),
		vegeta.MaxBody(0),
	)
	var enc vegeta.Encoder
	if c.results != nil {
		enc = vegeta.NewEncoder(c.results)
	}
	col := report.NewCollector(fmt.Sprintf("%s → %s", s.Name, base))
	prog := newProgress(profile)
	stopProgress := prog.start(c.progress, c.every)

	began := time.Now()
	results := atk.Attack(tr, profile.Pacer(), profile.Duration, c.name)
	interrupted := false
	done := ctx.Done()
	var encErr error
	for {
		select {
		case <-done:
			interrupted = true
			atk.Stop()
			done = nil // keep draining results until the channel closes
			continue
		case r, ok := <-results:
			if !ok {
				goto finished
			}
			if !c.keepHeaders {
				r.Headers = nil
			}
			if enc != nil && encErr == nil {
				encErr = enc.Encode(r)
			}
			col.Add(r)
			prog.add(r)
		}
	}
finished:
	elapsed := time.Since(began)
	stopProgress()
	if encErr != nil {
		return nil, fmt.Errorf("write results: %w", encErr)
	}
	if elapsed > profile.Duration {
		elapsed = profile.Duration
	}
	meta := report.Meta{
		Scenario: s.Name, Target: base, Elapsed: elapsed, Interrupted: interrupted, Workers: 1,
		ExpectedRequests: profile.ExpectedHits(elapsed), PeakTargetRate: profile.PeakRate(), Profile: profile.Rate,
	}
	if elapsed > 0 {
		meta.TargetRate = meta.ExpectedRequests / elapsed.Seconds()
	}
	var recon *report.Reconciliation
	if c.reconcile || c.track {
		recon = &report.Reconciliation{AcceptedCount: rec.count.Load(), AcceptedSum: rec.sum.Load(), Unanswered: rec.unanswered.Load(),
			BeforeCount: before.count, BeforeSum: before.sum}
		switch {
		case !c.reconcile:
			recon.Skipped = "writes tracked only; the coordinator checks the totals over all workers"
		case interrupted:
			recon.Skipped = "the run was interrupted"
		default:
			totals.drain(context.WithoutCancel(ctx), recon, s.Reconcile, c.progress)
		}
	}
	return &Outcome{Summary: col.Summarize(meta, s.SLO, recon), Collector: col}, nil
}

func newClient(c config, rec *recorder) *http.Client {
	dialer := &net.Dialer{KeepAlive: 30 * time.Second, Timeout: 10 * time.Second}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: int(min(c.maxWorkers, 10000)),
		MaxConnsPerHost:     c.connections,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	rec.next, rec.timeout = tr, c.timeout
	// No Client.Timeout: for a RoundTripper that is not an *http.Transport
	// the client would enforce it the legacy way, with a goroutine and a
	// timer per request; the recorder applies it as a request context.
	return &http.Client{Transport: rec}
}

// recorder strips scenario.ReconcileHeader from outgoing requests, counts
// the accepted (2xx) ones and their amounts, and bounds each request by
// timeout (until its body is closed).
type recorder struct {
	next                   http.RoundTripper
	timeout                time.Duration
	count, sum, unanswered atomic.Int64
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	cancel := context.CancelFunc(func() {})
	if r.timeout > 0 {
		var ctx context.Context
		ctx, cancel = context.WithTimeout(req.Context(), r.timeout)
		req = req.WithContext(ctx)
	}
	amt := req.Header.Get(scenario.ReconcileHeader)
	var n int64
	if amt != "" {
		if _, err := fmt.Sscan(amt, &n); err != nil {
			cancel()
			return nil, fmt.Errorf("reconcile amount %q: %w", amt, err)
		}
		req.Header = req.Header.Clone()
		req.Header.Del(scenario.ReconcileHeader)
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		cancel()
		if amt != "" {
			r.unanswered.Add(1)
		}
		return nil, err
	}
	if amt != "" && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		r.count.Add(1)
		r.sum.Add(n)
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelBody releases the request's timeout context once the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// lock takes an exclusive flock on path, waiting up to wait.
func lock(ctx context.Context, path string, wait time.Duration) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("load test lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%w (lock %s): %v", ErrBusy, path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// progress keeps the live numbers the terminal line shows.
type progress struct {
	profile  *scenario.Profile
	began    time.Time
	mu       sync.Mutex
	total    uint64
	errors   uint64
	window   []time.Duration
	windowN  uint64
	lastLine time.Time
}

func newProgress(p *scenario.Profile) *progress {
	return &progress{profile: p, began: time.Now(), lastLine: time.Now()}
}

func (p *progress) add(r *vegeta.Result) {
	p.mu.Lock()
	p.total++
	if r.Error != "" {
		p.errors++
	}
	p.window = append(p.window, r.Latency)
	p.windowN++
	p.mu.Unlock()
}

// start prints a line every interval until the returned stop is called.
func (p *progress) start(w io.Writer, every time.Duration) func() {
	if w == nil {
		return func() {}
	}
	if every <= 0 {
		every = time.Second
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		var lat []time.Duration
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				p.mu.Lock()
				lat, p.window = p.window, lat[:0]
				n, total, errs := p.windowN, p.total, p.errors
				p.windowN = 0
				since := now.Sub(p.lastLine)
				p.lastLine = now
				p.mu.Unlock()
				elapsed := now.Sub(p.began)
				var p99 time.Duration
				if len(lat) > 0 {
					slices.Sort(lat)
					p99 = lat[min(len(lat)-1, int(float64(len(lat))*0.99))]
				}
				errPct := 0.0
				if total > 0 {
					errPct = 100 * float64(errs) / float64(total)
				}
				fmt.Fprintf(w, "[%6s] target %8.1f rps  achieved %8.1f rps  p99 %9s  errors %d (%.2f%%)  requests %d\n",
					elapsed.Round(time.Second), (p.profile.ExpectedHits(elapsed)-p.profile.ExpectedHits(elapsed-since))/since.Seconds(), float64(n)/since.Seconds(), p99.Round(10*time.Microsecond), errs, errPct, total)
			}
		}
	}()
	return func() { close(stop); <-done }
}
