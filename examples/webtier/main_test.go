package main

import (
	"testing"

	"github.com/campaignkit/campaignkit/internal/cdktest"
)

// The example synthesizes through the same code main runs and passes the
// gates (cfn-lint 0 errors, cdk-nag 0 unsuppressed); its bootstrap stays
// within the 10 MB goal.
func TestExampleSynthesizesAndPassesGates(t *testing.T) {
	app := cdktest.NewApp(t)
	_, tier := newStack(app)
	cdktest.AssertGates(t, app)
	size := tier.Artifact().BinarySize
	if size > 10<<20 {
		t.Errorf("bootstrap is %d bytes, goal is ≤ 10 MB", size)
	}
	c := tier.Capacity()
	t.Logf("bootstrap %d bytes (%.1f MiB); capacity: %.0f rps, peak %d, reserved %d, provisioned %d–%d",
		size, float64(size)/(1<<20), c.RequestsPerSecond, c.PeakConcurrency, c.ReservedConcurrency, c.ProvisionedMin, c.ProvisionedMax)
}
