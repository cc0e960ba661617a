package merge_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/campaignkit/campaignkit/loadtests/merge"
	"github.com/campaignkit/campaignkit/loadtests/report"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

var update = flag.Bool("update", false, "rewrite golden files")

// results makes a deterministic attack of n results from `workers` load
// generators: skewed latencies (one slow worker), a few errors.
func results(n, workers int) []vegeta.Result {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 12, 14, 20, 0, 0, 0, time.UTC)
	out := make([]vegeta.Result, n)
	for i := range out {
		w := i % workers
		lat := time.Duration(1+rng.IntN(5000)) * time.Microsecond
		if w == workers-1 {
			lat *= 20 // one worker sits behind a slow network path
		}
		code, errStr := uint16(200), ""
		if rng.IntN(500) == 0 {
			code, errStr = 503, "503 Service Unavailable"
		}
		url := "http://127.0.0.1:1/api/totals"
		if i%10 == 0 {
			url, code = "http://127.0.0.1:1/api/donations", 202
		}
		out[i] = vegeta.Result{
			Attack: fmt.Sprintf("run-w%d", w), Seq: uint64(i / workers), Code: code, Error: errStr,
			Timestamp: t0.Add(time.Duration(i) * 10 * time.Second / time.Duration(n)),
			Latency:   lat, Method: "GET", URL: url,
		}
	}
	return out
}

func encode(t *testing.T, rs []vegeta.Result) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	enc := vegeta.NewEncoder(&b)
	for i := range rs {
		if err := enc.Encode(&rs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return &b
}

func summary(t *testing.T, rs ...io.Reader) *report.Summary {
	t.Helper()
	col, _, err := merge.Readers("merge test", rs...)
	if err != nil {
		t.Fatal(err)
	}
	return col.Summarize(report.Meta{Scenario: "merge", Target: "http://127.0.0.1:1", TargetRate: 3000}, scenario.SLO{P99: 50 * time.Millisecond}, nil)
}

func TestMergeIsExact(t *testing.T) {
	const n, workers = 30000, 4
	all := results(n, workers)

	// GIVEN one file with every result
	one := summary(t, encode(t, all))

	// WHEN the same results come from 4 workers' files, each in its own
	// (shuffled) order, and are merged
	parts := make([][]vegeta.Result, workers)
	for _, r := range all {
		w := int(r.Attack[len(r.Attack)-1] - '0')
		parts[w] = append(parts[w], r)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var readers []io.Reader
	for _, p := range parts {
		rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
		readers = append(readers, encode(t, p))
	}
	merged := summary(t, readers...)

	// THEN the merged metrics are identical to the single file's
	a, _ := json.MarshalIndent(one, "", "  ")
	b, _ := json.MarshalIndent(merged, "", "  ")
	if !bytes.Equal(a, b) {
		t.Fatalf("merged summary differs from the single file's:\n--- one\n%s\n--- merged\n%s", a, b)
	}
	if merged.Requests != n || len(merged.Attacks) != workers {
		t.Errorf("requests %d from %d attacks, want %d from %d", merged.Requests, len(merged.Attacks), n, workers)
	}

	// and they are NOT what averaging the workers' p99s (AWS DLT) gives
	var avg time.Duration
	for _, p := range parts {
		avg += summary(t, encode(t, p)).Latencies.P99 / workers
	}
	t.Logf("exact p99 %s; mean of per-worker p99s %s (wrong by %.0f%%)", merged.Latencies.P99, avg,
		100*(float64(avg)-float64(merged.Latencies.P99))/float64(merged.Latencies.P99))
	if avg == merged.Latencies.P99 {
		t.Error("averaged p99 equals the exact one; the fixture does not show the difference")
	}

	// golden: the merged summary, refreshed with -update
	golden := filepath.Join("testdata", "merged-summary.golden.json")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(b)) {
		t.Errorf("merged summary differs from %s (run go test -update if intended):\n%s", golden, b)
	}
}

func TestMergeErrors(t *testing.T) {
	rs := results(100, 2)
	good := encode(t, rs).Bytes()
	tests := []struct {
		name    string
		inputs  [][]byte
		want    int
		wantErr string
	}{
		{"empty worker file adds nothing", [][]byte{good, {}}, 100, ""},
		{"truncated file is an error", [][]byte{good, good[:len(good)/2]}, 0, "results 2"},
		{"garbage is an error", [][]byte{[]byte("not results")}, 0, "unknown encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var readers []io.Reader
			for _, in := range tt.inputs {
				readers = append(readers, bytes.NewReader(in))
			}
			_, n, err := merge.Readers("x", readers...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || n != tt.want {
				t.Fatalf("n = %d, err = %v; want %d", n, err, tt.want)
			}
		})
	}
}
