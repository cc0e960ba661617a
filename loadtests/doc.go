// Package loadtests is the home of campaignkit's load tests: scenario files
// per app (scenarios/), the Vegeta-based runner (runner), reports (report),
// the capacity planner (plan), exact merging of distributed results (merge)
// and the LoadGenerator construct that runs Vegeta on Lambda (loadgen).
package loadtests
