package webtier

import (
	"math"
	"time"
)

// Capacity is what the web tier derived from its load target (see the
// package documentation for the formulas). Overridden values appear as given.
type Capacity struct {
	// RequestsPerSecond at the peak: PeakConcurrentUsers / ThinkTime, or
	// PeakRequestsPerSecond.
	RequestsPerSecond float64
	// MeanDuration and P99Latency as configured.
	MeanDuration time.Duration
	P99Latency   time.Duration
	// PeakConcurrency is RequestsPerSecond × MeanDuration, rounded up.
	PeakConcurrency int
	// Headroom used for reserved concurrency and throttling.
	Headroom float64
	// ReservedConcurrency set on the function.
	ReservedConcurrency int
	// ProvisionedMin and ProvisionedMax bound the scalable target.
	ProvisionedMin int
	ProvisionedMax int
	// TargetUtilization tracked by the autoscaling policy.
	TargetUtilization float64
	// ThrottleRateLimit and ThrottleBurstLimit are the HTTP API stage
	// throttles: ceil(RequestsPerSecond × Headroom) and one second of that
	// rate capped at API Gateway's burst quota (5,000). Zero for a Function URL.
	ThrottleRateLimit  int
	ThrottleBurstLimit int
}

// ceil rounds up, ignoring float noise (200,000 × 0.02 is 4,000, not 4,001).
func ceil(x float64) int {
	return int(math.Ceil(math.Round(x*1e6) / 1e6))
}

func derive(c *config) Capacity {
	rps := 0.0
	if c.rps != nil {
		rps = *c.rps
	} else {
		rps = *c.users / c.think.Seconds()
	}
	capa := Capacity{
		RequestsPerSecond: rps,
		MeanDuration:      c.mean,
		P99Latency:        c.p99,
		PeakConcurrency:   max(1, ceil(rps*c.mean.Seconds())),
		Headroom:          c.headroom,
		TargetUtilization: c.target,
	}
	capa.ProvisionedMax = capa.PeakConcurrency
	if c.pmax != nil {
		capa.ProvisionedMax = int(*c.pmax)
	}
	capa.ProvisionedMin = max(1, ceil(float64(capa.ProvisionedMax)*c.floor))
	if c.pmin != nil {
		capa.ProvisionedMin = int(*c.pmin)
	} else {
		capa.ProvisionedMin = min(capa.ProvisionedMin, capa.ProvisionedMax)
	}
	capa.ReservedConcurrency = max(ceil(float64(capa.PeakConcurrency)*c.headroom), capa.ProvisionedMax)
	if c.reserved != nil {
		capa.ReservedConcurrency = int(*c.reserved)
	}
	if c.frontDoor == FrontDoorHTTPAPI {
		capa.ThrottleRateLimit = max(1, ceil(rps*c.headroom))
		capa.ThrottleBurstLimit = min(capa.ThrottleRateLimit, HTTPAPIAccountBurst)
	}
	return capa
}
