package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/campaignkit/campaignkit/apps/charityevent/config"
)

func TestBundledCampaignsLoad(t *testing.T) {
	files, _ := filepath.Glob("../../../campaigns/charity-week*.yaml")
	if len(files) < 2 {
		t.Fatalf("expected the bundled campaigns, found %v", files)
	}
	for _, f := range files {
		c, err := config.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Capacity.RequestsPerSecond(); got < 33_000 || got > 33_400 {
			t.Errorf("%s: %.0f rps, want 500,000 users / 15 s ≈ 33,333", f, got)
		}
		// The calendar resolves into a plan (as of the campaign's planning day).
		plan, _, err := c.Calendar.Resolve(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("%s: calendar: %v", f, err)
		}
		if len(plan.Actions) == 0 {
			t.Errorf("%s: calendar resolves to no actions", f)
		}
	}
}

func TestValidationMessages(t *testing.T) {
	base, err := os.ReadFile("../../../campaigns/charity-week-test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ from, to, want string }{
		{"name: charity-week", "name: Charity Week", "name \"Charity Week\""},
		{"kind: charity-event", "kind: microsite", "kind \"microsite\""},
		{"region: eu-west-1", "region: \"\"", "region: required"},
		{"peakConcurrentUsers: 500000", "peakConcurrentUsers: 0", "capacity.peakConcurrentUsers"},
		{"thinkTime: 15s", "thinkTime: 15", "not a duration"},
		{"timeZone: Europe/Brussels", "timeZone: Europe/Nowhere", "calendar.timeZone"},
		{"writer: {min: 2, max: 2}", "writerz: {min: 2, max: 2}", "unknown target \"writerz\""},
		{"minCents: 100", "minCents: 2000000", "donations: need"},
		{"alarmEmail: oncall@charityweek.example", "alarmEmail: nope", "alarmEmail"},
		{"currency: EUR", "currency: euro", "donations.currency"},
		{"wafRateLimit: 2000", "wafRateLimit: 2000\nsurprise: 1", "field surprise not found"},
	}
	for _, c := range cases {
		doc := strings.Replace(string(base), c.from, c.to, 1)
		if doc == string(base) {
			t.Fatalf("fixture lacks %q", c.from)
		}
		_, err := config.Parse([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s → %v, want an error mentioning %q", c.to, err, c.want)
		}
	}
}
