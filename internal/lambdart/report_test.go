package lambdart_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/campaignkit/campaignkit/internal/lambdart"
	"github.com/campaignkit/campaignkit/internal/testenv"
)

// ReportEnv gates TestInitTimeReport: it starts every bootstrap many
// times, which is a measurement, not a test to run on every change.
const ReportEnv = "CAMPAIGNKIT_INIT_REPORT"

// lambdaEntries lists every Lambda main package of the module.
func lambdaEntries(t testing.TB) []string {
	out, err := exec.Command("go", "list", "-e", "-f", `{{if eq .Name "main"}}{{.ImportPath}}{{end}}`,
		"github.com/campaignkit/campaignkit/lambdas/...").Output()
	if err != nil {
		t.Fatalf("go list lambdas: %v", err)
	}
	return strings.Fields(string(out))
}

// initEnv is configuration the bundled functions read at init (they fail
// fast without it); the values only need to be well-formed, except
// DATABASE_URL, which reportEnv points at a real PostgreSQL (the PostgreSQL
// writer migrates its schema at init, part of its cold start).
var initEnv = map[string]string{
	"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "TABLE_NAME": "report", "QUEUE_URL": "http://127.0.0.1:9/123456789012/report",
	// lambdas/charityevent/api: domain.Settings as the CDK app sets it.
	"CAMPAIGN_SETTINGS": `{"campaign":"report","stage":"dev","currency":"EUR","minCents":100,"maxCents":100000,` +
		`"charities":[{"ID":"c1","Name":"Charity","URL":"https://example.org"}]}`,
}

// reportEnv starts a throwaway PostgreSQL for the measurement and returns
// the init environment pointing at it.
func reportEnv(tb testing.TB) map[string]string {
	pg, err := testenv.StartPostgres(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pg.Stop)
	env := maps.Clone(initEnv)
	env["DATABASE_URL"] = pg.URL
	return env
}

// initTime starts bootstrap once and returns process start → first `next`.
func initTime(bootstrap string, env map[string]string) (time.Duration, error) {
	rt, err := lambdart.Start(context.Background(), bootstrap, lambdart.Options{Env: env})
	if err != nil {
		if ie, ok := err.(*lambdart.InitError); ok {
			return 0, fmt.Errorf("%w: %s", err, strings.TrimSpace(ie.Logs))
		}
		return 0, err
	}
	d := rt.InitDuration()
	_ = rt.Close()
	return d, nil
}

// TestInitTimeReport prints, for every Lambda bootstrap of the module, its
// size and its median init time next to the minimal aws-lambda-go hello,
// with the ratio (goal ≤ 2×, size ≤ 10 MB). Runs are interleaved so that
// machine noise hits both alike.
//
//	CAMPAIGNKIT_INIT_REPORT=1 go test ./internal/lambdart -run TestInitTimeReport -v
func TestInitTimeReport(t *testing.T) {
	if os.Getenv(ReportEnv) == "" {
		t.Skipf("measurement; set %s=1 to run", ReportEnv)
	}
	const runs = 25
	env := reportEnv(t)
	base, err := lambdart.Build(minimalEntry)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-60s %8s %10s %10s %6s\n", "bootstrap", "size MB", "init p50", "base p50", "ratio")
	// webEntry: a function built only on the runtime packages (lambdahttp,
	// httpapi, obs), to show what they cost over the minimal baseline.
	for _, entry := range append([]string{webEntry}, lambdaEntries(t)...) {
		art, err := lambdart.Build(entry)
		if err != nil {
			fmt.Fprintf(&b, "%-60s build failed: %v\n", entry, strings.SplitN(err.Error(), "\n", 2)[0])
			continue
		}
		var mine, baseline []time.Duration
		for range runs {
			bd, err := initTime(base.BinaryPath, env)
			if err != nil {
				t.Fatal(err)
			}
			d, err := initTime(art.BinaryPath, env)
			if err != nil {
				fmt.Fprintf(&b, "%-60s init failed: %v\n", entry, err)
				break
			}
			baseline, mine = append(baseline, bd), append(mine, d)
		}
		if len(mine) < runs {
			continue
		}
		m, bl := median(mine), median(baseline)
		fmt.Fprintf(&b, "%-60s %8.2f %10s %10s %6.2f\n", entry, float64(art.BinarySize)/(1<<20),
			m.Round(10*time.Microsecond), bl.Round(10*time.Microsecond), float64(m)/float64(bl))
	}
	fmt.Fprintf(&b, "%-60s %8.2f (baseline: minimal aws-lambda-go hello, %d interleaved runs each)\n", minimalEntry, float64(base.BinarySize)/(1<<20), runs)
	t.Log("\n" + b.String())
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkInit measures the init time of the minimal baseline and of every
// Lambda bootstrap (ns/op is one cold start: process start → first `next`).
func BenchmarkInit(b *testing.B) {
	entries := append([]string{minimalEntry}, lambdaEntries(b)...)
	env := reportEnv(b)
	for _, entry := range entries {
		art, err := lambdart.Build(entry)
		if err != nil {
			b.Logf("%s: %v", entry, err)
			continue
		}
		b.Run(strings.TrimPrefix(entry, "github.com/campaignkit/campaignkit/"), func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				d, err := initTime(art.BinaryPath, env)
				if err != nil {
					b.Skip(err) // needs configuration the report does not provide
				}
				total += d
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "init-ms")
			b.ReportMetric(float64(art.BinarySize)/(1<<20), "MB")
		})
	}
}
