package local_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/campaignkit/campaignkit/internal/lambdahttp"
	"github.com/campaignkit/campaignkit/internal/local"
	"github.com/campaignkit/campaignkit/internal/local/demoapp"
)

// LoadReportEnv gates TestLocalThroughputReport: it is a measurement that
// loads the machine for ~30 s, not a test for every change. Optional
// LOAD_RATE (default 15000 rps) and LOAD_DURATION (default 10s).
const LoadReportEnv = "CAMPAIGNKIT_LOAD_REPORT"

// TestLocalThroughputReport puts the same Vegeta load (127.0.0.1 only,
// bounded rate and time) on a bare net/http hello handler and on the demo
// app served by the local stack with embedded, persisted adapters — a read
// (GET /api/hello through edge headers, limiter and httpapi middleware) and
// an accepted write (POST /api/writes: JSON decode, validation, fsynced
// enqueue, while the writer drains the queue into the store) — and reports
// each one's throughput as a ratio of the bare handler's (goal ≥ 0.5).
//
//	CAMPAIGNKIT_LOAD_REPORT=1 go test ./internal/local -run TestLocalThroughputReport -v
func TestLocalThroughputReport(t *testing.T) {
	if os.Getenv(LoadReportEnv) == "" {
		t.Skipf("measurement; set %s=1 to run", LoadReportEnv)
	}
	rate := 15000
	if v, err := strconv.Atoi(os.Getenv("LOAD_RATE")); err == nil && v > 0 {
		rate = v
	}
	dur := 10 * time.Second
	if v, err := time.ParseDuration(os.Getenv("LOAD_DURATION")); err == nil && v > 0 {
		dur = v
	}

	// Bare: a plain net/http hello handler, same server settings.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bareMux := http.NewServeMux()
	bareMux.HandleFunc("GET /api/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"message":"hello"}`+"\n")
	})
	bare := lambdahttp.NewServer(bareMux)
	go func() { _ = bare.Serve(ln) }()
	defer bare.Close()

	// Local: the demo app, embedded adapters, persistence on (fsync), a
	// reserved concurrency high enough that throttling is not what we measure.
	s, err := local.Start(context.Background(), demoapp.App(1000), local.Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(),
		Out: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())

	get := func(url string) vegeta.Targeter {
		return vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: url})
	}
	var seq atomic.Int64
	post := func(tgt *vegeta.Target) error {
		*tgt = vegeta.Target{Method: "POST", URL: s.URL() + "/api/writes",
			Body:   []byte(fmt.Sprintf(`{"id":"load-%d","amount":1}`, seq.Add(1))),
			Header: http.Header{"Content-Type": {"application/json"}}}
		return nil
	}
	runs := []struct {
		name string
		tr   vegeta.Targeter
	}{
		{"bare net/http hello", get("http://" + ln.Addr().String() + "/api/hello")},
		{"local GET /api/hello", get(s.URL() + "/api/hello")},
		{"local POST /api/writes", post},
	}
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("LOAD_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	// Rounds interleave the targets so that noise from other processes on
	// the machine hits all of them alike; results are merged per target.
	merged := make([]vegeta.Metrics, len(runs))
	sent, ok := make([]float64, len(runs)), make([]float64, len(runs))
	busy := make([]time.Duration, len(runs))
	var drain []string
	for round := range rounds {
		for i, r := range runs {
			one := attack(&merged[i], r.name, r.tr, rate, dur/time.Duration(rounds))
			sent[i] += float64(one.Requests)
			ok[i] += one.Success * float64(one.Requests)
			busy[i] += one.Duration + one.Wait
			time.Sleep(500 * time.Millisecond)
		}
		// Let the writer drain the accepted writes before the next round,
		// so its background work does not slow the next bare run.
		t0, want := time.Now(), int64(merged[2].StatusCodes["202"])
		for s.PollerStats()["demo-writer"].Deleted < want && time.Since(t0) < 2*time.Minute {
			time.Sleep(50 * time.Millisecond)
		}
		st := s.PollerStats()["demo-writer"]
		drain = append(drain, fmt.Sprintf("round %d: writer stored %d of %d accepted (+%s to drain)", round+1, st.Deleted, want, time.Since(t0).Round(10*time.Millisecond)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "target rate %d/s, %d interleaved rounds of %s per target, attacker in-process on the same 2 cores\n", rate, rounds, dur/time.Duration(rounds))
	fmt.Fprintf(&b, "%-24s %10s %10s %9s %9s %9s %8s %6s\n", "target", "sent/s", "ok/s", "p50", "p99", "max", "success", "ratio")
	for i, r := range runs {
		m := &merged[i]
		m.Close()
		// Rates over the time each target was under attack (merged
		// Metrics would count the other targets' rounds as idle time).
		okRate := ok[i] / busy[i].Seconds()
		fmt.Fprintf(&b, "%-24s %10.0f %10.0f %9s %9s %9s %7.2f%% %6.2f\n", r.name, sent[i]/busy[i].Seconds(), okRate,
			m.Latencies.P50.Round(10*time.Microsecond), m.Latencies.P99.Round(10*time.Microsecond), m.Latencies.Max.Round(time.Millisecond),
			100*m.Success, okRate/(ok[0]/busy[0].Seconds()))
		if len(m.Errors) > 0 {
			fmt.Fprintf(&b, "%-24s errors: %s; status codes %v\n", "", strings.Join(first(m.Errors, 3), "; "), m.StatusCodes)
		}
	}
	for _, d := range drain {
		fmt.Fprintln(&b, d)
	}
	if qs, ok := s.QueueStats(); ok && qs.Commits > 0 {
		fmt.Fprintf(&b, "embedded queue: %d fsynced commits, %.1f ops and %.1f callers per commit, %s mean commit (sends, receives and deletes share one committer)\n",
			qs.Commits, float64(qs.Ops)/float64(qs.Commits), float64(qs.Callers)/float64(qs.Commits), (qs.CommitTime / time.Duration(qs.Commits)).Round(time.Microsecond))
	}
	t.Log("\n" + b.String())
}

// attack runs one bounded attack, adds its results to merged and returns
// its own metrics. At most 256 requests are in flight (below the demo's
// reserved concurrency of 1000, so the limiter does not shape the result).
func attack(merged *vegeta.Metrics, name string, tr vegeta.Targeter, rate int, dur time.Duration) vegeta.Metrics {
	atk := vegeta.NewAttacker(vegeta.Workers(32), vegeta.MaxWorkers(256), vegeta.Connections(256),
		vegeta.MaxConnections(256), vegeta.KeepAlive(true), vegeta.MaxBody(0), vegeta.Timeout(10*time.Second))
	var m vegeta.Metrics
	for res := range atk.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, dur, name) {
		m.Add(res)
		merged.Add(res)
	}
	m.Close()
	return m
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
