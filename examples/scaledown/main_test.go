package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/campaignkit/campaignkit/internal/cdktest"
)

func TestExampleSynthesizes(t *testing.T) {
	// GIVEN the example app, resolved before the campaign
	app := cdktest.NewApp(t)
	sched := build(app, func() time.Time { return time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC) })

	// THEN its plan reads in local time and UTC, with no warnings
	var b bytes.Buffer
	if err := sched.Plan().Format(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"LOCAL (Europe/Brussels)", "2027-10-28 23:30 CEST    2027-10-28 21:30Z  api", "2027-11-05 00:00 CET     2027-11-04 23:00Z"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, b.String())
		}
	}
	if w := sched.Warnings(); len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	// AND it passes cfn-lint and cdk-nag
	cdktest.AssertGates(t, app)
}
