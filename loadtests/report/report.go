// Package report turns raw Vegeta results into a run's verdict: metrics
// computed once over all results (never merged percentiles), per-request
// breakdowns, the coordinated-omission check of achieved vs target rate, SLO
// verdicts, a JSON summary and a self-contained HTML report around Vegeta's
// own plot.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"github.com/tsenart/vegeta/v12/lib/plot"

	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

// Collector accumulates results. Add every result once (from one attack or
// decoded from many workers' files), then Close. Not safe for concurrent use.
type Collector struct {
	all       vegeta.Metrics
	keys      map[string]string // URL → request key, bounded
	byRequest map[string]*vegeta.Metrics
	reqLat    map[string][]time.Duration
	perSecond map[int64]uint64
	plot      *plot.Plot
	attacks   map[string]uint64
	closed    bool
}

// NewCollector returns an empty collector whose plot carries title.
func NewCollector(title string) *Collector {
	return &Collector{
		keys:      map[string]string{},
		byRequest: map[string]*vegeta.Metrics{},
		reqLat:    map[string][]time.Duration{},
		perSecond: map[int64]uint64{},
		attacks:   map[string]uint64{},
		plot:      plot.New(plot.Title(title), plot.Downsample(4000), plot.Label(plot.ErrorLabeler)),
	}
}

// Add records one result.
func (c *Collector) Add(r *vegeta.Result) {
	c.all.Add(r)
	key, ok := c.keys[r.URL]
	if !ok {
		key = requestKey(r)
		if len(c.keys) < 10000 {
			c.keys[r.URL] = key
		}
	}
	m := c.byRequest[key]
	if m == nil {
		m = &vegeta.Metrics{}
		c.byRequest[key] = m
	}
	m.Add(r)
	c.reqLat[key] = append(c.reqLat[key], r.Latency)
	c.perSecond[r.Timestamp.UnixMilli()/10]++ // 10 ms buckets, re-binned per second from the earliest result
	c.attacks[r.Attack]++
	_ = c.plot.Add(r)
}

// Close finishes the metrics; call it once after the last Add.
func (c *Collector) Close() {
	if c.closed {
		return
	}
	c.closed = true
	c.all.Close()
	for _, m := range c.byRequest {
		m.Close()
	}
	c.plot.Close()
}

// Metrics are the metrics over every result added.
func (c *Collector) Metrics() *vegeta.Metrics { return &c.all }

// requestKey is "METHOD /path" (no scheme, host or query).
func requestKey(r *vegeta.Result) string {
	p := r.URL
	if u, err := url.Parse(r.URL); err == nil {
		p = u.Path
	}
	return r.Method + " " + p
}

// allLatencies concatenates the per-request latencies (every result is in
// exactly one request's slice, so each latency is stored once).
func (c *Collector) allLatencies() []time.Duration {
	n := 0
	for _, l := range c.reqLat {
		n += len(l)
	}
	all := make([]time.Duration, 0, n)
	for _, l := range c.reqLat {
		all = append(all, l...)
	}
	return all
}

// Meta is what the results alone cannot say about a run.
type Meta struct {
	Scenario string `json:"scenario"`
	Target   string `json:"target"`
	// TargetRate is the mean rate the profile asked for over the elapsed
	// time; PeakTargetRate its maximum.
	TargetRate     float64 `json:"targetRate"`
	PeakTargetRate float64 `json:"peakTargetRate"`
	// ExpectedRequests is what the profile asked for over the elapsed time.
	ExpectedRequests float64       `json:"expectedRequests"`
	Elapsed          time.Duration `json:"elapsedNs"`
	Interrupted      bool          `json:"interrupted"`
	// Workers is the number of load generators whose results were merged.
	Workers int `json:"workers"`
	// Profile gives the target rate at an elapsed time (for the rate chart).
	Profile func(time.Duration) float64 `json:"-"`
}

// Latencies are the run's latency quantiles.
type Latencies struct {
	Mean time.Duration `json:"meanNs"`
	P50  time.Duration `json:"p50Ns"`
	P90  time.Duration `json:"p90Ns"`
	P95  time.Duration `json:"p95Ns"`
	P99  time.Duration `json:"p99Ns"`
	Max  time.Duration `json:"maxNs"`
}

// RequestSummary is the breakdown for one method and path.
type RequestSummary struct {
	Request     string         `json:"request"`
	Requests    uint64         `json:"requests"`
	Success     float64        `json:"success"`
	Latencies   Latencies      `json:"latencies"`
	StatusCodes map[string]int `json:"statusCodes"`
}

// Verdict is one SLO or check with its outcome.
type Verdict struct {
	Name      string `json:"name"`
	Threshold string `json:"threshold"`
	Actual    string `json:"actual"`
	Pass      bool   `json:"pass"`
}

// Reconciliation is the proof that no accepted write was lost.
type Reconciliation struct {
	// Skipped says why it did not run ("" when it ran).
	Skipped string `json:"skipped,omitempty"`
	// Accepted writes (2xx) and the sum of their amounts, as the load
	// generator saw them.
	AcceptedCount int64 `json:"acceptedCount"`
	AcceptedSum   int64 `json:"acceptedSum"`
	// Unanswered writes got no response (timeout, reset): the server may
	// or may not have accepted them.
	Unanswered int64 `json:"unanswered"`
	// Before/After are the totals read before the attack and after the drain.
	BeforeCount int64 `json:"beforeCount"`
	BeforeSum   int64 `json:"beforeSum"`
	AfterCount  int64 `json:"afterCount"`
	AfterSum    int64 `json:"afterSum"`
	// Drain is how long the totals took to settle.
	Drain time.Duration `json:"drainNs"`
	// Lost is accepted writes missing from the totals (must be 0).
	Lost int64 `json:"lost"`
	Pass bool  `json:"pass"`
	// Detail explains the verdict in a sentence.
	Detail string `json:"detail"`
}

// Summary is the JSON summary of a run.
type Summary struct {
	Meta
	Start          time.Time        `json:"start"`
	Requests       uint64           `json:"requests"`
	AchievedRate   float64          `json:"achievedRate"`
	Throughput     float64          `json:"throughput"`
	RateRatio      float64          `json:"rateRatio"`
	Success        float64          `json:"success"`
	Latencies      Latencies        `json:"latencies"`
	StatusCodes    map[string]int   `json:"statusCodes"`
	Errors         []string         `json:"errors"`
	ByRequest      []RequestSummary `json:"byRequest"`
	Attacks        map[string]int64 `json:"attacks"`
	SlowSeconds    int              `json:"slowSeconds"`
	PerSecond      []Second         `json:"perSecond"`
	Verdicts       []Verdict        `json:"verdicts"`
	Reconciliation *Reconciliation  `json:"reconciliation,omitempty"`
	Pass           bool             `json:"pass"`
}

// Second is one second of the run: target and achieved request rate.
type Second struct {
	At       int     `json:"at"`
	Target   float64 `json:"target"`
	Achieved uint64  `json:"achieved"`
}

// latencies are exact nearest-rank quantiles over every latency (sorted
// here), so they do not depend on the order results arrived in — unlike
// Vegeta's t-digest estimates — and merging workers' raw results is exact.
func latencies(m *vegeta.Metrics, lat []time.Duration) Latencies {
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return lat[max(0, min(i, len(lat)-1))]
	}
	return Latencies{Mean: m.Latencies.Mean, P50: q(0.50), P90: q(0.90), P95: q(0.95), P99: q(0.99), Max: m.Latencies.Max}
}

// Summarize closes c and evaluates the run against slo; rec may be nil.
func (c *Collector) Summarize(meta Meta, slo scenario.SLO, rec *Reconciliation) *Summary {
	c.Close()
	m := &c.all
	s := &Summary{
		Meta: meta, Start: m.Earliest, Requests: m.Requests, Success: m.Success,
		Latencies: latencies(m, c.allLatencies()), StatusCodes: m.StatusCodes, Errors: m.Errors,
		Throughput: m.Throughput, Reconciliation: rec, Attacks: map[string]int64{},
	}
	s.Errors = slices.Clone(s.Errors)
	slices.Sort(s.Errors) // Vegeta keeps first-seen order, which differs per worker
	if len(s.Errors) > 20 {
		s.Errors = s.Errors[:20]
	}
	if s.Elapsed == 0 && m.Requests > 0 {
		s.Elapsed = m.Latest.Sub(m.Earliest)
	}
	// Achieved rate over the whole run, including seconds where the generator
	// fell behind: requests / elapsed, not Vegeta's first-to-last rate.
	if s.Elapsed > 0 {
		s.AchievedRate = float64(m.Requests) / s.Elapsed.Seconds()
	}
	if s.TargetRate > 0 {
		s.RateRatio = s.AchievedRate / s.TargetRate
	}
	for a, n := range c.attacks {
		s.Attacks[a] = int64(n)
	}
	keys := make([]string, 0, len(c.byRequest))
	for k := range c.byRequest {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rm := c.byRequest[k]
		s.ByRequest = append(s.ByRequest, RequestSummary{Request: k, Requests: rm.Requests, Success: rm.Success, Latencies: latencies(rm, c.reqLat[k]), StatusCodes: rm.StatusCodes})
	}
	if m.Requests > 0 {
		start := m.Earliest.UnixMilli() / 10
		n := int(math.Ceil(s.Elapsed.Seconds()))
		if n == 0 {
			n = 1
		}
		bins := make([]uint64, n)
		for b, cnt := range c.perSecond {
			if i := int((b - start) / 100); i >= 0 && i < n {
				bins[i] += cnt
			}
		}
		for i := 0; i < n; i++ {
			sec := Second{At: i, Achieved: bins[i]}
			if meta.Profile != nil {
				sec.Target = meta.Profile(time.Duration(i)*time.Second + time.Second/2)
			}
			// A second that got less than 90% of its target (the last,
			// partial second excluded) is where the generator fell behind.
			if sec.Target > 0 && float64(sec.Achieved) < 0.9*sec.Target && i < n-1 {
				s.SlowSeconds++
			}
			s.PerSecond = append(s.PerSecond, sec)
		}
	}
	s.Verdicts = Evaluate(s, slo)
	s.Pass = true
	for _, v := range s.Verdicts {
		s.Pass = s.Pass && v.Pass
	}
	return s
}

// Evaluate checks the summary against the SLOs (zero thresholds are
// skipped) and adds the reconciliation verdict when one ran.
func Evaluate(s *Summary, slo scenario.SLO) []Verdict {
	var vs []Verdict
	lat := func(name string, limit, got time.Duration) {
		if limit > 0 {
			vs = append(vs, Verdict{name + " latency", "≤ " + limit.String(), round(got).String(), got <= limit})
		}
	}
	lat("p50", slo.P50, s.Latencies.P50)
	lat("p95", slo.P95, s.Latencies.P95)
	lat("p99", slo.P99, s.Latencies.P99)
	if slo.SuccessRatio > 0 {
		vs = append(vs, Verdict{"success ratio", fmt.Sprintf("≥ %.4g%%", slo.SuccessRatio*100), fmt.Sprintf("%.4g%%", s.Success*100), s.Success >= slo.SuccessRatio})
	}
	if slo.MinRateRatio > 0 && s.TargetRate > 0 {
		vs = append(vs, Verdict{"achieved/target rate (coordinated omission)", fmt.Sprintf("≥ %.3g", slo.MinRateRatio),
			fmt.Sprintf("%.3g (%.1f of %.1f rps)", s.RateRatio, s.AchievedRate, s.TargetRate), s.RateRatio >= slo.MinRateRatio})
	}
	if s.Requests == 0 {
		vs = append(vs, Verdict{"requests", "> 0", "0", false})
	}
	if r := s.Reconciliation; r != nil && r.Skipped == "" {
		vs = append(vs, Verdict{"reconciliation: no accepted write lost", "lost = 0", fmt.Sprintf("lost %d of %d", r.Lost, r.AcceptedCount), r.Pass})
	}
	return vs
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// WriteJSON writes the summary as indented JSON.
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Text is a short human summary for the terminal.
func (s *Summary) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s → %s: %d requests in %s", s.Scenario, s.Target, s.Requests, s.Elapsed.Round(time.Millisecond))
	if s.Interrupted {
		b.WriteString(" (interrupted)")
	}
	fmt.Fprintf(&b, "\n  rate      target %.1f rps, achieved %.1f rps (ratio %.3f), slow seconds %d\n", s.TargetRate, s.AchievedRate, s.RateRatio, s.SlowSeconds)
	fmt.Fprintf(&b, "  latency   p50 %s  p95 %s  p99 %s  max %s\n", round(s.Latencies.P50), round(s.Latencies.P95), round(s.Latencies.P99), round(s.Latencies.Max))
	fmt.Fprintf(&b, "  success   %.4g%%  codes %v\n", s.Success*100, s.StatusCodes)
	if r := s.Reconciliation; r != nil {
		if r.Skipped != "" {
			fmt.Fprintf(&b, "  reconcile skipped: %s\n", r.Skipped)
		} else {
			fmt.Fprintf(&b, "  reconcile %s\n", r.Detail)
		}
	}
	for _, v := range s.Verdicts {
		mark := "PASS"
		if !v.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  %s %-45s %-12s %s\n", mark, v.Name, v.Threshold, v.Actual)
	}
	if s.Pass {
		b.WriteString("  verdict: PASS")
	} else {
		b.WriteString("  verdict: FAIL")
	}
	return b.String()
}

// Decode feeds every result of dec into c until io.EOF.
func (c *Collector) Decode(dec vegeta.Decoder) (int, error) {
	n := 0
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, fmt.Errorf("decode result %d: %w", n+1, err)
		}
		c.Add(&r)
		n++
	}
}
