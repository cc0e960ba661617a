package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/campaignkit/campaignkit/internal/local"
	"github.com/campaignkit/campaignkit/internal/local/demoapp"
	"github.com/campaignkit/campaignkit/internal/store"
)

// startChild runs `campaignkit local demo` (this test binary, see TestMain)
// on dir and waits for its endpoint.json.
func startChild(t *testing.T, dir string) (*exec.Cmd, local.Endpoint, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childDataEnv+"="+dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if ep, err := local.ReadEndpoint(dir); err == nil && ep.PID == cmd.Process.Pid {
			return cmd, ep, &out
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	t.Fatalf("child never wrote its endpoint.json:\n%s", out.String())
	return nil, local.Endpoint{}, nil
}

// Kill -9 during a write burst, restart: every write that got a 202 is
// stored exactly once, and nothing is stored that was never sent.
func TestKill9MidBurst(t *testing.T) {
	dir := t.TempDir()
	cmd, ep, out := startChild(t, dir)

	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		sent     = map[string]bool{}
		n        atomic.Int64
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 5 * time.Second}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				id := fmt.Sprintf("k-%d-%d", g, i)
				mu.Lock()
				sent[id] = true
				mu.Unlock()
				res, err := client.Post(ep.URL+"/api/writes", "application/json", strings.NewReader(fmt.Sprintf(`{"id":%q,"amount":1}`, id)))
				if err != nil {
					return // the process is gone
				}
				res.Body.Close()
				if res.StatusCode == http.StatusAccepted {
					mu.Lock()
					accepted[id] = true
					mu.Unlock()
					n.Add(1)
				}
			}
		}()
	}
	for n.Load() < 300 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	wg.Wait()
	t.Logf("killed with %d writes accepted, %d sent", len(accepted), len(sent))
	if _, err := os.Stat(filepath.Join(dir, local.EndpointFile)); err != nil {
		t.Errorf("a killed stack cannot remove endpoint.json, yet it is gone: %v", err)
	}

	// Restart on the same data (the stale endpoint.json must not block it).
	cmd, ep, out2 := startChild(t, dir)
	var last demoapp.Stats
	stableSince := time.Now()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		st := getStats(t, ep.URL)
		if st != last {
			last, stableSince = st, time.Now()
		}
		if st.Writes >= int64(len(accepted)) && time.Since(stableSince) > 1500*time.Millisecond {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, out2.String())
	}
	if _, err := os.Stat(filepath.Join(dir, local.EndpointFile)); !os.IsNotExist(err) {
		t.Errorf("endpoint.json left after a clean stop: %v", err)
	}
	if !strings.Contains(out2.String(), "campaignkit local: demo stopped") {
		t.Errorf("no shutdown summary:\n%s", out2.String())
	}

	db, err := store.OpenEmbedded(filepath.Join(dir, local.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids, err := demoapp.StoredIDs(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	st, err := demoapp.ReadStats(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, id := range ids {
		if !sent[id] {
			t.Errorf("stored %s, which was never sent", id)
		}
		stored[id] = true
	}
	missing := 0
	for id := range accepted {
		if !stored[id] {
			missing++
			if missing < 5 {
				t.Errorf("accepted write %s is not stored", id)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d accepted writes lost\nfirst run:\n%s", missing, len(accepted), out.String())
	}
	// Exactly once: the counters were applied once per stored item.
	if st.Writes != int64(len(ids)) || st.Total != int64(len(ids)) {
		t.Errorf("counters %+v for %d stored items: a write was applied more than once", st, len(ids))
	}
	t.Logf("accepted %d, stored %d (the rest were in flight when killed), counters %+v", len(accepted), len(ids), st)
}

func getStats(t *testing.T, base string) demoapp.Stats {
	t.Helper()
	var st demoapp.Stats
	res, body := do(t, "GET", base+"/api/stats", "", "")
	if res.StatusCode != 200 {
		t.Fatalf("stats: %d %s", res.StatusCode, body)
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	return st
}
