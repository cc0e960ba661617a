package localapp_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/campaignkit/campaignkit/apps/charityevent/localapp"
	"github.com/campaignkit/campaignkit/internal/local"
	"github.com/campaignkit/campaignkit/loadtests/report"
	"github.com/campaignkit/campaignkit/loadtests/runner"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

// GIVEN the charity event on the local stack WHEN the bundled scenario runs
// against it as `loadtest run --local` does (target from endpoint.json,
// ramp compressed to 6 s at ~100 rps) THEN every SLO passes, no accepted
// donation is lost, and the HTML report renders its plot in Chromium.
func TestBundledScenarioAgainstLocalStack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dataDir := t.TempDir()
	stack, err := local.Start(ctx, localapp.App(), local.Options{
		Addr: "127.0.0.1:0", DataDir: dataDir, Campaign: "../../../" + localapp.DefaultFile,
		Out: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), WriterWaitTime: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Shutdown(context.Background())

	s, err := scenario.Load("../../../loadtests/scenarios/charityevent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s = s.WithDuration(6 * time.Second)
	base, err := runner.ResolveTarget(runner.TargetSource{Local: true, DataDir: dataDir, App: localapp.Name})
	if err != nil {
		t.Fatal(err)
	}
	out, err := runner.Run(ctx, s, base, runner.WithScale(0.003), runner.WithProgress(io.Discard, time.Second),
		runner.WithLock(filepath.Join(os.TempDir(), "campaignkit-loadtest.lock"), 3*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	sum := out.Summary
	t.Log("\n" + sum.Text())
	if !sum.Pass {
		t.Fatalf("SLOs failed:\n%s", sum.Text())
	}
	if rec := sum.Reconciliation; rec == nil || !rec.Pass || rec.AcceptedCount == 0 || rec.Lost != 0 {
		t.Fatalf("reconciliation %+v", rec)
	}
	_, html, err := report.WriteFiles(t.TempDir(), out.Collector, sum)
	if err != nil {
		t.Fatal(err)
	}

	bctx, bcancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000))...)
	defer bcancel()
	tab, tcancel := chromedp.NewContext(bctx)
	defer tcancel()
	if err := chromedp.Do(tab, chromedp.Navigate("file://"+html), chromedp.WaitVisible(chromedp.CSS(`#plot canvas`))); err != nil {
		t.Fatalf("open report: %v", err)
	}
	w, err := chromedp.Run(tab, chromedp.Evaluate[float64](`document.querySelector('#plot canvas').getBoundingClientRect().width`))
	if err != nil || w <= 0 {
		t.Fatalf("plot canvas width %v (%v)", w, err)
	}
}
