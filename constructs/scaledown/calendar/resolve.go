package calendar

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
)

// dst says how a local wall-clock time maps to instants.
type dst int

const (
	dstNormal    dst = iota
	dstGap           // the local time does not exist (spring forward)
	dstAmbiguous     // the local time occurs twice (fall back)
)

func (k dst) String() string {
	switch k {
	case dstGap:
		return "does not exist (spring forward)"
	case dstAmbiguous:
		return "occurs twice (fall back)"
	}
	return "normal"
}

type zone struct {
	name string
	loc  *time.Location
}

// instant maps a local wall-clock time to an instant with the package's DST
// rule: a nonexistent time moves forward by the gap, an ambiguous time takes
// its first occurrence.
func (z zone) instant(y int, mo time.Month, d, h, mi int) (time.Time, dst) {
	naive := time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
	_, before := naive.Add(-36 * time.Hour).In(z.loc).Zone()
	_, after := naive.Add(36 * time.Hour).In(z.loc).Zone()
	offsets := []int{before}
	if after != before {
		offsets = append(offsets, after)
	}
	var valid []time.Time
	for _, off := range offsets {
		c := naive.Add(-time.Duration(off) * time.Second)
		l := c.In(z.loc)
		if l.Year() == y && l.Month() == mo && l.Day() == d && l.Hour() == h && l.Minute() == mi {
			valid = append(valid, c)
		}
	}
	switch len(valid) {
	case 1:
		return valid[0], dstNormal
	case 2:
		if valid[1].Before(valid[0]) {
			valid[0] = valid[1]
		}
		return valid[0], dstAmbiguous
	}
	return naive.Add(-time.Duration(before) * time.Second), dstGap
}

// local renders t in the zone as "2006-01-02 15:04 MST".
func (z zone) local(t time.Time) string { return t.In(z.loc).Format("2006-01-02 15:04 MST") }

// atExpression returns the at() expression and its zone for t: local time
// in the calendar's zone when that wall-clock time names t unambiguously,
// else UTC (with the DST case for a warning).
func (z zone) atExpression(t time.Time) (expr, tz string, kind dst) {
	l := t.In(z.loc)
	back, kind := z.instant(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute())
	if kind == dstNormal && back.Equal(t.Truncate(time.Minute)) && l.Second() == 0 {
		return "at(" + l.Format("2006-01-02T15:04:05") + ")", z.name, dstNormal
	}
	if kind == dstNormal {
		kind = dstAmbiguous // only reachable for the second occurrence of an ambiguous hour
	}
	return "at(" + t.UTC().Format("2006-01-02T15:04:05") + ")", "UTC", kind
}

var localLayouts = []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02", "2006-01-02T15:04:05", "2006-01-02 15:04:05"}

// parseLocal reads a local wall-clock time to the minute (seconds, if
// given, must be 0: scheduled actions have 1-minute resolution).
func parseLocal(s string) (time.Time, bool) {
	for _, layout := range localLayouts {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, t.Second() == 0
		}
	}
	return time.Time{}, false
}

var targetName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,39}$`)

// phase is a validated phase.
type phase struct {
	Phase
	slug       string
	start, end time.Time
	windows    []window
}

type window struct {
	Window
	name       string
	days       []time.Weekday // sorted, never empty
	allDays    bool
	fh, fm     int
	th, tm     int
	crossesDay bool
}

// firing is one action before rules are attached.
type firing struct {
	at     time.Time
	target string
	level  Level
	reason Reason
	phase  string
	window string
	rule   string // rule ID
	prio   int    // at one instant for one target the highest wins
}

const (
	prioRestore = 1
	prioWindow  = 1
	prioWarmUp  = 2
	prioPhase   = 3
)

// Resolve validates the calendar and resolves it into a plan. now is the
// reference for "in the past": actions before now are left out with a
// warning. The error joins one message per problem (errors.Is matches the
// Err* kinds).
func (c *Calendar) Resolve(now time.Time) (Plan, []Warning, error) {
	r := &resolver{c: c, now: now}
	if err := r.validate(); err != nil {
		return Plan{}, nil, err
	}
	plan := r.plan()
	return plan, r.warnings, nil
}

type resolver struct {
	c        *Calendar
	now      time.Time
	z        zone
	phases   []phase // sorted by start
	targets  []string
	warnings []Warning
}

func (r *resolver) warn(phase, format string, args ...any) {
	r.warnings = append(r.warnings, Warning{Phase: phase, Message: "calendar: " + fmt.Sprintf(format, args...)})
}

func checkLevel(where, target string, l Level) error {
	switch {
	case !targetName.MatchString(target):
		return errf(ErrLevel, "%s: target name %q must be 1-40 letters, digits or dashes", where, target)
	case math.IsNaN(l.Min) || math.IsNaN(l.Max) || math.IsInf(l.Min, 0) || math.IsInf(l.Max, 0):
		return errf(ErrLevel, "%s level for %q must be finite", where, target)
	case l.Min < 0:
		return errf(ErrLevel, "%s level for %q: Min (%s) must be ≥ 0", where, target, num(l.Min))
	case l.Min > l.Max:
		return errf(ErrLevel, "%s level for %q: Min (%s) must be ≤ Max (%s)", where, target, num(l.Min), num(l.Max))
	}
	return nil
}

func (r *resolver) validate() error {
	c := r.c
	var errs []error
	switch {
	case c.TimeZone == "" || c.TimeZone == "Local":
		return errf(ErrTimeZone, "TimeZone %q must name an IANA time zone such as \"Europe/Brussels\"", c.TimeZone)
	default:
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			return errf(ErrTimeZone, "TimeZone %q is not an IANA time zone (e.g. \"Europe/Brussels\"): %v", c.TimeZone, err)
		}
		r.z = zone{name: c.TimeZone, loc: loc}
	}
	if len(c.Phases) == 0 {
		errs = append(errs, errf(ErrPhase, "Phases is empty: name at least one phase"))
	}
	if c.WarmUp < 0 || c.WarmUp%time.Minute != 0 {
		errs = append(errs, errf(ErrPhase, "WarmUp (%s) must be a whole number of minutes ≥ 0 (scheduled actions have 1-minute resolution)", c.WarmUp))
	}
	for _, t := range sortedKeys(c.Default) {
		if err := checkLevel("Default", t, c.Default[t]); err != nil {
			errs = append(errs, err)
		}
	}
	seen := map[string]string{}
	for i, p := range c.Phases {
		ph := phase{Phase: p, slug: slug(p.Name)}
		label := fmt.Sprintf("phase %q", p.Name)
		if ph.slug == "" {
			errs = append(errs, errf(ErrPhase, "phase %d has no Name (letters or digits)", i+1))
			continue
		}
		if other, dup := seen[ph.slug]; dup {
			errs = append(errs, errf(ErrPhase, "phase names %q and %q are the same once made an ID (%q): rename one", other, p.Name, ph.slug))
			continue
		}
		seen[ph.slug] = p.Name
		var ok bool
		var startKind, endKind dst
		if ph.start, startKind, ok = r.parse(p.Start); !ok {
			errs = append(errs, errf(ErrPhase, "%s Start %q must be a local time \"YYYY-MM-DDTHH:MM\"", label, p.Start))
			continue
		}
		if ph.end, endKind, ok = r.parse(p.End); !ok {
			errs = append(errs, errf(ErrPhase, "%s End %q must be a local time \"YYYY-MM-DDTHH:MM\"", label, p.End))
			continue
		}
		if !ph.end.After(ph.start) {
			errs = append(errs, errf(ErrPhase, "%s ends (%s) before it starts (%s): End must be after Start", label, p.End, p.Start))
			continue
		}
		for _, d := range []struct {
			what string
			s    string
			k    dst
			t    time.Time
		}{{"Start", p.Start, startKind, ph.start}, {"End", p.End, endKind, ph.end}} {
			if d.k != dstNormal {
				r.warn(p.Name, "%s %s %s %s in %s; resolved to %s (%s UTC)", label, d.what, d.s, d.k, r.z.name, r.z.local(d.t), d.t.UTC().Format("15:04"))
			}
		}
		for _, t := range sortedKeys(p.Levels) {
			if err := checkLevel(label, t, p.Levels[t]); err != nil {
				errs = append(errs, err)
			}
		}
		for k, w := range p.Windows {
			win, werrs := parseWindow(label, k, w)
			errs = append(errs, werrs...)
			if len(werrs) == 0 {
				ph.windows = append(ph.windows, win)
			}
		}
		r.phases = append(r.phases, ph)
	}
	sort.SliceStable(r.phases, func(i, j int) bool { return r.phases[i].start.Before(r.phases[j].start) })
	for i := 1; i < len(r.phases); i++ {
		a, b := r.phases[i-1], r.phases[i]
		if b.start.Before(a.end) {
			errs = append(errs, errf(ErrOverlap, "phases %q (%s – %s) and %q (%s – %s) overlap: a phase must end before (or when) the next starts",
				a.Name, a.Start, a.End, b.Name, b.Start, b.End))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	r.targets = c.Targets()
	for _, t := range r.targets {
		if err := r.checkGaps(t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkGaps reports the first place target t needs a level it does not
// have: a phase that does not set it, a gap between phases, or after the
// last phase (the restore). Every one is filled by Default.
func (r *resolver) checkGaps(t string) error {
	if _, ok := r.c.Default[t]; ok {
		return nil
	}
	for i, p := range r.phases {
		if _, ok := p.Levels[t]; !ok {
			return errf(ErrGap, "phase %q does not set target %q and there is no Default[%q]: add one of them", p.Name, t, t)
		}
		if i > 0 && p.start.After(r.phases[i-1].end) {
			prev := r.phases[i-1]
			return errf(ErrGap, "target %q has no level in the gap between phase %q (ends %s) and phase %q (starts %s): set Default[%q]",
				t, prev.Name, prev.End, p.Name, p.Start, t)
		}
	}
	last := r.phases[len(r.phases)-1]
	return errf(ErrGap, "target %q has no level after phase %q ends (%s), so nothing restores it: set Default[%q]", t, last.Name, last.End, t)
}

func (r *resolver) parse(s string) (time.Time, dst, bool) {
	l, ok := parseLocal(s)
	if !ok {
		return time.Time{}, dstNormal, false
	}
	t, k := r.z.instant(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute())
	return t, k, true
}

func parseWindow(label string, k int, w Window) (window, []error) {
	win := window{Window: w, name: windowName(w, k)}
	where := fmt.Sprintf("%s window %q", label, win.name)
	var errs []error
	from, to := hhmm.FindStringSubmatch(w.From), hhmm.FindStringSubmatch(w.To)
	if from == nil {
		errs = append(errs, errf(ErrWindow, "%s From %q must be a local time \"HH:MM\"", where, w.From))
	}
	if to == nil {
		errs = append(errs, errf(ErrWindow, "%s To %q must be a local time \"HH:MM\"", where, w.To))
	}
	if from != nil && to != nil {
		fmt.Sscanf(from[1]+" "+from[2], "%d %d", &win.fh, &win.fm)
		fmt.Sscanf(to[1]+" "+to[2], "%d %d", &win.th, &win.tm)
		switch {
		case w.From == w.To:
			errs = append(errs, errf(ErrWindow, "%s From and To are both %s: a window needs a length (To earlier than From crosses midnight)", where, w.From))
		case win.th*60+win.tm < win.fh*60+win.fm:
			win.crossesDay = true
		}
	}
	set := map[time.Weekday]bool{}
	for _, d := range w.Days {
		wd, ok := weekdays[strings.ToUpper(strings.TrimSpace(d))]
		if !ok {
			errs = append(errs, errf(ErrWindow, "%s day %q must be one of MON TUE WED THU FRI SAT SUN", where, d))
			continue
		}
		set[wd] = true
	}
	if len(w.Days) == 0 {
		for d := time.Sunday; d <= time.Saturday; d++ {
			set[d] = true
		}
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if set[d] {
			win.days = append(win.days, d)
		}
	}
	win.allDays = len(win.days) == 7
	if len(w.Levels) == 0 {
		errs = append(errs, errf(ErrWindow, "%s sets no Levels", where))
	}
	for _, t := range sortedKeys(w.Levels) {
		if err := checkLevel(where, t, w.Levels[t]); err != nil {
			errs = append(errs, err)
		}
	}
	return win, errs
}

func maxLevel(a, b Level) Level {
	return Level{Min: math.Max(a.Min, b.Min), Max: math.Max(a.Max, b.Max)}
}

func raises(from, to Level) bool { return to.Min > from.Min || to.Max > from.Max }

// occurrence is one instance of a window.
type occurrence struct {
	start, end         time.Time
	startKind, endKind dst
	day                time.Time // local date the window starts on
}

// occurrences lists the window's instances that touch [lo, hi).
func (r *resolver) occurrences(w window, lo, hi time.Time) []occurrence {
	var out []occurrence
	first := lo.In(r.z.loc)
	day := time.Date(first.Year(), first.Month(), first.Day()-1, 0, 0, 0, 0, time.UTC)
	lastL := hi.In(r.z.loc)
	last := time.Date(lastL.Year(), lastL.Month(), lastL.Day(), 0, 0, 0, 0, time.UTC)
	for ; !day.After(last); day = day.AddDate(0, 0, 1) {
		if !containsDay(w.days, day.Weekday()) {
			continue
		}
		o := occurrence{day: day}
		o.start, o.startKind = r.z.instant(day.Year(), day.Month(), day.Day(), w.fh, w.fm)
		endDay := day
		if w.crossesDay {
			endDay = day.AddDate(0, 0, 1)
		}
		o.end, o.endKind = r.z.instant(endDay.Year(), endDay.Month(), endDay.Day(), w.th, w.tm)
		if o.end.After(lo) && o.start.Before(hi) {
			out = append(out, o)
		}
	}
	return out
}

func containsDay(days []time.Weekday, d time.Weekday) bool {
	for _, x := range days {
		if x == d {
			return true
		}
	}
	return false
}

// base is phase p's level for t (its own or the default).
func (r *resolver) base(p phase, t string) Level {
	if l, ok := p.Levels[t]; ok {
		return l
	}
	return r.c.Default[t]
}

func (r *resolver) plan() Plan {
	c, z := r.c, r.z
	var fs []firing
	recurring := map[string]*Rule{}
	var recurringOrder []string

	// windowEnd is where phase i's windows stop firing: its end, or the
	// next phase's warm-up if that starts earlier (warm-up wins).
	windowEnd := func(i int) time.Time {
		hi := r.phases[i].end
		if c.WarmUp > 0 && i+1 < len(r.phases) {
			if w := r.phases[i+1].start.Add(-c.WarmUp); w.Before(hi) {
				hi = w
			}
		}
		return hi
	}
	startLevel := make([]map[string]Level, len(r.phases))

	for i, p := range r.phases {
		startLevel[i] = map[string]Level{}
		for _, t := range r.targets {
			startLevel[i][t] = r.base(p, t)
		}
		lo, hi := p.start, windowEnd(i)
		type span struct {
			start, end time.Time
			window     string
		}
		spans := map[string][]span{}
		overlapWarned := map[string]bool{}
		for _, w := range p.windows {
			if !hi.After(lo) {
				r.warn(p.Name, "phase %q window %q never applies: the warm-up of the next phase covers the whole phase", p.Name, w.name)
				continue
			}
			occ := r.occurrences(w, lo, hi)
			fromID := slug(p.Name) + "-" + slug(w.name) + "-from-"
			toID := slug(p.Name) + "-" + slug(w.name) + "-to-"
			for _, o := range occ {
				for _, t := range sortedKeys(w.Levels) {
					for _, sp := range spans[t] {
						key := sp.window + "\x00" + w.name + "\x00" + t
						if sp.window != w.name && o.start.Before(sp.end) && sp.start.Before(o.end) && !overlapWarned[key] {
							overlapWarned[key] = true
							r.warn(p.Name, "phase %q windows %q and %q both set %q on %s: the later start wins and the earlier restore ends both",
								p.Name, sp.window, w.name, t, o.start.In(z.loc).Format("2006-01-02"))
						}
					}
					spans[t] = append(spans[t], span{o.start, o.end, w.name})
				}
				if !o.start.After(lo) && o.end.After(lo) {
					for t, l := range w.Levels {
						startLevel[i][t] = l
					}
				}
				for _, e := range []struct {
					at   time.Time
					kind dst
					hh   int
					mm   int
				}{{o.start, o.startKind, w.fh, w.fm}, {o.end, o.endKind, w.th, w.tm}} {
					if e.kind != dstNormal && e.at.After(lo) && e.at.Before(hi) {
						r.warn(p.Name, "phase %q window %q: %02d:%02d on %s %s in %s; this plan assumes %s, AWS cron skips a nonexistent time and fires an ambiguous one once",
							p.Name, w.name, e.hh, e.mm, e.at.In(z.loc).Format("2006-01-02"), e.kind, z.name, z.local(e.at))
					}
				}
				for _, t := range sortedKeys(w.Levels) {
					if o.start.After(lo) && o.start.Before(hi) {
						fs = append(fs, firing{at: o.start, target: t, level: w.Levels[t], reason: ReasonWindow, phase: p.Name, window: w.name, rule: fromID + t, prio: prioWindow})
					}
					if o.end.After(lo) && o.end.Before(hi) {
						fs = append(fs, firing{at: o.end, target: t, level: r.base(p, t), reason: ReasonRestore, phase: p.Name, window: w.name, rule: toID + t, prio: prioWindow})
					}
				}
			}
			start, end := lo.Add(30*time.Second), hi.Add(-30*time.Second)
			for _, t := range sortedKeys(w.Levels) {
				fromDays, toDays := w.days, w.days
				if w.crossesDay {
					toDays = shiftDays(w.days)
				}
				for _, rule := range []Rule{
					{ID: fromID + t, Target: t, Level: w.Levels[t], Reason: ReasonWindow, Expression: cron(w.fm, w.fh, fromDays)},
					{ID: toID + t, Target: t, Level: r.base(p, t), Reason: ReasonRestore, Expression: cron(w.tm, w.th, toDays)},
				} {
					rule.Phase, rule.Window, rule.TimeZone = p.Name, w.name, z.name
					s, e := start, end
					rule.Start, rule.End = &s, &e
					recurring[rule.ID] = &rule
					recurringOrder = append(recurringOrder, rule.ID)
				}
			}
		}
		for _, t := range r.targets {
			fs = append(fs, firing{at: p.start, target: t, level: startLevel[i][t], reason: ReasonPhase, phase: p.Name, rule: slug(p.Name) + "-start-" + t, prio: prioPhase})
			fs = append(fs, firing{at: p.end, target: t, level: c.Default[t], reason: ReasonRestore, phase: p.Name, rule: slug(p.Name) + "-end-" + t, prio: prioRestore})
		}
	}

	// Warm-ups: the phase's level ahead of its start for the targets it
	// raises; anything else that fires inside the warm-up keeps at least
	// that level.
	if c.WarmUp > 0 {
		for i, p := range r.phases {
			w := p.start.Add(-c.WarmUp)
			if i > 0 {
				prev := r.phases[i-1]
				if gap := p.start.Sub(prev.end); gap > 0 && gap < c.WarmUp {
					r.warn(p.Name, "warm-up of phase %q (%s) is longer than the %s gap after phase %q: it starts at %s, inside %q, and %q's end restores to the warm-up level instead of the default",
						p.Name, c.WarmUp, gap, prev.Name, z.local(w), prev.Name, prev.Name)
				}
			}
			sortFirings(fs)
			for _, t := range r.targets {
				before := c.Default[t]
				for _, f := range fs {
					if f.target == t && f.at.Before(w) {
						before = f.level
					}
				}
				target := startLevel[i][t]
				for k := range fs {
					if fs[k].target == t && !fs[k].at.Before(w) && fs[k].at.Before(p.start) {
						fs[k].level = maxLevel(fs[k].level, target)
					}
				}
				if raises(before, target) {
					fs = append(fs, firing{at: w, target: t, level: maxLevel(before, target), reason: ReasonWarmUp, phase: p.Name, rule: slug(p.Name) + "-warmup-" + t, prio: prioWarmUp})
				}
			}
		}
	}

	// One firing per target and instant: phase start > warm-up > restore.
	sortFirings(fs)
	kept := fs[:0]
	for _, f := range fs {
		if n := len(kept); n > 0 && kept[n-1].target == f.target && kept[n-1].at.Equal(f.at) {
			if f.prio > kept[n-1].prio {
				kept[n-1] = f
			}
			continue
		}
		kept = append(kept, f)
	}
	fs = kept

	// Past: leave out what fires before now, and say so per phase.
	past := map[string]int{}
	for _, p := range r.phases {
		if !p.end.After(r.now) {
			r.warn(p.Name, "phase %q ended %s, before now (%s): its actions are left out", p.Name, z.local(p.end), z.local(r.now))
		}
	}
	plan := Plan{TimeZone: z.name, Targets: r.targets}
	used := map[string]bool{}
	for _, f := range fs {
		if f.at.Before(r.now) {
			past[f.phase]++
			continue
		}
		a := Action{At: f.at.UTC(), Local: z.local(f.at), Target: f.target, Level: f.level, Reason: f.reason, Phase: f.phase, Window: f.window, Rule: f.rule}
		if rule, ok := recurring[f.rule]; ok {
			a.Expression, a.TimeZone = rule.Expression, rule.TimeZone
		} else {
			expr, tz, kind := z.atExpression(f.at)
			a.Expression, a.TimeZone = expr, tz
			if kind != dstNormal {
				r.warn(f.phase, "%s action of phase %q for %q at %s: that local time %s in %s, so it is scheduled in UTC as %s",
					f.reason, f.phase, f.target, z.local(f.at), kind, z.name, expr)
			}
			plan.Rules = append(plan.Rules, Rule{ID: f.rule, Target: f.target, Level: f.level, Reason: f.reason, Phase: f.phase, Expression: expr, TimeZone: tz})
		}
		used[f.rule] = true
		plan.Actions = append(plan.Actions, a)
	}
	for _, p := range r.phases {
		if n := past[p.Name]; n > 0 && p.end.After(r.now) {
			r.warn(p.Name, "phase %q: %d action(s) before now (%s) are left out; the levels they set apply only from the phase's next action", p.Name, n, z.local(r.now))
		}
	}
	for _, id := range recurringOrder {
		rule := recurring[id]
		if !used[id] {
			continue
		}
		if rule.Start.Before(r.now) {
			rule.Start = nil
		}
		plan.Rules = append(plan.Rules, *rule)
	}
	sortRules(plan.Rules)
	return plan
}

func sortFirings(fs []firing) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		if a.target != b.target {
			return a.target < b.target
		}
		return a.prio < b.prio
	})
}

// sortRules orders rules by target, then one-shots by time, then recurring.
func sortRules(rs []Rule) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		if a.Recurring() != b.Recurring() {
			return !a.Recurring()
		}
		return false
	})
}

func shiftDays(days []time.Weekday) []time.Weekday {
	out := make([]time.Weekday, len(days))
	for i, d := range days {
		out[i] = (d + 1) % 7
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// cron renders a 6-field AWS cron expression (minutes hours day-of-month
// month day-of-week year).
func cron(minute, hour int, days []time.Weekday) string {
	if len(days) == 7 {
		return fmt.Sprintf("cron(%d %d * * ? *)", minute, hour)
	}
	names := make([]string, len(days))
	for i, d := range days {
		names[i] = dayNames[d]
	}
	return fmt.Sprintf("cron(%d %d ? * %s *)", minute, hour, strings.Join(names, ","))
}
