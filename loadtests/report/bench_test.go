package report_test

import (
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/campaignkit/campaignkit/loadtests/report"
)

// BenchmarkCollectorAdd is the per-result cost the runner pays on its
// results loop (metrics, per-request metrics, exact latencies, plot).
func BenchmarkCollectorAdd(b *testing.B) {
	c := report.NewCollector("bench")
	t0 := time.Now()
	r := vegeta.Result{Attack: "bench", Code: 200, Method: "GET", URL: "http://127.0.0.1:1/api/totals", Latency: time.Millisecond}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Seq = uint64(i)
		r.Timestamp = t0.Add(time.Duration(i) * 50 * time.Microsecond)
		c.Add(&r)
	}
}
