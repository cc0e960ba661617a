package runner_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/campaignkit/campaignkit/loadtests/internal/fakeapi"
	"github.com/campaignkit/campaignkit/loadtests/report"
	"github.com/campaignkit/campaignkit/loadtests/runner"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

// lockWait lets this package wait for other packages' load tests: only one
// attack runs on the machine at a time.
const lockWait = 3 * time.Minute

// shortCharity is the bundled charity-event scenario cut to a few seconds
// at a rate safe for a shared machine (~200 rps at the peak).
func shortCharity(t *testing.T, d time.Duration) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Load("../scenarios/charityevent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s.Duration = d
	s.Ramp = []scenario.Phase{{Kind: "linear", From: 0.5, To: 1, Duration: d / 3}}
	s.Reconcile.Timeout = 15 * time.Second
	s.Reconcile.PollInterval = 100 * time.Millisecond
	return s
}

const scale = 0.006 // 33,333 rps × 0.006 = 200 rps

func TestRunLocalReconcilesAndWritesReport(t *testing.T) {
	// GIVEN the fake charity API on 127.0.0.1 whose writer applies
	// donations 300 ms after accepting them, announced like the local stack
	api := fakeapi.Start(fakeapi.Options{WriteDelay: 300 * time.Millisecond})
	defer api.Close()
	dataDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dataDir, "endpoint.json"), []byte(`{"url": "`+api.URL+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	base, err := runner.ResolveTarget(runner.TargetSource{Local: true, DataDir: dataDir, App: "charityevent"})
	if err != nil {
		t.Fatal(err)
	}
	s := shortCharity(t, 3*time.Second)

	// WHEN the runner attacks it
	var gob, prog bytes.Buffer
	out, err := runner.Run(context.Background(), s, base,
		runner.WithScale(scale), runner.WithResults(&gob), runner.WithProgress(&prog, time.Second),
		runner.WithLock(filepath.Join(os.TempDir(), "campaignkit-loadtest.lock"), lockWait))
	if err != nil {
		t.Fatal(err)
	}
	sum := out.Summary
	t.Log("\n" + sum.Text())

	// THEN every SLO passes, the rate was held and no accepted write was lost
	if !sum.Pass {
		t.Errorf("run failed:\n%s", sum.Text())
	}
	if sum.RateRatio < 0.95 || sum.Requests < 400 {
		t.Errorf("achieved %d requests at ratio %.3f, want ≥ 400 at ≥ 0.95", sum.Requests, sum.RateRatio)
	}
	rec := sum.Reconciliation
	if rec == nil || !rec.Pass || rec.AcceptedCount == 0 || rec.Lost != 0 {
		t.Errorf("reconciliation = %+v", rec)
	}
	if !strings.Contains(prog.String(), "target") || !strings.Contains(prog.String(), "p99") {
		t.Errorf("no progress lines:\n%s", prog.String())
	}
	// THEN the raw results decode to exactly the requests counted
	dec := vegeta.NewDecoder(&gob)
	n := 0
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			break
		}
		if r.Attack != "charityevent" || len(r.Body) != 0 {
			t.Fatalf("result %d: attack %q, %d body bytes (want name set, MaxBody 0)", n, r.Attack, len(r.Body))
		}
		n++
	}
	if uint64(n) != sum.Requests {
		t.Errorf("gob holds %d results, summary counts %d", n, sum.Requests)
	}
	// THEN the JSON summary and the HTML report are written, and the report
	// renders its plot in a real browser without touching the network
	dir := t.TempDir()
	_, html, err := report.WriteFiles(dir, out.Collector, sum)
	if err != nil {
		t.Fatal(err)
	}
	checkReportInBrowser(t, html)
}

func TestRunFindsLostAndDoubledWrites(t *testing.T) {
	tests := []struct {
		name string
		opts fakeapi.Options
		want string
	}{
		{"lost", fakeapi.Options{LoseEvery: 7}, "lost or not drained"},
		{"doubled", fakeapi.Options{DoubleEvery: 5}, "counted twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := fakeapi.Start(tt.opts)
			defer api.Close()
			s := shortCharity(t, 2*time.Second)
			s.Reconcile.Timeout = 2 * time.Second
			out, err := runner.Run(context.Background(), s, api.URL, runner.WithScale(scale),
				runner.WithLock(filepath.Join(os.TempDir(), "campaignkit-loadtest.lock"), lockWait))
			if err != nil {
				t.Fatal(err)
			}
			rec := out.Summary.Reconciliation
			if rec.Pass || out.Summary.Pass || !strings.Contains(rec.Detail, tt.want) {
				t.Errorf("reconciliation passed or said %q, want failure with %q", rec.Detail, tt.want)
			}
		})
	}
}

func TestRunSLOFailureAndInterrupt(t *testing.T) {
	// GIVEN an API that answers in 20 ms and an SLO of p99 ≤ 5 ms
	api := fakeapi.Start(fakeapi.Options{Latency: 20 * time.Millisecond})
	defer api.Close()
	s := shortCharity(t, 10*time.Second)
	s.SLO.P99 = 5 * time.Millisecond

	// WHEN the run is interrupted after one second (SIGINT cancels ctx)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	out, err := runner.Run(ctx, s, api.URL, runner.WithScale(scale),
		runner.WithLock(filepath.Join(os.TempDir(), "campaignkit-loadtest.lock"), lockWait))
	if err != nil {
		t.Fatal(err)
	}
	// THEN it stops promptly with a partial, failing summary
	sum := out.Summary
	if time.Since(start) > 4*time.Second || !sum.Interrupted || sum.Requests == 0 {
		t.Errorf("interrupted=%v after %s with %d requests", sum.Interrupted, time.Since(start), sum.Requests)
	}
	if sum.Pass {
		t.Error("p99 SLO of 5 ms passed against a 20 ms API")
	}
	if sum.Reconciliation == nil || sum.Reconciliation.Skipped == "" {
		t.Errorf("reconciliation not skipped on interrupt: %+v", sum.Reconciliation)
	}
	if _, _, err := report.WriteFiles(t.TempDir(), out.Collector, sum); err != nil {
		t.Fatalf("partial report: %v", err)
	}
}

func TestLockKeepsOneLoadTestAtATime(t *testing.T) {
	api := fakeapi.Start(fakeapi.Options{})
	defer api.Close()
	lockFile := filepath.Join(t.TempDir(), "lock")
	s := shortCharity(t, 2*time.Second)
	done := make(chan error, 1)
	go func() {
		_, err := runner.Run(context.Background(), s, api.URL, runner.WithScale(0.001), runner.WithReconcile(false), runner.WithLock(lockFile, 0))
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	_, err := runner.Run(context.Background(), s, api.URL, runner.WithScale(0.001), runner.WithLock(lockFile, 0))
	if !errors.Is(err, runner.ErrBusy) {
		t.Errorf("second run: err = %v, want ErrBusy", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestResolveTarget(t *testing.T) {
	dir := t.TempDir()
	outputs := filepath.Join(dir, "outputs.json")
	_ = os.WriteFile(outputs, []byte(`{"CharityWeekProd": {"TableName": "t", "ApiFunctionUrl": "https://abc.lambda-url.eu-west-1.on.aws/", "SiteUrl": "https://d111.cloudfront.net"}}`), 0o644)
	apiOnly := filepath.Join(dir, "api.json")
	_ = os.WriteFile(apiOnly, []byte(`{"S": {"HttpApiEndpoint": "https://x.execute-api.eu-west-1.amazonaws.com"}}`), 0o644)
	none := filepath.Join(dir, "none.json")
	_ = os.WriteFile(none, []byte(`{"S": {"TableName": "t"}}`), 0o644)
	local := filepath.Join(dir, ".local", "charityevent")
	_ = os.MkdirAll(local, 0o755)
	_ = os.WriteFile(filepath.Join(local, "endpoint.json"), []byte(`{"url": "http://127.0.0.1:8787/"}`), 0o644)

	tests := []struct {
		name    string
		src     runner.TargetSource
		want    string
		wantErr string
	}{
		{"url", runner.TargetSource{URL: "http://127.0.0.1:1/"}, "http://127.0.0.1:1", ""},
		{"bad url", runner.TargetSource{URL: "127.0.0.1:1"}, "", "want http(s)"},
		{"outputs prefer site", runner.TargetSource{OutputsFile: outputs}, "https://d111.cloudfront.net", ""},
		{"outputs named", runner.TargetSource{OutputsFile: outputs, Output: "ApiFunctionUrl"}, "https://abc.lambda-url.eu-west-1.on.aws", ""},
		{"outputs api", runner.TargetSource{OutputsFile: apiOnly}, "https://x.execute-api.eu-west-1.amazonaws.com", ""},
		{"outputs none", runner.TargetSource{OutputsFile: none}, "", "no site or API URL output"},
		{"local", runner.TargetSource{Local: true, DataDir: local}, "http://127.0.0.1:8787", ""},
		{"local missing", runner.TargetSource{Local: true, DataDir: filepath.Join(dir, "nope"), App: "charityevent"}, "", "is `campaignkit local charityevent` running?"},
		{"none", runner.TargetSource{}, "", "give a URL"},
		{"two", runner.TargetSource{URL: "http://a", Local: true}, "", "only one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runner.ResolveTarget(tt.src)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestTimeoutBoundsEachRequest(t *testing.T) {
	// GIVEN an API that answers in 1 s and a 100 ms request timeout
	api := fakeapi.Start(fakeapi.Options{Latency: time.Second})
	defer api.Close()
	s := shortCharity(t, time.Second)
	out, err := runner.Run(context.Background(), s, api.URL, runner.WithScale(0.001), runner.WithReconcile(false),
		runner.WithTimeout(100*time.Millisecond), runner.WithLock(filepath.Join(os.TempDir(), "campaignkit-loadtest.lock"), lockWait))
	if err != nil {
		t.Fatal(err)
	}
	// THEN every request fails at ~100 ms with a deadline error
	sum := out.Summary
	if sum.Requests == 0 || sum.Success != 0 || sum.Latencies.Max > 500*time.Millisecond {
		t.Fatalf("requests %d, success %v, max latency %s", sum.Requests, sum.Success, sum.Latencies.Max)
	}
	if len(sum.Errors) == 0 || !strings.Contains(sum.Errors[0], "deadline exceeded") {
		t.Errorf("errors = %v, want a deadline error", sum.Errors)
	}
}
