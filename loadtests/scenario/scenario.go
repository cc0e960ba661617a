// Package scenario reads and validates load-test scenario files: the user
// model (peak concurrent users, think time), the weighted request mix with
// templated bodies, the ramp profile, SLOs, the local scale factor, the
// write reconciliation and the campaign calendar used for cost estimates.
// A Scenario turns into a Vegeta pacer (Pacer) and targeter (Targeter).
package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"text/template"
	"time"

	"gopkg.in/yaml.v3"
)

// Scenario is one load test for one app, as written in a YAML file.
type Scenario struct {
	// Name identifies the scenario in reports and attack names.
	Name string `yaml:"name"`
	// App is the app the scenario drives; --local reads .local/<app>/endpoint.json.
	App string `yaml:"app"`
	// Users is the user model; its rate is PeakConcurrentUsers / ThinkTime.
	Users Users `yaml:"users"`
	// Duration is the whole attack. Ramp phases fill it from the start; the
	// time they leave holds the last phase's final rate.
	Duration time.Duration `yaml:"duration"`
	// Ramp is the rate profile as fractions of the target rate. Empty: the
	// target rate for Duration.
	Ramp []Phase `yaml:"ramp"`
	// LocalScale multiplies every rate for runs against the local stack
	// (e.g. 0.001 turns 33,333 rps into 33). Default 1.
	LocalScale float64 `yaml:"localScale"`
	// Vars are values templates read as {{.Vars.name}}.
	Vars map[string]any `yaml:"vars"`
	// Requests is the weighted request mix.
	Requests []Request `yaml:"requests"`
	// SLO are the pass/fail thresholds of a run.
	SLO SLO `yaml:"slo"`
	// Reconcile says how to prove no accepted write was lost.
	Reconcile *Reconcile `yaml:"reconcile"`
	// Capacity holds the per-request figures the planner needs.
	Capacity Capacity `yaml:"capacity"`
	// Calendar are the campaign phases the cost estimate covers.
	Calendar []CalendarPhase `yaml:"calendar"`

	file string
}

// Users is the user model of Little's law.
type Users struct {
	// PeakConcurrentUsers is the number of users on the site at the peak.
	PeakConcurrentUsers int `yaml:"peakConcurrentUsers"`
	// ThinkTime is the time between one user's requests.
	ThinkTime time.Duration `yaml:"thinkTime"`
}

// Phase is one part of the ramp. Kind is constant, linear, steps or spike;
// From/To/Rate/Base/Peak are fractions of the target rate (1 = 100%).
type Phase struct {
	// Kind: "constant" (Rate), "linear" (From → To, vegeta.LinearPacer),
	// "steps" (From → To in Steps equal stairs), "spike" (Base, then Peak
	// for SpikeFor starting At, then Base again).
	Kind     string        `yaml:"kind"`
	Duration time.Duration `yaml:"duration"`
	Rate     float64       `yaml:"rate"`
	From     float64       `yaml:"from"`
	To       float64       `yaml:"to"`
	Steps    int           `yaml:"steps"`
	Base     float64       `yaml:"base"`
	Peak     float64       `yaml:"peak"`
	At       time.Duration `yaml:"at"`
	SpikeFor time.Duration `yaml:"spikeFor"`
}

// Request is one entry of the weighted mix.
type Request struct {
	// Name identifies the request in reconcile and reports.
	Name string `yaml:"name"`
	// Weight is the relative share of the mix (any positive numbers).
	Weight float64 `yaml:"weight"`
	// Method is the HTTP method (default GET).
	Method string `yaml:"method"`
	// Path is a text/template rendered per request and joined to the base URL.
	Path string `yaml:"path"`
	// Headers are sent with every request of this kind.
	Headers map[string]string `yaml:"headers"`
	// Body is a text/template rendered per request (see Funcs).
	Body string `yaml:"body"`
	// Write marks requests that end up as a queued write (planner, cost).
	Write bool `yaml:"write"`

	path, body *template.Template
	header     http.Header
}

// SLO are a run's thresholds; zero values are not checked.
type SLO struct {
	P50 time.Duration `yaml:"p50"`
	P95 time.Duration `yaml:"p95"`
	P99 time.Duration `yaml:"p99"`
	// SuccessRatio is the minimum share of non-error responses (0..1).
	SuccessRatio float64 `yaml:"successRatio"`
	// MinRateRatio is the minimum achieved/target rate (coordinated omission
	// check: an open-loop generator that cannot keep up hides latency).
	MinRateRatio float64 `yaml:"minRateRatio"`
}

// Reconcile describes the check that every accepted write arrived.
type Reconcile struct {
	// Request names the mix entry whose 2xx responses are accepted writes.
	Request string `yaml:"request"`
	// AmountField is the body's JSON field (dots for nesting) summed per
	// accepted write.
	AmountField string `yaml:"amountField"`
	// TotalsPath is the GET path returning the running totals.
	TotalsPath string `yaml:"totalsPath"`
	// CountField and SumField name the totals' JSON fields (dots for nesting).
	CountField string `yaml:"countField"`
	SumField   string `yaml:"sumField"`
	// Timeout bounds the wait for the writer to drain. Default 2m.
	Timeout time.Duration `yaml:"timeout"`
	// PollInterval between totals reads. Default 1s.
	PollInterval time.Duration `yaml:"pollInterval"`
}

// Capacity holds the figures the planner uses beyond the template.
type Capacity struct {
	// MeanDuration is the web tier's mean handler duration. Default 20ms.
	MeanDuration time.Duration `yaml:"meanDuration"`
	// WriterBatchDuration is the writer's mean time per batch. Default 200ms.
	WriterBatchDuration time.Duration `yaml:"writerBatchDuration"`
	// WRUPerWrite is the DynamoDB write units one accepted write costs
	// (item + counter updates before coalescing). Default 2.
	WRUPerWrite float64 `yaml:"wruPerWrite"`
	// RRUPerRead is the read units a read request costs after caching. Default 0.5.
	RRUPerRead float64 `yaml:"rruPerRead"`
	// CoalesceCounters: the writer folds a batch into one counter update
	// per key (hot keys then see batches/s, not writes/s). Default false.
	CoalesceCounters bool `yaml:"coalesceCounters"`
	// CounterKeys is the number of distinct hot counter items (e.g. one
	// per charity plus the grand total). Default 1.
	CounterKeys int `yaml:"counterKeys"`
}

// CalendarPhase is a stretch of the campaign at a steady share of the peak.
type CalendarPhase struct {
	Name string `yaml:"name"`
	// Hours the phase lasts.
	Hours float64 `yaml:"hours"`
	// Load is the mean rate as a fraction of the target rate.
	Load float64 `yaml:"load"`
}

// ErrInvalid wraps every validation problem Load and Parse return.
var ErrInvalid = errors.New("invalid scenario")

// Load reads and validates a scenario file.
func Load(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	s, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.file = path
	return s, nil
}

// Parse decodes and validates a scenario; unknown fields are errors.
func Parse(b []byte) (*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	s.defaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *Scenario) defaults() {
	if s.LocalScale == 0 {
		s.LocalScale = 1
	}
	for i := range s.Requests {
		if s.Requests[i].Method == "" {
			s.Requests[i].Method = http.MethodGet
		}
		s.Requests[i].Method = strings.ToUpper(s.Requests[i].Method)
	}
	if r := s.Reconcile; r != nil {
		if r.Timeout == 0 {
			r.Timeout = 2 * time.Minute
		}
		if r.PollInterval == 0 {
			r.PollInterval = time.Second
		}
	}
	c := &s.Capacity
	if c.MeanDuration == 0 {
		c.MeanDuration = 20 * time.Millisecond
	}
	if c.WriterBatchDuration == 0 {
		c.WriterBatchDuration = 200 * time.Millisecond
	}
	if c.WRUPerWrite == 0 {
		c.WRUPerWrite = 2
	}
	if c.RRUPerRead == 0 {
		c.RRUPerRead = 0.5
	}
	if c.CounterKeys == 0 {
		c.CounterKeys = 1
	}
}

// Validate checks every field and reports all problems, each naming its
// field; it also compiles the request templates.
func (s *Scenario) Validate() error {
	var errs []string
	add := func(field, format string, a ...any) {
		errs = append(errs, field+": "+fmt.Sprintf(format, a...))
	}
	if s.Name == "" {
		add("name", "is required (e.g. \"charityevent\")")
	}
	if s.Users.PeakConcurrentUsers <= 0 {
		add("users.peakConcurrentUsers", "must be > 0, got %d", s.Users.PeakConcurrentUsers)
	}
	if s.Users.ThinkTime <= 0 {
		add("users.thinkTime", "must be > 0 (e.g. \"15s\"), got %s", s.Users.ThinkTime)
	}
	if s.Duration <= 0 {
		add("duration", "must be > 0 (e.g. \"10m\"), got %s", s.Duration)
	}
	if s.LocalScale <= 0 || s.LocalScale > 1 {
		add("localScale", "must be in (0, 1], got %g", s.LocalScale)
	}
	var rampTotal time.Duration
	for i, p := range s.Ramp {
		f := fmt.Sprintf("ramp[%d]", i)
		if p.Duration <= 0 {
			add(f+".duration", "must be > 0, got %s", p.Duration)
		}
		rampTotal += p.Duration
		neg := func(name string, v float64) {
			if v < 0 {
				add(f+"."+name, "must be ≥ 0 (a fraction of the target rate), got %g", v)
			}
		}
		switch p.Kind {
		case "constant":
			neg("rate", p.Rate)
		case "linear":
			neg("from", p.From)
			neg("to", p.To)
		case "steps":
			neg("from", p.From)
			neg("to", p.To)
			if p.Steps < 1 {
				add(f+".steps", "must be ≥ 1, got %d", p.Steps)
			}
		case "spike":
			neg("base", p.Base)
			neg("peak", p.Peak)
			if p.SpikeFor <= 0 {
				add(f+".spikeFor", "must be > 0, got %s", p.SpikeFor)
			}
			if p.At < 0 || p.At+p.SpikeFor > p.Duration {
				add(f+".at", "spike (at %s for %s) must fit in the phase duration %s", p.At, p.SpikeFor, p.Duration)
			}
		default:
			add(f+".kind", "must be one of constant, linear, steps, spike; got %q", p.Kind)
		}
	}
	if s.Duration > 0 && rampTotal > s.Duration {
		add("ramp", "phases last %s, longer than duration %s", rampTotal, s.Duration)
	}
	if len(s.Requests) == 0 {
		add("requests", "at least one request is required")
	}
	names := map[string]bool{}
	for i := range s.Requests {
		r := &s.Requests[i]
		f := fmt.Sprintf("requests[%d]", i)
		if r.Name == "" {
			add(f+".name", "is required")
		} else if names[r.Name] {
			add(f+".name", "%q is used twice", r.Name)
		}
		names[r.Name] = true
		if r.Weight <= 0 {
			add(f+".weight", "must be > 0, got %g", r.Weight)
		}
		if !strings.HasPrefix(r.Path, "/") {
			add(f+".path", "must start with \"/\", got %q", r.Path)
		}
		var err error
		if r.path, err = template.New(r.Name + ".path").Funcs(Funcs()).Parse(r.Path); err != nil {
			add(f+".path", "template: %v", err)
		}
		if r.body, err = template.New(r.Name + ".body").Funcs(Funcs()).Parse(r.Body); err != nil {
			add(f+".body", "template: %v", err)
		}
		r.header = http.Header{}
		for k, v := range r.Headers {
			r.header.Set(k, v)
		}
	}
	for name, v := range map[string]float64{"slo.successRatio": s.SLO.SuccessRatio, "slo.minRateRatio": s.SLO.MinRateRatio} {
		if v < 0 || v > 1 {
			add(name, "must be in [0, 1], got %g", v)
		}
	}
	if r := s.Reconcile; r != nil {
		if !names[r.Request] {
			add("reconcile.request", "%q is not a request name", r.Request)
		}
		if r.AmountField == "" {
			add("reconcile.amountField", "is required (the body field summed, e.g. \"amountCents\")")
		}
		if !strings.HasPrefix(r.TotalsPath, "/") {
			add("reconcile.totalsPath", "must start with \"/\", got %q", r.TotalsPath)
		}
		if r.CountField == "" {
			add("reconcile.countField", "is required (e.g. \"count\")")
		}
		if r.SumField == "" {
			add("reconcile.sumField", "is required (e.g. \"totalCents\")")
		}
	}
	for i, c := range s.Calendar {
		if c.Hours <= 0 {
			add(fmt.Sprintf("calendar[%d].hours", i), "must be > 0, got %g", c.Hours)
		}
		if c.Load < 0 {
			add(fmt.Sprintf("calendar[%d].load", i), "must be ≥ 0, got %g", c.Load)
		}
	}
	if s.Capacity.CounterKeys < 0 {
		add("capacity.counterKeys", "must be ≥ 1, got %d", s.Capacity.CounterKeys)
	}
	if len(errs) == 0 {
		return nil
	}
	sort.Strings(errs)
	return fmt.Errorf("%w:\n  %s", ErrInvalid, strings.Join(errs, "\n  "))
}

// TargetRate is the full-scale request rate: users / think time (Little's law).
func (s *Scenario) TargetRate() float64 {
	return float64(s.Users.PeakConcurrentUsers) / s.Users.ThinkTime.Seconds()
}

// WriteShare is the share of the mix marked write.
func (s *Scenario) WriteShare() float64 {
	var w, all float64
	for _, r := range s.Requests {
		all += r.Weight
		if r.Write {
			w += r.Weight
		}
	}
	if all == 0 {
		return 0
	}
	return w / all
}

// Request returns the mix entry with the given name.
func (s *Scenario) Request(name string) (*Request, bool) {
	for i := range s.Requests {
		if s.Requests[i].Name == name {
			return &s.Requests[i], true
		}
	}
	return nil, false
}

// File is the path the scenario was loaded from ("" when parsed).
func (s *Scenario) File() string { return s.file }

// WithDuration returns a copy of s whose whole ramp is compressed (or
// stretched) into d: every phase keeps its share of the run, so a short
// demo still climbs, peaks and spikes like the real scenario.
func (s *Scenario) WithDuration(d time.Duration) *Scenario {
	c := *s
	if d <= 0 || s.Duration <= 0 {
		return &c
	}
	f := float64(d) / float64(s.Duration)
	scale := func(x time.Duration) time.Duration { return time.Duration(float64(x) * f) }
	c.Duration = d
	c.Ramp = make([]Phase, len(s.Ramp))
	for i, p := range s.Ramp {
		p.Duration, p.At, p.SpikeFor = scale(p.Duration), scale(p.At), scale(p.SpikeFor)
		c.Ramp[i] = p
	}
	return &c
}
