package scenario_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

const charity = "../scenarios/charityevent.yaml"

func TestCharityEventScenario(t *testing.T) {
	// GIVEN the bundled charity-event scenario
	s, err := scenario.Load(charity)
	if err != nil {
		t.Fatal(err)
	}
	// THEN its target is 500,000 users / 15 s and ~11% of the mix writes
	if got := s.TargetRate(); math.Abs(got-33333.33) > 0.01 {
		t.Errorf("TargetRate = %v, want 33333.33", got)
	}
	if got := s.WriteShare(); math.Abs(got-11.0/100) > 1e-9 {
		t.Errorf("WriteShare = %v, want 0.11", got)
	}
	p := s.Profile(1)
	if p.Duration != 10*time.Minute {
		t.Errorf("profile duration = %s, want 10m", p.Duration)
	}
	if got := p.PeakRate(); math.Abs(got-50000) > 1 {
		t.Errorf("peak rate = %v, want 50,000 (the 1.5× spike)", got)
	}

	// WHEN the targeter renders many requests with reconciliation on
	tr, err := s.Targeter("http://127.0.0.1:8080", true)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	keys := map[string]bool{}
	const n = 20000
	for i := 0; i < n; i++ {
		var tgt vegeta.Target
		if err := tr(&tgt); err != nil {
			t.Fatal(err)
		}
		counts[tgt.Method+" "+tgt.URL]++
		if tgt.URL != "http://127.0.0.1:8080/api/donations" {
			continue
		}
		// THEN every donation is valid JSON with a fresh idempotency key and
		// carries its amount for reconciliation
		var d struct {
			CharityID      string `json:"charityId"`
			AmountCents    int64  `json:"amountCents"`
			Currency       string `json:"currency"`
			IdempotencyKey string `json:"idempotencyKey"`
			Song           *struct{ Title, Artist, Message, Dedication string }
		}
		if err := json.Unmarshal(tgt.Body, &d); err != nil {
			t.Fatalf("donation body %s: %v", tgt.Body, err)
		}
		if d.AmountCents < 100 || d.AmountCents > 1000000 || d.Currency != "EUR" || d.CharityID == "" || d.Song == nil {
			t.Fatalf("donation body out of range: %s", tgt.Body)
		}
		if keys[d.IdempotencyKey] || len(d.IdempotencyKey) != 36 {
			t.Fatalf("idempotency key %q reused or malformed", d.IdempotencyKey)
		}
		keys[d.IdempotencyKey] = true
		if got := tgt.Header.Get(scenario.ReconcileHeader); got == "" {
			t.Fatalf("donation without %s", scenario.ReconcileHeader)
		}
	}
	// THEN the mix follows the weights (70/12/7/10/1 of 100) within 1.5 points
	want := map[string]float64{
		"GET http://127.0.0.1:8080/api/totals":         0.70,
		"GET http://127.0.0.1:8080/api/songs?limit=20": 0.12,
		"GET http://127.0.0.1:8080/api/charities":      0.07,
		"POST http://127.0.0.1:8080/api/donations":     0.10,
		"POST http://127.0.0.1:8080/api/registrations": 0.01,
	}
	for k, w := range want {
		if got := float64(counts[k]) / n; math.Abs(got-w) > 0.015 {
			t.Errorf("%s share = %.3f, want %.2f", k, got, w)
		}
	}
}

func TestValidateNamesTheField(t *testing.T) {
	base := `name: x
users: {peakConcurrentUsers: 100, thinkTime: 10s}
duration: 1m
requests:
  - {name: a, weight: 1, path: /a}
`
	tests := []struct {
		name, yaml, want string
	}{
		{"ok", base, ""},
		{"no users", strings.Replace(base, "peakConcurrentUsers: 100", "peakConcurrentUsers: 0", 1), "users.peakConcurrentUsers: must be > 0"},
		{"think time", strings.Replace(base, "thinkTime: 10s", "thinkTime: 0s", 1), "users.thinkTime: must be > 0"},
		{"unknown field", base + "colour: red\n", "field colour not found"},
		{"bad weight", strings.Replace(base, "weight: 1", "weight: -1", 1), "requests[0].weight: must be > 0"},
		{"bad path", strings.Replace(base, "path: /a", "path: a", 1), `requests[0].path: must start with "/"`},
		{"bad template", base + "  - {name: b, weight: 1, path: /b, body: '{{randInt'}\n", "requests[1].body: template"},
		{"dup name", base + "  - {name: a, weight: 1, path: /b}\n", `requests[1].name: "a" is used twice`},
		{"bad ramp kind", base + "ramp: [{kind: sine, duration: 10s}]\n", "ramp[0].kind: must be one of"},
		{"ramp too long", base + "ramp: [{kind: linear, from: 0, to: 1, duration: 2m}]\n", "ramp: phases last 2m0s, longer than duration 1m0s"},
		{"spike outside", base + "ramp: [{kind: spike, base: 1, peak: 2, at: 50s, spikeFor: 20s, duration: 1m}]\n", "ramp[0].at: spike"},
		{"steps", base + "ramp: [{kind: steps, from: 0.1, to: 1, duration: 1m}]\n", "ramp[0].steps: must be ≥ 1"},
		{"slo ratio", base + "slo: {successRatio: 99}\n", "slo.successRatio: must be in [0, 1]"},
		{"reconcile", base + "reconcile: {request: nope, totalsPath: /t}\n", `reconcile.request: "nope" is not a request name`},
		{"reconcile fields", base + "reconcile: {request: a, totalsPath: /t}\n", "reconcile.countField: is required"},
		{"scale", base + "localScale: 2\n", "localScale: must be in (0, 1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scenario.Parse([]byte(tt.yaml))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("no error, want %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q does not contain %q", err, tt.want)
			case err != nil && !errors.Is(err, scenario.ErrInvalid):
				t.Fatalf("error %v is not ErrInvalid", err)
			}
		})
	}
}

func TestProfile(t *testing.T) {
	// 600 users / 1 s think time = 600 rps target
	head := "name: p\nusers: {peakConcurrentUsers: 600, thinkTime: 1s}\nrequests: [{name: a, weight: 1, path: /}]\n"
	tests := []struct {
		name     string
		yaml     string
		hits     float64 // expected over the whole profile
		rateAt   map[time.Duration]float64
		segments int
	}{
		{"constant default", "duration: 10s\n", 6000, map[time.Duration]float64{5 * time.Second: 600}, 1},
		{"linear then hold", "duration: 20s\nramp: [{kind: linear, from: 0.5, to: 1, duration: 10s}]\n",
			(300+600)/2.0*10 + 600*10, map[time.Duration]float64{0: 300, 5 * time.Second: 450, 15 * time.Second: 600}, 2},
		{"steps", "duration: 30s\nramp: [{kind: steps, from: 0.5, to: 1, steps: 3, duration: 30s}]\n",
			(300 + 450 + 600) * 10, map[time.Duration]float64{5 * time.Second: 300, 15 * time.Second: 450, 25 * time.Second: 600}, 3},
		{"spike", "duration: 30s\nramp: [{kind: spike, base: 0.5, peak: 1, at: 10s, spikeFor: 5s, duration: 30s}]\n",
			300*25 + 600*5, map[time.Duration]float64{5 * time.Second: 300, 12 * time.Second: 600, 20 * time.Second: 300}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := scenario.Parse([]byte(head + tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			p := s.Profile(1)
			if len(p.Segments) != tt.segments {
				t.Errorf("segments = %d, want %d", len(p.Segments), tt.segments)
			}
			if got := p.ExpectedHits(p.Duration); math.Abs(got-tt.hits) > 1 {
				t.Errorf("expected hits = %v, want %v", got, tt.hits)
			}
			pacer := p.Pacer()
			for at, want := range tt.rateAt {
				if got := pacer.Rate(at); math.Abs(got-want) > 0.5 {
					t.Errorf("rate at %s = %v, want %v", at, got, want)
				}
			}
			// Simulate the attacker's loop on a virtual clock: the pacer must
			// deliver the expected hits and then stop.
			var elapsed time.Duration
			var hits uint64
			for {
				wait, stop := pacer.Pace(elapsed, hits)
				if stop {
					break
				}
				elapsed += wait
				if elapsed >= p.Duration {
					break
				}
				hits++
			}
			if math.Abs(float64(hits)-tt.hits) > tt.hits*0.005+2 {
				t.Errorf("simulated hits = %d, want ≈ %v", hits, tt.hits)
			}
			// A worker's slice of a split profile carries 1/n of the hits.
			if got := p.Split(3).ExpectedHits(p.Duration); math.Abs(got-tt.hits/3) > 2 {
				t.Errorf("split hits = %v, want %v", got, tt.hits/3)
			}
		})
	}
}

func TestFuncs(t *testing.T) {
	s, err := scenario.Parse([]byte(`name: f
users: {peakConcurrentUsers: 1, thinkTime: 1s}
duration: 1s
vars: {xs: [a, b]}
requests:
  - {name: a, weight: 1, method: post, path: "/x/{{seq}}", body: '{"k":"{{uuid}}","n":{{randInt 5 5}},"c":{{json (randChoice .Vars.xs)}},"d":"{{randChoice "z"}}"}'}
`))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := s.Targeter("http://127.0.0.1:1/prefix/", false)
	if err != nil {
		t.Fatal(err)
	}
	var tgt vegeta.Target
	if err := tr(&tgt); err != nil {
		t.Fatal(err)
	}
	if tgt.Method != "POST" || !strings.HasPrefix(tgt.URL, "http://127.0.0.1:1/prefix/x/") {
		t.Errorf("target = %s %s", tgt.Method, tgt.URL)
	}
	var body struct {
		K    string
		N    int
		C, D string
	}
	if err := json.Unmarshal(tgt.Body, &body); err != nil {
		t.Fatalf("%s: %v", tgt.Body, err)
	}
	if len(body.K) != 36 || body.K[14] != '4' || body.N != 5 || (body.C != "a" && body.C != "b") || body.D != "z" {
		t.Errorf("body = %+v", body)
	}
	if _, err := s.Targeter("127.0.0.1:1", false); err == nil {
		t.Error("a URL without scheme was accepted")
	}
}

func TestWithDurationKeepsTheShape(t *testing.T) {
	s, err := scenario.Load(charity)
	if err != nil {
		t.Fatal(err)
	}
	short := s.WithDuration(20 * time.Second)
	full, p := s.Profile(1), short.Profile(1)
	if p.Duration != 20*time.Second || s.Duration != 10*time.Minute {
		t.Fatalf("durations: short %s, original %s", p.Duration, s.Duration)
	}
	// the same rate at the same fraction of the run: 30% (end of the ramp), 75% (in the spike)
	for _, frac := range []float64{0.1, 0.3, 0.75, 0.95} {
		a := full.Rate(time.Duration(frac * float64(full.Duration)))
		b := p.Rate(time.Duration(frac * float64(p.Duration)))
		if math.Abs(a-b) > a*0.02+1 {
			t.Errorf("rate at %.0f%%: full %.0f, compressed %.0f", frac*100, a, b)
		}
	}
	if math.Abs(p.PeakRate()-full.PeakRate()) > 1 {
		t.Errorf("peak %v vs %v", p.PeakRate(), full.PeakRate())
	}
}
