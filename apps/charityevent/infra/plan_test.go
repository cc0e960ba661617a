package infra_test

import (
	"math"
	"strings"
	"testing"

	"github.com/campaignkit/campaignkit/apps/charityevent/config"
	"github.com/campaignkit/campaignkit/apps/charityevent/infra"
	"github.com/campaignkit/campaignkit/internal/cdktest"
	"github.com/campaignkit/campaignkit/loadtests/plan"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

// GIVEN the bundled scenario (500,000 users, 15 s think time) WHEN the
// planner reads the synthesized bundled campaign THEN it carries the
// target; and a deliberately undersized campaign (sized for 50,000 users,
// a night-time calendar at the peak) fails with the limits it breaks and
// their fixes named.
func TestCapacityPlan(t *testing.T) {
	sc, err := scenario.Load("../../../loadtests/scenarios/charityevent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	planFor := func(mutate func(c *config.Campaign)) *plan.Plan {
		c := load(t, "charity-week.yaml")
		if mutate != nil {
			mutate(c)
		}
		app := cdktest.NewApp(t)
		infra.New(app, infra.Props{Campaign: c, SiteDir: "../site/public", Now: planningDay})
		asm, err := plan.LoadAssembly(cdktest.Synth(t, app))
		if err != nil {
			t.Fatal(err)
		}
		return plan.Make(sc, asm, plan.Options{})
	}
	if p := planFor(nil); !p.OK {
		for _, c := range p.Checks {
			if !c.OK && !c.Warn {
				t.Errorf("bundled campaign short: %s: need %.0f, have %.0f (%s)", c.Limit, c.Need, c.Have, c.Fix)
			}
		}
	}
	small := planFor(func(c *config.Campaign) {
		c.Capacity.PeakConcurrentUsers = 50_000
		for i := range c.Calendar.Phases {
			for k, l := range c.Calendar.Phases[i].Levels {
				l.Max = math.Floor(l.Max / 10)
				l.Min = math.Floor(l.Min / 10)
				if k == "writer" && l.Max < 2 {
					l.Min, l.Max = 2, 2
				}
				c.Calendar.Phases[i].Levels[k] = l
			}
			for w := range c.Calendar.Phases[i].Windows {
				for k, l := range c.Calendar.Phases[i].Windows[w].Levels {
					l.Max, l.Min = math.Floor(l.Max/10), math.Floor(l.Min/10)
					if k == "writer" && l.Max < 2 {
						l.Min, l.Max = 2, 2
					}
					c.Calendar.Phases[i].Windows[w].Levels[k] = l
				}
			}
		}
	})
	if small.OK {
		t.Fatal("an undersized campaign passed the plan")
	}
	failed := map[string]string{}
	for _, c := range small.Checks {
		if !c.OK && !c.Warn {
			if c.Fix == "" {
				t.Errorf("shortfall %q names no fix", c.Limit)
			}
			failed[c.Limit] = c.Fix
		}
	}
	for _, want := range []string{"reserved concurrency", "provisioned concurrency", "DynamoDB warm write"} {
		found := false
		for limit := range failed {
			found = found || strings.Contains(limit, want)
		}
		if !found {
			t.Errorf("no failed check on %q; failed: %v", want, failed)
		}
	}
	t.Logf("undersized campaign fails %d limit(s): %v", len(failed), failed)
}
