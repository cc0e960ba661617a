package scenario

import (
	"math"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// PacerFunc adapts a pace and a rate function to vegeta.Pacer. Vegeta's own
// PacerFunc only carries Pace, so it is not a vegeta.Pacer since v12.8 added
// Rate; custom ramps use this adapter instead.
type PacerFunc struct {
	PaceFunc func(elapsed time.Duration, hits uint64) (wait time.Duration, stop bool)
	RateFunc func(elapsed time.Duration) float64
}

var _ vegeta.Pacer = PacerFunc{}

// Pace implements vegeta.Pacer.
func (p PacerFunc) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return p.PaceFunc(elapsed, hits)
}

// Rate implements vegeta.Pacer.
func (p PacerFunc) Rate(elapsed time.Duration) float64 { return p.RateFunc(elapsed) }

// Segment is one stretch of a ramp at absolute rates (hits per second): a
// vegeta.ConstantPacer when From == To, else a vegeta.LinearPacer.
type Segment struct {
	Start    time.Duration
	Duration time.Duration
	From, To float64
	// hitsBefore is the number of hits the segments before this one expect.
	hitsBefore float64
	pacer      vegeta.Pacer
}

// hits is the number of hits the segment expects during its first d.
func (g Segment) hits(d time.Duration) float64 {
	if d > g.Duration {
		d = g.Duration
	}
	x := d.Seconds()
	slope := (g.To - g.From) / g.Duration.Seconds()
	return g.From*x + slope*x*x/2
}

// Profile is a whole ramp at absolute rates: consecutive segments chained
// into one vegeta.Pacer.
type Profile struct {
	Segments []Segment
	Duration time.Duration
}

// Profile returns the ramp at scale × the target rate. Rates below one hit
// per second are raised to one (Vegeta treats a zero rate as unlimited).
func (s *Scenario) Profile(scale float64) *Profile {
	target := s.TargetRate() * scale
	var segs []Segment
	add := func(d time.Duration, from, to float64) {
		if d <= 0 {
			return
		}
		segs = append(segs, Segment{Duration: d, From: math.Max(1, from*target), To: math.Max(1, to*target)})
	}
	last := 1.0
	for _, p := range s.Ramp {
		switch p.Kind {
		case "constant":
			add(p.Duration, p.Rate, p.Rate)
			last = p.Rate
		case "linear":
			add(p.Duration, p.From, p.To)
			last = p.To
		case "steps":
			step := p.Duration / time.Duration(p.Steps)
			for i := 0; i < p.Steps; i++ {
				d := step
				if i == p.Steps-1 {
					d = p.Duration - step*time.Duration(p.Steps-1)
				}
				r := p.From
				if p.Steps > 1 {
					r = p.From + (p.To-p.From)*float64(i)/float64(p.Steps-1)
				}
				add(d, r, r)
			}
			last = p.To
		case "spike":
			add(p.At, p.Base, p.Base)
			add(p.SpikeFor, p.Peak, p.Peak)
			add(p.Duration-p.At-p.SpikeFor, p.Base, p.Base)
			last = p.Base
		}
	}
	var used time.Duration
	for _, g := range segs {
		used += g.Duration
	}
	if len(s.Ramp) == 0 {
		last = 1
	}
	add(s.Duration-used, last, last)
	return newProfile(segs)
}

func newProfile(segs []Segment) *Profile {
	var start time.Duration
	var hits float64
	for i := range segs {
		g := &segs[i]
		g.Start, g.hitsBefore = start, hits
		if g.From == g.To {
			g.pacer = vegeta.ConstantPacer{Freq: int(math.Round(g.From)), Per: time.Second}
			g.From = math.Round(g.From)
			g.To = g.From
		} else {
			from := math.Round(g.From)
			g.pacer = vegeta.LinearPacer{
				StartAt: vegeta.ConstantPacer{Freq: int(from), Per: time.Second},
				Slope:   (g.To - from) / g.Duration.Seconds(),
			}
			g.From = from
		}
		start += g.Duration
		hits += g.hits(g.Duration)
	}
	return &Profile{Segments: segs, Duration: start}
}

func (p *Profile) segment(elapsed time.Duration) (Segment, bool) {
	for _, g := range p.Segments {
		if elapsed < g.Start+g.Duration {
			return g, true
		}
	}
	return Segment{}, false
}

// Pacer returns the profile as one vegeta.Pacer: each segment's own Vegeta
// pacer, fed the time and hits since the segment began; it stops at the end.
func (p *Profile) Pacer() vegeta.Pacer {
	return PacerFunc{
		PaceFunc: func(elapsed time.Duration, hits uint64) (time.Duration, bool) {
			g, ok := p.segment(elapsed)
			if !ok {
				return 0, true
			}
			before := uint64(math.Round(g.hitsBefore))
			if hits < before {
				return 0, false // behind: catch up at once
			}
			return g.pacer.Pace(elapsed-g.Start, hits-before)
		},
		RateFunc: p.Rate,
	}
}

// Rate is the instantaneous target rate at elapsed.
func (p *Profile) Rate(elapsed time.Duration) float64 {
	g, ok := p.segment(elapsed)
	if !ok {
		return 0
	}
	return g.pacer.Rate(elapsed - g.Start)
}

// ExpectedHits is the number of hits the profile asks for in its first d.
func (p *Profile) ExpectedHits(d time.Duration) float64 {
	var h float64
	for _, g := range p.Segments {
		if d <= g.Start {
			break
		}
		h = g.hitsBefore + g.hits(d-g.Start)
	}
	return h
}

// PeakRate is the highest rate of the profile.
func (p *Profile) PeakRate() float64 {
	var m float64
	for _, g := range p.Segments {
		m = math.Max(m, math.Max(g.From, g.To))
	}
	return m
}

// Split returns the profile with every rate divided by n (one worker's
// slice of a distributed run). Rates stay at least one hit per second.
func (p *Profile) Split(n int) *Profile {
	segs := make([]Segment, len(p.Segments))
	for i, g := range p.Segments {
		segs[i] = Segment{Duration: g.Duration, From: math.Max(1, g.From/float64(n)), To: math.Max(1, g.To/float64(n))}
	}
	return newProfile(segs)
}
