package localapp_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/campaignkit/campaignkit/apps/charityevent/localapp"
	"github.com/campaignkit/campaignkit/internal/local"
)

// chromium finds Debian's browser (`make setup` installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: run `make setup` (apt-get install chromium)")
	return ""
}

// GIVEN the charity event running on the local stack WHEN a listener opens
// the page and donates THEN the live counter shows the donation.
func TestPageDonationMovesTheCounter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	stack, err := local.Start(ctx, localapp.App(), local.Options{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), Campaign: "../../../" + localapp.DefaultFile,
		Out: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), WriterWaitTime: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Shutdown(context.Background())

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string {
		v, err := chromedp.Run(bctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}
	if err := chromedp.Do(bctx,
		chromedp.Navigate(stack.URL()+"/"),
		chromedp.WaitVisible(css(`#donation-form`)),
		// The charities come from the API before the form can be used.
		chromedp.WaitReady(css(`#charity option[value="foodbanks"]`)),
	); err != nil {
		t.Fatalf("open page: %v", err)
	}
	// Wait for the first totals refresh so "before" is the server's figure.
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.querySelector("#leaderboard").children.length > 0`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("leaderboard never loaded: %v", err)
	}
	before := text(`#count`)
	if err := chromedp.Do(bctx,
		chromedp.SetValue(css(`#charity`), "foodbanks"),
		chromedp.SetValue(css(`#amount`), "12.50"),
		chromedp.SendKeys(css(`#donor`), "Anouk"),
		chromedp.SendKeys(css(`#song-title`), "Heroes"),
		chromedp.Click(css(`#donate-button`)),
	); err != nil {
		t.Fatalf("fill and submit: %v", err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.querySelector("#form-status").textContent.includes("Thank you")`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("no confirmation: %v (status %q)", err, text(`#form-status`))
	}
	// The page refreshes the totals; the writer drains within a second or so.
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.querySelector("#count").textContent === "1"`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("counter did not move: %v (count %q)", err, text(`#count`))
	}
	after, board, total := text(`#count`), text(`#leaderboard`), text(`#total`)
	if !strings.Contains(total, "12.50") {
		t.Errorf("total shows %q, want €12.50", total)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if before != "0" || after != "1" {
		t.Fatalf("counter %q → %q, want 0 → 1", before, after)
	}
	if !strings.Contains(board, "Food Banks Network") || !strings.Contains(board, "12.50") {
		t.Fatalf("leaderboard does not show the donation: %q", board)
	}
	if dir := os.Getenv("CAMPAIGNKIT_SCREENSHOTS"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "charityevent.png"), shot, 0o644)
	}
}
