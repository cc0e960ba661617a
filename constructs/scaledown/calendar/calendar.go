// Package calendar resolves a campaign calendar (named phases in an IANA time
// zone, recurring windows inside them, a default level and a warm-up lead
// time) into the dated capacity actions that carry it out. It is pure Go and
// never imports the CDK, so the ScheduledScaleDown construct and the
// load-test planner (cost estimates) read the same plan.
//
// # Daylight saving time
//
// Phase boundaries and window times are local wall-clock times. Two local
// times need a rule:
//
//   - A time that does not exist (spring forward, e.g. 02:30 on the last
//     Sunday of March in Europe/Brussels) is moved forward by the length of
//     the gap: 02:30 becomes 03:30 CEST (01:30 UTC), the instant 02:30 would
//     have been on the old offset.
//   - A time that occurs twice (fall back, e.g. 02:30 on the last Sunday of
//     October) resolves to its first occurrence (02:30 CEST, 00:30 UTC).
//
// One-shot actions whose local time is in either case are emitted as an
// at() expression in UTC (TimeZone "UTC"), so AWS runs exactly the instant
// this package chose; Resolve warns about each. Recurring windows use cron
// expressions in the calendar's time zone, which AWS evaluates itself (it
// skips a nonexistent time and fires an ambiguous one once); Resolve warns
// when a window time falls into a transition inside its phase.
package calendar

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	// Embed the IANA database so zones resolve the same on every machine.
	_ "time/tzdata"
)

// Level is the capacity of one target: Min and Max in the target's unit
// (provisioned concurrency, tasks, capacity units, ACU, maximum concurrency).
type Level struct {
	Min float64 `json:"min" yaml:"min"`
	Max float64 `json:"max" yaml:"max"`
}

// Fixed returns a level with Min = Max = n.
func Fixed(n float64) Level { return Level{Min: n, Max: n} }

// String renders "min..max" (or "n" when both are equal).
func (l Level) String() string {
	if l.Min == l.Max {
		return num(l.Min)
	}
	return num(l.Min) + ".." + num(l.Max)
}

func num(f float64) string { return fmt.Sprintf("%g", f) }

// Window is a recurring period inside a phase (e.g. a night-time floor). It
// starts at From on each of Days and ends at To, both local "HH:MM"; a
// window with To earlier than From ends on the next day (crosses midnight).
// Targets not named in Levels keep the phase level.
type Window struct {
	// Name identifies the window in the plan. Default: "window<N>" (1-based).
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Days are the weekdays the window starts on ("MON".."SUN"). Default: every day.
	Days   []string         `json:"days,omitempty" yaml:"days,omitempty"`
	From   string           `json:"from" yaml:"from"`
	To     string           `json:"to" yaml:"to"`
	Levels map[string]Level `json:"levels" yaml:"levels"`
}

// Phase is a named period of the campaign with a level per target. Start and
// End are local times "YYYY-MM-DDTHH:MM" (or "YYYY-MM-DD HH:MM", or a date,
// meaning 00:00); End is exclusive. Targets not named in Levels use the
// calendar's Default.
type Phase struct {
	Name    string           `json:"name" yaml:"name"`
	Start   string           `json:"start" yaml:"start"`
	End     string           `json:"end" yaml:"end"`
	Levels  map[string]Level `json:"levels" yaml:"levels"`
	Windows []Window         `json:"windows,omitempty" yaml:"windows,omitempty"`
}

// Calendar is a campaign calendar.
type Calendar struct {
	// TimeZone is an IANA zone name such as "Europe/Brussels".
	TimeZone string `json:"timeZone" yaml:"timeZone"`
	// Phases must not overlap; they may touch (End of one = Start of next).
	Phases []Phase `json:"phases" yaml:"phases"`
	// Default is the level of each target outside phases, restored at the
	// end of every phase. Every target needs one.
	Default map[string]Level `json:"default" yaml:"default"`
	// WarmUp applies a phase's level this long before the phase starts,
	// for the targets it raises, so capacity is ready when the crowd
	// arrives. Scale-downs happen at the phase start. Default: 0.
	WarmUp time.Duration `json:"warmUp" yaml:"warmUp"`
}

// Reason says why an action happens.
type Reason string

// Reasons of actions.
const (
	ReasonPhase   Reason = "phase"   // a phase starts
	ReasonWarmUp  Reason = "warm-up" // a phase's level ahead of its start
	ReasonWindow  Reason = "window"  // a recurring window starts
	ReasonRestore Reason = "restore" // a window or phase ends: back to the base level
)

// Rule is one scheduled action as AWS runs it: a one-shot at() or a
// recurring cron() expression read in TimeZone, bounded by Start/End.
type Rule struct {
	// ID is unique in the plan, made of letters, digits and dashes.
	ID     string `json:"id"`
	Target string `json:"target"`
	Level  Level  `json:"level"`
	Reason Reason `json:"reason"`
	Phase  string `json:"phase"`
	Window string `json:"window,omitempty"`
	// Expression is "at(yyyy-mm-ddThh:mm:ss)" or "cron(m h ? * days *)".
	Expression string `json:"expression"`
	// TimeZone is the zone Expression is read in (the calendar's, or "UTC"
	// for one-shots at an ambiguous or nonexistent local time).
	TimeZone string `json:"timeZone"`
	// Start and End bound a recurring rule (UTC); nil for one-shots, and
	// Start is nil when its phase already started before "now".
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
}

// Recurring reports whether the rule is a cron rule.
func (r Rule) Recurring() bool { return strings.HasPrefix(r.Expression, "cron(") }

// Action is one dated change of a target's level: every firing of a rule.
type Action struct {
	// At is the instant in UTC.
	At time.Time `json:"at"`
	// Local is At in the calendar's zone, "2006-01-02 15:04 MST".
	Local  string `json:"local"`
	Target string `json:"target"`
	Level  Level  `json:"level"`
	Reason Reason `json:"reason"`
	Phase  string `json:"phase"`
	Window string `json:"window,omitempty"`
	// Rule is the ID of the rule that fires it; Expression and TimeZone are its.
	Rule       string `json:"rule"`
	Expression string `json:"expression"`
	TimeZone   string `json:"timeZone"`
}

// Plan is a resolved calendar: the rules to synthesize and every action
// they fire, in time order.
type Plan struct {
	TimeZone string   `json:"timeZone"`
	Targets  []string `json:"targets"`
	Rules    []Rule   `json:"rules"`
	Actions  []Action `json:"actions"`
}

// Warning is a problem that does not stop synthesis (dates in the past, a
// warm-up longer than the gap before its phase, DST transitions).
type Warning struct {
	Phase   string `json:"phase,omitempty"`
	Message string `json:"message"`
}

func (w Warning) String() string { return w.Message }

// Targets returns every target named in the calendar, sorted.
func (c *Calendar) Targets() []string {
	set := map[string]bool{}
	for t := range c.Default {
		set[t] = true
	}
	for _, p := range c.Phases {
		for t := range p.Levels {
			set[t] = true
		}
		for _, w := range p.Windows {
			for t := range w.Levels {
				set[t] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// LevelRef is one level in the calendar and where it is set.
type LevelRef struct {
	Where  string // "Default", `phase "x"`, `phase "x" window "y"`
	Target string
	Level  Level
}

// Levels lists every level the calendar sets, in a stable order, so a
// consumer can check names and ranges against its own targets.
func (c *Calendar) Levels() []LevelRef {
	var out []LevelRef
	add := func(where string, m map[string]Level) {
		for _, t := range sortedKeys(m) {
			out = append(out, LevelRef{Where: where, Target: t, Level: m[t]})
		}
	}
	add("Default", c.Default)
	for _, p := range c.Phases {
		add(fmt.Sprintf("phase %q", p.Name), p.Levels)
		for i, w := range p.Windows {
			add(fmt.Sprintf("phase %q window %q", p.Name, windowName(w, i)), w.Levels)
		}
	}
	return out
}

func sortedKeys(m map[string]Level) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func windowName(w Window, i int) string {
	if w.Name != "" {
		return w.Name
	}
	return fmt.Sprintf("window%d", i+1)
}

// JSON returns the plan as indented JSON.
func (p Plan) JSON() ([]byte, error) { return json.MarshalIndent(p, "", "  ") }

// Format writes the plan as a table, one action a line, with each action in
// local time and in UTC.
func (p Plan) Format(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "LOCAL (%s)\tUTC\tTARGET\tLEVEL\tREASON\tPHASE\tEXPRESSION\n", p.TimeZone)
	for _, a := range p.Actions {
		phase := a.Phase
		if a.Window != "" {
			phase += "/" + a.Window
		}
		expr := a.Expression
		if a.TimeZone != p.TimeZone {
			expr += " " + a.TimeZone
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Local, a.At.UTC().Format("2006-01-02 15:04Z"),
			a.Target, a.Level, a.Reason, phase, expr)
	}
	return tw.Flush()
}

// Summary renders the plan in one line per action, shortest form, for a
// stack output.
func (p Plan) Summary() string {
	var b strings.Builder
	for i, a := range p.Actions {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s (%s) %s=%s %s %s", a.Local, a.At.UTC().Format("15:04Z"), a.Target, a.Level, a.Reason, a.Phase)
	}
	return b.String()
}

// Errors returned (joined) by Resolve; match them with errors.Is.
var (
	ErrTimeZone = errors.New("unknown time zone")
	ErrPhase    = errors.New("invalid phase")
	ErrOverlap  = errors.New("phases overlap")
	ErrLevel    = errors.New("invalid level")
	ErrGap      = errors.New("no level defined")
	ErrWindow   = errors.New("invalid window")
)

type problem struct {
	kind error
	msg  string
}

func (p problem) Error() string { return "calendar: " + p.msg }
func (p problem) Unwrap() error { return p.kind }

func errf(kind error, format string, args ...any) error {
	return problem{kind: kind, msg: fmt.Sprintf(format, args...)}
}

var (
	idUnsafe = regexp.MustCompile(`[^a-z0-9]+`)
	hhmm     = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)
	weekdays = map[string]time.Weekday{"SUN": time.Sunday, "MON": time.Monday, "TUE": time.Tuesday,
		"WED": time.Wednesday, "THU": time.Thursday, "FRI": time.Friday, "SAT": time.Saturday}
	dayNames = [7]string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
)

func slug(s string) string {
	return strings.Trim(idUnsafe.ReplaceAllString(strings.ToLower(s), "-"), "-")
}
