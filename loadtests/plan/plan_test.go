package plan_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/campaignkit/campaignkit/loadtests/plan"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

var update = flag.Bool("update", false, "rewrite golden files")

func load(t *testing.T, dir string) (*scenario.Scenario, *plan.Assembly) {
	t.Helper()
	s, err := scenario.Load("../scenarios/charityevent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := plan.LoadAssembly(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatal(err)
	}
	return s, a
}

func TestPlan(t *testing.T) {
	tests := []struct {
		dir      string
		opts     plan.Options
		ok       bool
		failures []string // each FAIL line names its quota or prop
	}{
		{dir: "adequate", ok: true},
		{dir: "adequate", opts: plan.Options{AccountConcurrency: 500}, ok: false, failures: []string{
			"Lambda 'Concurrent executions' quota to ≥ 920 (Service Quotas L-B99A9384)",
		}},
		{dir: "undersized", ok: false, failures: []string{
			"API Gateway 'Throttle rate' quota to ≥ 33334 rps (Service Quotas L-8A5B8E43)",
			"webtier ReservedConcurrency ≥ 667",
			"webProvisionedMax (ScalableTarget MaxCapacity / scheduled action) to ≥ 667",
			"FIFO high-throughput mode",
			"queuedwriter MaxConcurrency to ≥ 92",
			"WarmThroughput.WriteUnitsPerSecond ≥ 7334",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			s, a := load(t, tt.dir)
			p := plan.Make(s, a, tt.opts)
			text := p.Text()
			t.Log("\n" + text)
			if p.OK != tt.ok {
				t.Fatalf("plan OK = %v, want %v", p.OK, tt.ok)
			}
			var fixes []string
			for _, c := range p.Checks {
				if !c.OK && !c.Warn {
					fixes = append(fixes, c.Fix)
				}
			}
			if len(fixes) != len(tt.failures) {
				t.Errorf("%d failing checks, want %d:\n%s", len(fixes), len(tt.failures), strings.Join(fixes, "\n"))
			}
			all := strings.Join(fixes, "\n")
			for _, want := range tt.failures {
				if !strings.Contains(all, want) {
					t.Errorf("no failing check names %q; fixes:\n%s", want, all)
				}
			}
			if p.Region != "eu-west-1" || p.Cost == nil || p.Cost.USD <= 0 {
				t.Errorf("region %q, cost %+v", p.Region, p.Cost)
			}
			if tt.opts == (plan.Options{}) {
				golden := filepath.Join("testdata", tt.dir+".golden.txt")
				if *update {
					if err := os.WriteFile(golden, []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if !bytes.Equal(want, []byte(text)) {
					t.Errorf("plan differs from %s (go test -update if intended)", golden)
				}
			}
		})
	}
}

func TestRampNeedsWarmCapacity(t *testing.T) {
	// GIVEN a scenario that jumps to 200,000 rps at once (4,000 executions)
	s, err := scenario.Parse([]byte(`name: jump
users: {peakConcurrentUsers: 2000000, thinkTime: 10s}
duration: 2m
requests: [{name: a, weight: 1, path: /api/totals}]
`))
	if err != nil {
		t.Fatal(err)
	}
	_, a := load(t, "adequate")
	p := plan.Make(s, a, plan.Options{AccountConcurrency: 10000})
	for _, c := range p.Checks {
		if strings.HasPrefix(c.Limit, "Lambda scaling ramp") {
			// THEN from the 700 warm, +1,000 per 10 s is too slow
			if c.OK || !strings.Contains(c.Fix, "provisioned concurrency warm before the peak") || !strings.Contains(c.Detail, "≥ 40 s") {
				t.Errorf("ramp check = %+v", c)
			}
			return
		}
	}
	t.Fatal("no ramp check")
}

func TestLoadAssemblyErrors(t *testing.T) {
	if _, err := plan.LoadAssembly(t.TempDir()); err == nil || !strings.Contains(err.Error(), "run cdk synth first") {
		t.Errorf("empty dir: err = %v", err)
	}
}
