package calendar_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/campaignkit/campaignkit/constructs/scaledown/calendar"
)

var now = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)

type L = calendar.Level

// brussels is the acceptance calendar: three phases in Europe/Brussels
// around the end of daylight saving time (Sunday 2027-10-31 03:00 CEST →
// 02:00 CET), a nightly floor during registration that crosses midnight.
func brussels() calendar.Calendar {
	return calendar.Calendar{
		TimeZone: "Europe/Brussels",
		WarmUp:   30 * time.Minute,
		Default:  map[string]L{"api": calendar.Fixed(0), "writer": calendar.Fixed(2)},
		Phases: []calendar.Phase{
			{Name: "registration", Start: "2027-10-25T09:00", End: "2027-10-29T00:00",
				Levels: map[string]L{"api": {Min: 5, Max: 20}, "writer": calendar.Fixed(5)},
				Windows: []calendar.Window{{Name: "night", From: "23:00", To: "07:00",
					Levels: map[string]L{"api": {Min: 0, Max: 5}}}}},
			{Name: "event week", Start: "2027-10-29T00:00", End: "2027-11-05T00:00",
				Levels: map[string]L{"api": {Min: 100, Max: 500}, "writer": calendar.Fixed(50)}},
			{Name: "wind-down", Start: "2027-11-05T06:00", End: "2027-11-08T00:00",
				Levels: map[string]L{"api": {Min: 2, Max: 20}, "writer": calendar.Fixed(10)}},
		},
	}
}

// row is one action in a compact, comparable form.
func row(a calendar.Action) string {
	return fmt.Sprintf("%s %s %s=%s %s %s", a.At.Format("01-02T15:04Z"), a.Local[11:], a.Target, a.Level, a.Reason, a.Expression)
}

func actionsFor(p calendar.Plan, target string) []string {
	var out []string
	for _, a := range p.Actions {
		if a.Target == target {
			out = append(out, row(a))
		}
	}
	return out
}

func equal(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("actions:\n got:\n  %s\n want:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestResolveBrusselsAcrossDSTEnd(t *testing.T) {
	// GIVEN the three-phase calendar WHEN it is resolved well before it starts
	c := brussels()
	plan, warnings, err := c.Resolve(now)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	// THEN the API warms up 30 min before each raise, drops to the night
	// floor from 23:00 to 07:00 (crossing midnight), the contiguous event
	// week replaces registration's restore, offsets switch from +2 to +1
	// after 31 October, and every phase end restores the default.
	equal(t, actionsFor(plan, "api"), []string{
		"10-25T06:30Z 08:30 CEST api=5..20 warm-up at(2027-10-25T08:30:00)",
		"10-25T07:00Z 09:00 CEST api=5..20 phase at(2027-10-25T09:00:00)",
		"10-25T21:00Z 23:00 CEST api=0..5 window cron(0 23 * * ? *)",
		"10-26T05:00Z 07:00 CEST api=5..20 restore cron(0 7 * * ? *)",
		"10-26T21:00Z 23:00 CEST api=0..5 window cron(0 23 * * ? *)",
		"10-27T05:00Z 07:00 CEST api=5..20 restore cron(0 7 * * ? *)",
		"10-27T21:00Z 23:00 CEST api=0..5 window cron(0 23 * * ? *)",
		"10-28T05:00Z 07:00 CEST api=5..20 restore cron(0 7 * * ? *)",
		"10-28T21:00Z 23:00 CEST api=0..5 window cron(0 23 * * ? *)",
		"10-28T21:30Z 23:30 CEST api=100..500 warm-up at(2027-10-28T23:30:00)",
		"10-28T22:00Z 00:00 CEST api=100..500 phase at(2027-10-29T00:00:00)",
		"11-04T23:00Z 00:00 CET api=0 restore at(2027-11-05T00:00:00)",
		"11-05T04:30Z 05:30 CET api=2..20 warm-up at(2027-11-05T05:30:00)",
		"11-05T05:00Z 06:00 CET api=2..20 phase at(2027-11-05T06:00:00)",
		"11-07T23:00Z 00:00 CET api=0 restore at(2027-11-08T00:00:00)",
	})
	// The recurring rules are bounded by the phase and stop before the
	// next phase's warm-up.
	var night []calendar.Rule
	for _, r := range plan.Rules {
		if r.Window == "night" {
			night = append(night, r)
		}
	}
	if len(night) != 2 || night[0].Expression != "cron(0 23 * * ? *)" || night[1].Expression != "cron(0 7 * * ? *)" {
		t.Fatalf("night rules: %+v", night)
	}
	if got := night[0].End.Format(time.RFC3339); got != "2027-10-28T21:29:30Z" {
		t.Errorf("night rule End = %s, want 30 s before the event-week warm-up", got)
	}
	if got := night[0].Start.Format(time.RFC3339); got != "2027-10-25T07:00:30Z" {
		t.Errorf("night rule Start = %s, want 30 s after the phase start", got)
	}
	for _, r := range plan.Rules {
		if r.TimeZone != "Europe/Brussels" {
			t.Errorf("rule %s in %s, want Europe/Brussels", r.ID, r.TimeZone)
		}
	}
	// Rule IDs are unique.
	ids := map[string]bool{}
	for _, r := range plan.Rules {
		if ids[r.ID] {
			t.Errorf("duplicate rule ID %s", r.ID)
		}
		ids[r.ID] = true
	}
}

func TestResolveDSTAndWindows(t *testing.T) {
	cases := []struct {
		name     string
		cal      calendar.Calendar
		target   string
		want     []string
		warnings []string // substrings, in order
	}{
		{
			// 02:30 does not exist on 2027-03-28: moved forward by the gap
			// to 03:30 CEST (01:30 UTC), a local time that exists.
			name: "spring forward: nonexistent start moves forward",
			cal: calendar.Calendar{TimeZone: "Europe/Brussels", Default: map[string]L{"api": calendar.Fixed(0)},
				Phases: []calendar.Phase{{Name: "p", Start: "2027-03-28T02:30", End: "2027-03-28T12:00", Levels: map[string]L{"api": calendar.Fixed(5)}}}},
			target: "api",
			want: []string{
				"03-28T01:30Z 03:30 CEST api=5 phase at(2027-03-28T03:30:00)",
				"03-28T10:00Z 12:00 CEST api=0 restore at(2027-03-28T12:00:00)",
			},
			warnings: []string{"Start 2027-03-28T02:30 does not exist (spring forward) in Europe/Brussels; resolved to 2027-03-28 03:30 CEST (01:30 UTC)"},
		},
		{
			// 02:30 occurs twice on 2027-10-31: the first one (CEST, 00:30 UTC).
			name: "fall back: ambiguous start takes the first occurrence",
			cal: calendar.Calendar{TimeZone: "Europe/Brussels", Default: map[string]L{"api": calendar.Fixed(0)},
				Phases: []calendar.Phase{{Name: "p", Start: "2027-10-31T02:30", End: "2027-10-31T12:00", Levels: map[string]L{"api": calendar.Fixed(5)}}}},
			target: "api",
			want: []string{
				"10-31T00:30Z 02:30 CEST api=5 phase at(2027-10-31T00:30:00)",
				"10-31T11:00Z 12:00 CET api=0 restore at(2027-10-31T12:00:00)",
			},
			warnings: []string{"occurs twice (fall back)", "scheduled in UTC as at(2027-10-31T00:30:00)"},
		},
		{
			// A warm-up that lands in the repeated hour's second pass
			// (03:30 CET − 1h = 02:30 CET) cannot be written as local time.
			name: "fall back: warm-up in the repeated hour is scheduled in UTC",
			cal: calendar.Calendar{TimeZone: "Europe/Brussels", WarmUp: time.Hour, Default: map[string]L{"api": calendar.Fixed(0)},
				Phases: []calendar.Phase{{Name: "p", Start: "2027-10-31T03:30", End: "2027-10-31T12:00", Levels: map[string]L{"api": calendar.Fixed(5)}}}},
			target: "api",
			want: []string{
				"10-31T01:30Z 02:30 CET api=5 warm-up at(2027-10-31T01:30:00)",
				"10-31T02:30Z 03:30 CET api=5 phase at(2027-10-31T03:30:00)",
				"10-31T11:00Z 12:00 CET api=0 restore at(2027-10-31T12:00:00)",
			},
			warnings: []string{"scheduled in UTC as at(2027-10-31T01:30:00)"},
		},
		{
			// Window Fri 22:00 → Sat 06:00 (crosses midnight); the phase
			// starts Saturday 02:00, inside Friday's window, so it starts at
			// the window level; restore at To is on the next day.
			name: "window crossing midnight, phase starts inside it",
			cal: calendar.Calendar{TimeZone: "Europe/Brussels", Default: map[string]L{"api": calendar.Fixed(0)},
				Phases: []calendar.Phase{{Name: "p", Start: "2027-06-05T02:00", End: "2027-06-13T00:00", Levels: map[string]L{"api": calendar.Fixed(10)},
					Windows: []calendar.Window{{Days: []string{"fri", "SAT"}, From: "22:00", To: "06:00", Levels: map[string]L{"api": calendar.Fixed(1)}}}}}},
			target: "api",
			want: []string{
				"06-05T00:00Z 02:00 CEST api=1 phase at(2027-06-05T02:00:00)",
				"06-05T04:00Z 06:00 CEST api=10 restore cron(0 6 ? * SUN,SAT *)",
				"06-05T20:00Z 22:00 CEST api=1 window cron(0 22 ? * FRI,SAT *)",
				"06-06T04:00Z 06:00 CEST api=10 restore cron(0 6 ? * SUN,SAT *)",
				"06-11T20:00Z 22:00 CEST api=1 window cron(0 22 ? * FRI,SAT *)",
				"06-12T04:00Z 06:00 CEST api=10 restore cron(0 6 ? * SUN,SAT *)",
				"06-12T20:00Z 22:00 CEST api=1 window cron(0 22 ? * FRI,SAT *)",
				"06-12T22:00Z 00:00 CEST api=0 restore at(2027-06-13T00:00:00)",
			},
		},
		{
			// A nightly window across the fall-back night: 01:00–04:00 is
			// four hours long that night; the cron is read in local time.
			name: "window across the DST end keeps local times",
			cal: calendar.Calendar{TimeZone: "Europe/Brussels", Default: map[string]L{"api": calendar.Fixed(0)},
				Phases: []calendar.Phase{{Name: "p", Start: "2027-10-30T12:00", End: "2027-10-31T12:00", Levels: map[string]L{"api": calendar.Fixed(10)},
					Windows: []calendar.Window{{From: "01:00", To: "04:00", Levels: map[string]L{"api": calendar.Fixed(2)}}}}}},
			target: "api",
			want: []string{
				"10-30T10:00Z 12:00 CEST api=10 phase at(2027-10-30T12:00:00)",
				"10-30T23:00Z 01:00 CEST api=2 window cron(0 1 * * ? *)",
				"10-31T03:00Z 04:00 CET api=10 restore cron(0 4 * * ? *)",
				"10-31T11:00Z 12:00 CET api=0 restore at(2027-10-31T12:00:00)",
			},
		},
		{
			// A window at 02:30 every night meets the spring-forward night.
			name: "window time inside the spring-forward gap warns",
			cal: calendar.Calendar{TimeZone: "Europe/Brussels", Default: map[string]L{"api": calendar.Fixed(0)},
				Phases: []calendar.Phase{{Name: "p", Start: "2027-03-27T12:00", End: "2027-03-28T12:00", Levels: map[string]L{"api": calendar.Fixed(10)},
					Windows: []calendar.Window{{Name: "late", From: "02:30", To: "05:00", Levels: map[string]L{"api": calendar.Fixed(2)}}}}}},
			target: "api",
			want: []string{
				"03-27T11:00Z 12:00 CET api=10 phase at(2027-03-27T12:00:00)",
				"03-28T01:30Z 03:30 CEST api=2 window cron(30 2 * * ? *)",
				"03-28T03:00Z 05:00 CEST api=10 restore cron(0 5 * * ? *)",
				"03-28T10:00Z 12:00 CEST api=0 restore at(2027-03-28T12:00:00)",
			},
			warnings: []string{`window "late": 02:30 on 2027-03-28 does not exist (spring forward)`},
		},
		{
			// Two windows setting the same target at overlapping times.
			name: "overlapping windows warn",
			cal: calendar.Calendar{TimeZone: "Europe/Brussels", Default: map[string]L{"api": calendar.Fixed(0)},
				Phases: []calendar.Phase{{Name: "p", Start: "2027-06-07T00:00", End: "2027-06-08T00:00", Levels: map[string]L{"api": calendar.Fixed(10)},
					Windows: []calendar.Window{
						{Name: "lunch", From: "11:00", To: "14:00", Levels: map[string]L{"api": calendar.Fixed(20)}},
						{Name: "noon", From: "12:00", To: "13:00", Levels: map[string]L{"api": calendar.Fixed(30)}}}}}},
			target: "api",
			want: []string{
				"06-06T22:00Z 00:00 CEST api=10 phase at(2027-06-07T00:00:00)",
				"06-07T09:00Z 11:00 CEST api=20 window cron(0 11 * * ? *)",
				"06-07T10:00Z 12:00 CEST api=30 window cron(0 12 * * ? *)",
				"06-07T11:00Z 13:00 CEST api=10 restore cron(0 13 * * ? *)",
				"06-07T12:00Z 14:00 CEST api=10 restore cron(0 14 * * ? *)",
				"06-07T22:00Z 00:00 CEST api=0 restore at(2027-06-08T00:00:00)",
			},
			warnings: []string{`phase "p" windows "lunch" and "noon" both set "api" on 2027-06-07`},
		},
		{
			// Scale-downs happen at the phase start, never ahead of it.
			name: "warm-up only for raises",
			cal: calendar.Calendar{TimeZone: "Europe/Brussels", WarmUp: time.Hour, Default: map[string]L{"api": calendar.Fixed(1)},
				Phases: []calendar.Phase{
					{Name: "peak", Start: "2027-05-01T10:00", End: "2027-05-01T12:00", Levels: map[string]L{"api": calendar.Fixed(50)}},
					{Name: "low", Start: "2027-05-01T12:00", End: "2027-05-01T14:00", Levels: map[string]L{"api": {Min: 0, Max: 50}}}}},
			target: "api",
			want: []string{
				"05-01T07:00Z 09:00 CEST api=50 warm-up at(2027-05-01T09:00:00)",
				"05-01T08:00Z 10:00 CEST api=50 phase at(2027-05-01T10:00:00)",
				"05-01T10:00Z 12:00 CEST api=0..50 phase at(2027-05-01T12:00:00)",
				"05-01T12:00Z 14:00 CEST api=1 restore at(2027-05-01T14:00:00)",
			},
		},
		{
			// 2 h warm-up, 1 h gap: the first phase's end keeps the warm-up
			// level instead of dropping to the default.
			name: "warm-up longer than the gap",
			cal: calendar.Calendar{TimeZone: "Europe/Brussels", WarmUp: 2 * time.Hour, Default: map[string]L{"api": calendar.Fixed(0)},
				Phases: []calendar.Phase{
					{Name: "a", Start: "2027-05-01T08:00", End: "2027-05-01T11:00", Levels: map[string]L{"api": calendar.Fixed(5)}},
					{Name: "b", Start: "2027-05-01T12:00", End: "2027-05-01T14:00", Levels: map[string]L{"api": calendar.Fixed(20)}}}},
			target: "api",
			want: []string{
				"05-01T04:00Z 06:00 CEST api=5 warm-up at(2027-05-01T06:00:00)",
				"05-01T06:00Z 08:00 CEST api=5 phase at(2027-05-01T08:00:00)",
				"05-01T08:00Z 10:00 CEST api=20 warm-up at(2027-05-01T10:00:00)",
				"05-01T09:00Z 11:00 CEST api=20 restore at(2027-05-01T11:00:00)",
				"05-01T10:00Z 12:00 CEST api=20 phase at(2027-05-01T12:00:00)",
				"05-01T12:00Z 14:00 CEST api=0 restore at(2027-05-01T14:00:00)",
			},
			warnings: []string{`warm-up of phase "b" (2h0m0s) is longer than the 1h0m0s gap after phase "a"`},
		},
		{
			// Resolved mid-campaign: what already happened is left out.
			name: "dates in the past are left out with a warning",
			cal: calendar.Calendar{TimeZone: "Europe/Brussels", Default: map[string]L{"api": calendar.Fixed(0)},
				Phases: []calendar.Phase{
					{Name: "old", Start: "2026-05-01T08:00", End: "2026-05-02T08:00", Levels: map[string]L{"api": calendar.Fixed(5)}},
					{Name: "now", Start: "2026-12-31T08:00", End: "2027-01-02T08:00", Levels: map[string]L{"api": calendar.Fixed(5)}}}},
			target: "api",
			want: []string{
				"01-02T07:00Z 08:00 CET api=0 restore at(2027-01-02T08:00:00)",
			},
			warnings: []string{`phase "old" ended 2026-05-02 08:00 CEST, before now`, `phase "now": 1 action(s) before now`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan, warnings, err := tc.cal.Resolve(now)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, actionsFor(plan, tc.target), tc.want)
			all := fmt.Sprint(warnings)
			for _, w := range tc.warnings {
				if !strings.Contains(all, w) {
					t.Errorf("warnings lack %q:\n%s", w, all)
				}
			}
			if len(tc.warnings) == 0 && len(warnings) > 0 {
				t.Errorf("unexpected warnings: %v", warnings)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	ok := func() calendar.Calendar { return brussels() }
	cases := []struct {
		name   string
		mutate func(c *calendar.Calendar)
		kind   error
		msg    string
	}{
		{"unknown time zone", func(c *calendar.Calendar) { c.TimeZone = "Europe/Atlantis" }, calendar.ErrTimeZone, `TimeZone "Europe/Atlantis" is not an IANA time zone`},
		{"machine-local time zone", func(c *calendar.Calendar) { c.TimeZone = "Local" }, calendar.ErrTimeZone, `TimeZone "Local" must name an IANA time zone`},
		{"no phases", func(c *calendar.Calendar) { c.Phases = nil }, calendar.ErrPhase, "Phases is empty"},
		{"end before start", func(c *calendar.Calendar) { c.Phases[2].End = "2027-11-04T00:00" }, calendar.ErrPhase,
			`phase "wind-down" ends (2027-11-04T00:00) before it starts (2027-11-05T06:00)`},
		{"bad date", func(c *calendar.Calendar) { c.Phases[0].Start = "25/10/2027" }, calendar.ErrPhase, `phase "registration" Start "25/10/2027" must be a local time`},
		{"seconds in a date", func(c *calendar.Calendar) { c.Phases[0].End = "2027-10-29T00:00:30" }, calendar.ErrPhase, `phase "registration" End "2027-10-29T00:00:30" must be a local time`},
		{"duplicate phase names", func(c *calendar.Calendar) { c.Phases[1].Name = "Registration" }, calendar.ErrPhase, `phase names "registration" and "Registration" are the same`},
		{"overlapping phases", func(c *calendar.Calendar) { c.Phases[1].End = "2027-11-05T07:00" }, calendar.ErrOverlap,
			`phases "event week" (2027-10-29T00:00 – 2027-11-05T07:00) and "wind-down" (2027-11-05T06:00 – 2027-11-08T00:00) overlap`},
		{"min > max", func(c *calendar.Calendar) { c.Phases[1].Levels["api"] = L{Min: 600, Max: 500} }, calendar.ErrLevel,
			`phase "event week" level for "api": Min (600) must be ≤ Max (500)`},
		{"negative level", func(c *calendar.Calendar) { c.Default["writer"] = L{Min: -1, Max: 2} }, calendar.ErrLevel, `Default level for "writer": Min (-1) must be ≥ 0`},
		{"bad target name", func(c *calendar.Calendar) { c.Default["my api"] = L{} }, calendar.ErrLevel, `target name "my api"`},
		{"gap with no default", func(c *calendar.Calendar) { delete(c.Default, "writer") }, calendar.ErrGap,
			`target "writer" has no level in the gap between phase "event week" (ends 2027-11-05T00:00) and phase "wind-down" (starts 2027-11-05T06:00): set Default["writer"]`},
		{"phase without level nor default", func(c *calendar.Calendar) { c.Phases[2].Levels["db"] = L{Max: 4} }, calendar.ErrGap,
			`phase "registration" does not set target "db" and there is no Default["db"]`},
		{"no restore after the last phase", func(c *calendar.Calendar) {
			c.Phases = c.Phases[:2]
			delete(c.Default, "writer")
		}, calendar.ErrGap, `target "writer" has no level after phase "event week" ends (2027-11-05T00:00), so nothing restores it`},
		{"window bad time", func(c *calendar.Calendar) { c.Phases[0].Windows[0].From = "24:00" }, calendar.ErrWindow, `window "night" From "24:00" must be a local time "HH:MM"`},
		{"window without length", func(c *calendar.Calendar) { c.Phases[0].Windows[0].To = "23:00" }, calendar.ErrWindow, `From and To are both 23:00`},
		{"window bad day", func(c *calendar.Calendar) { c.Phases[0].Windows[0].Days = []string{"Funday"} }, calendar.ErrWindow, `day "Funday" must be one of`},
		{"window without levels", func(c *calendar.Calendar) { c.Phases[0].Windows[0].Levels = nil }, calendar.ErrWindow, `window "night" sets no Levels`},
		{"warm-up not in minutes", func(c *calendar.Calendar) { c.WarmUp = 90 * time.Second }, calendar.ErrPhase, "WarmUp (1m30s) must be a whole number of minutes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok()
			// Deep-copy the maps the case mutates.
			c.Default = clone(c.Default)
			for i := range c.Phases {
				c.Phases[i].Levels = clone(c.Phases[i].Levels)
			}
			tc.mutate(&c)
			_, _, err := c.Resolve(now)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %v is not %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error\n  %v\nlacks\n  %s", err, tc.msg)
			}
		})
	}
}

func clone(m map[string]L) map[string]L {
	out := make(map[string]L, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestPlanFormatAndJSON(t *testing.T) {
	c := brussels()
	plan, _, err := c.Resolve(now)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := plan.Format(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"LOCAL (Europe/Brussels)",
		"2027-10-28 23:30 CEST    2027-10-28 21:30Z  api     100..500  warm-up  event week",
		"2027-11-04 23:00Z",
		"registration/night",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Format lacks %q:\n%s", want, out)
		}
	}
	js, err := plan.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back calendar.Plan
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Actions) != len(plan.Actions) || len(back.Rules) != len(plan.Rules) || back.TimeZone != "Europe/Brussels" {
		t.Errorf("JSON round trip lost data: %d/%d actions", len(back.Actions), len(plan.Actions))
	}
	if s := plan.Summary(); !strings.HasPrefix(s, "2027-10-25 08:30 CEST (06:30Z) api=5..20 warm-up registration; ") {
		t.Errorf("Summary = %.120s", s)
	}
}

// The calendar package must stay CDK-free: the load-test planner imports it.
func TestNoCDKImport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "aws-cdk-go") || strings.Contains(string(out), "constructs-go") {
		t.Fatalf("calendar imports the CDK:\n%s", out)
	}
}
