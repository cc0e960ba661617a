package runner_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/campaignkit/campaignkit/loadtests/runner"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

// BenchmarkRunBareTarget attacks an in-process bare net/http handler on
// 127.0.0.1 at LOADTEST_BENCH_RATE rps (default 5,000) for 5 s per
// iteration and reports the achieved rate and p99. Use -benchtime 1x and
// -cpuprofile to see where the runner spends its CPU.
func BenchmarkRunBareTarget(b *testing.B) {
	rate := 5000
	if v := os.Getenv("LOADTEST_BENCH_RATE"); v != "" {
		rate, _ = strconv.Atoi(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	s, err := scenario.Parse([]byte(fmt.Sprintf("name: bench\nusers: {peakConcurrentUsers: %d, thinkTime: 1s}\nduration: 5s\nrequests: [{name: get, weight: 1, path: /}]\n", rate)))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		out, err := runner.Run(context.Background(), s, srv.URL, runner.WithReconcile(false),
			runner.WithLock(filepath.Join(os.TempDir(), "campaignkit-loadtest.lock"), 3*time.Minute))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(out.Summary.AchievedRate, "rps")
		b.ReportMetric(float64(out.Summary.Latencies.P99.Microseconds()), "p99-µs")
	}
}
