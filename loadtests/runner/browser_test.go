package runner_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// checkReportInBrowser opens the report in headless Debian Chromium and
// checks that Vegeta's uPlot canvas rendered with a non-zero size, the
// verdict table is there, and the page asked the network for nothing.
func checkReportInBrowser(t *testing.T, path string) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath("/usr/bin/chromium"),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	var mu sync.Mutex
	var remote []string
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			u := e.Request.URL
			if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
				mu.Lock()
				remote = append(remote, u)
				mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	type box struct{ W, H float64 }
	err = chromedp.Do(ctx,
		chromedp.Navigate("file://"+path),
		chromedp.WaitVisible(chromedp.CSS(`#plot canvas`)),
	)
	if err != nil {
		t.Fatalf("open report in chromium: %v", err)
	}
	size, err := chromedp.Run(ctx, chromedp.Evaluate[box](`(() => { const c = document.querySelector('#plot canvas'); const r = c.getBoundingClientRect(); return {W: c.width > 0 ? r.width : 0, H: c.height > 0 ? r.height : 0}; })()`))
	if err != nil {
		t.Fatalf("measure plot canvas: %v", err)
	}
	verdicts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#verdicts tr').length`))
	if err != nil {
		t.Fatalf("count verdict rows: %v", err)
	}
	if size.W <= 0 || size.H <= 0 {
		t.Errorf("plot canvas is %vx%v, want non-zero", size.W, size.H)
	}
	if verdicts < 2 {
		t.Errorf("verdict table has %d rows", verdicts)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(remote) > 0 {
		t.Errorf("report is not self-contained, it requested %v", remote)
	}
	t.Logf("chromium: plot canvas %vx%v px, %d verdict rows, 0 network requests", size.W, size.H, verdicts)
}
