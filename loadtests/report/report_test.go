package report_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/campaignkit/campaignkit/loadtests/report"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

// collector holds 100 results, latencies 1..100 ms, the last two 503s.
func collector() *report.Collector {
	c := report.NewCollector("t")
	t0 := time.Date(2026, 12, 14, 20, 0, 0, 0, time.UTC)
	for i := 1; i <= 100; i++ {
		r := vegeta.Result{Attack: "a", Seq: uint64(i), Code: 200, Method: "GET", URL: "http://127.0.0.1:1/api/totals?x=1",
			Timestamp: t0.Add(time.Duration(i) * 10 * time.Millisecond), Latency: time.Duration(i) * time.Millisecond}
		if i > 98 {
			r.Code, r.Error = 503, "503 Service Unavailable"
		}
		c.Add(&r)
	}
	return c
}

func TestSummarizeAndEvaluate(t *testing.T) {
	tests := []struct {
		name   string
		slo    scenario.SLO
		target float64
		rec    *report.Reconciliation
		fails  []string
	}{
		{"all pass", scenario.SLO{P50: 50 * time.Millisecond, P99: 99 * time.Millisecond, SuccessRatio: 0.98, MinRateRatio: 0.9}, 100, nil, nil},
		{"p99 fails", scenario.SLO{P99: 98 * time.Millisecond}, 100, nil, []string{"p99 latency"}},
		{"success fails", scenario.SLO{SuccessRatio: 0.99}, 100, nil, []string{"success ratio"}},
		{"generator fell behind", scenario.SLO{MinRateRatio: 0.95}, 200, nil, []string{"achieved/target rate (coordinated omission)"}},
		{"lost write", scenario.SLO{}, 100, &report.Reconciliation{AcceptedCount: 3, Lost: 1}, []string{"reconciliation: no accepted write lost"}},
		{"skipped reconcile is no verdict", scenario.SLO{}, 100, &report.Reconciliation{Skipped: "interrupted"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := collector().Summarize(report.Meta{Scenario: "s", TargetRate: tt.target, Elapsed: time.Second}, tt.slo, tt.rec)
			// exact nearest-rank quantiles over 1..100 ms
			if s.Latencies.P50 != 50*time.Millisecond || s.Latencies.P99 != 99*time.Millisecond || s.Latencies.Max != 100*time.Millisecond {
				t.Fatalf("latencies = %+v", s.Latencies)
			}
			var fails []string
			for _, v := range s.Verdicts {
				if !v.Pass {
					fails = append(fails, v.Name)
				}
			}
			if strings.Join(fails, ",") != strings.Join(tt.fails, ",") || s.Pass != (len(tt.fails) == 0) {
				t.Errorf("failed verdicts %v (pass=%v), want %v", fails, s.Pass, tt.fails)
			}
			if len(s.ByRequest) != 1 || s.ByRequest[0].Request != "GET /api/totals" {
				t.Errorf("by request = %+v", s.ByRequest)
			}
		})
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	c := collector()
	s := c.Summarize(report.Meta{Scenario: "s", Target: "http://127.0.0.1:1", TargetRate: 100, Elapsed: time.Second}, scenario.SLO{P99: time.Second}, nil)
	var b bytes.Buffer
	if err := c.WriteHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{`id="verdicts"`, `id="percentiles"`, `id="status-codes"`, `id="rate-chart"`, `<div id="plot">`, "uPlot"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	// nothing loaded from elsewhere: no src/href to a URL, no @import
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import`).FindString(html); m != "" {
		t.Errorf("report references an external resource: %q", m)
	}
}
