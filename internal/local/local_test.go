package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/campaignkit/campaignkit/constructs/edgesite/edgerules"
	"github.com/campaignkit/campaignkit/internal/httpapi"
	"github.com/campaignkit/campaignkit/internal/local"
	"github.com/campaignkit/campaignkit/internal/local/demoapp"
	"github.com/campaignkit/campaignkit/internal/queue"
	"github.com/campaignkit/campaignkit/internal/store"
)

func start(t *testing.T, app local.App, opts local.Options) *local.Stack {
	t.Helper()
	s, err := local.Start(context.Background(), app, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s
}

func do(t *testing.T, method, url, ctype, body string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func TestSiteLikeTheEdge(t *testing.T) {
	s := start(t, demoapp.App(0), quiet(t, t.TempDir()))
	sec := edgerules.DefaultHeaders()
	tests := []struct {
		name, method, path string
		hdr                []string
		wantStatus         int
		wantCache          string
		wantBody           string
		wantType           string
	}{
		{name: "root", method: "GET", path: "/", wantStatus: 200, wantCache: edgerules.HTMLCacheControl, wantBody: "campaignkit demo", wantType: "text/html"},
		{name: "clean URL", method: "GET", path: "/about", wantStatus: 200, wantCache: edgerules.HTMLCacheControl, wantBody: "About", wantType: "text/html"},
		{name: "clean URL with slash", method: "GET", path: "/about/", wantStatus: 200, wantCache: edgerules.HTMLCacheControl, wantBody: "About"},
		{name: "asset", method: "GET", path: "/assets/site.v1.css", wantStatus: 200, wantCache: edgerules.ImmutableCacheControl, wantType: "text/css"},
		{name: "head", method: "HEAD", path: "/", wantStatus: 200, wantCache: edgerules.HTMLCacheControl},
		{name: "missing page", method: "GET", path: "/nope", wantStatus: 404, wantType: httpapi.ProblemContentType},
		{name: "missing file", method: "GET", path: "/nope.txt", wantStatus: 404, wantType: httpapi.ProblemContentType},
		{name: "post to site", method: "POST", path: "/", wantStatus: 403, wantType: httpapi.ProblemContentType},
		{name: "api read", method: "GET", path: "/api/hello", wantStatus: 200, wantBody: `{"message":"hello"}`, wantType: "application/json"},
		{name: "api 404 is a problem", method: "GET", path: "/api/nothing", wantStatus: 404, wantType: httpapi.ProblemContentType},
		{name: "api 405 is a problem", method: "DELETE", path: "/api/hello", wantStatus: 405, wantType: httpapi.ProblemContentType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := do(t, tc.method, s.URL()+tc.path, "", "", tc.hdr...)
			if res.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", res.StatusCode, tc.wantStatus, body)
			}
			if tc.wantCache != "" && res.Header.Get("Cache-Control") != tc.wantCache {
				t.Errorf("Cache-Control = %q, want %q", res.Header.Get("Cache-Control"), tc.wantCache)
			}
			if !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("body %q does not contain %q", body, tc.wantBody)
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), tc.wantType) {
				t.Errorf("Content-Type = %q, want %q", res.Header.Get("Content-Type"), tc.wantType)
			}
			for k, v := range sec { // the edge's response headers policy: every response
				if res.Header.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, res.Header.Get(k), v)
				}
			}
		})
	}
	t.Run("request over Lambda's payload limit", func(t *testing.T) {
		res, body := do(t, "POST", s.URL()+"/api/writes", "application/json", strings.Repeat(" ", local.MaxRequestBytes+1))
		if res.StatusCode != 413 || !strings.Contains(string(body), httpapi.TypeBodyTooLarge) {
			t.Fatalf("got %d %s, want a 413 problem", res.StatusCode, body)
		}
	})
	t.Run("conditional GET", func(t *testing.T) {
		res, _ := do(t, "GET", s.URL()+"/", "", "")
		etag := res.Header.Get("ETag")
		res, body := do(t, "GET", s.URL()+"/", "", "", "If-None-Match", etag)
		if etag == "" || res.StatusCode != 304 || len(body) != 0 {
			t.Fatalf("ETag %q, revalidation got %d %q, want 304", etag, res.StatusCode, body)
		}
	})
}

func TestSiteHeaderOverridesAndSPA(t *testing.T) {
	app := local.App{
		Name:        "spa",
		Site:        fstest.MapFS{"index.html": {Data: []byte("<p>spa</p>")}},
		SiteRules:   &edgerules.Config{APIPrefix: "/api/", AssetsPrefix: "/static/", SPA: true},
		SiteHeaders: map[string]string{"X-Frame-Options": "", "Content-Security-Policy": "default-src 'none'"},
	}
	s := start(t, app, quiet(t, t.TempDir()))
	res, body := do(t, "GET", s.URL()+"/deep/link", "", "")
	if res.StatusCode != 200 || string(body) != "<p>spa</p>" {
		t.Fatalf("SPA fallback: %d %q", res.StatusCode, body)
	}
	if res.Header.Get("X-Frame-Options") != "" || res.Header.Get("Content-Security-Policy") != "default-src 'none'" {
		t.Errorf("overrides not applied: %v", res.Header)
	}
	if res, _ := do(t, "GET", s.URL()+"/api/x", "", ""); res.StatusCode != 404 {
		t.Errorf("app without API: /api/x = %d, want 404", res.StatusCode)
	}
}

func TestThrottleBeyondReservedConcurrency(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 10)
	app := local.App{
		Name: "slow",
		API: func(local.Deps) (http.Handler, error) {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				entered <- struct{}{}
				<-release
				w.WriteHeader(http.StatusNoContent)
			}), nil
		},
		APIReservedConcurrency: 2,
	}
	s := start(t, app, quiet(t, t.TempDir()))
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, _ := do(t, "GET", s.URL()+"/api/slow", "", "")
			codes <- res.StatusCode
		}()
	}
	<-entered
	<-entered
	res, body := do(t, "GET", s.URL()+"/api/slow", "", "")
	close(release)
	wg.Wait()
	close(codes)
	if res.StatusCode != 429 || res.Header.Get("X-Amzn-Errortype") != local.ThrottleErrorType {
		t.Fatalf("third request: %d %v, want 429 with x-amzn-ErrorType", res.StatusCode, res.Header)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(body, &p); err != nil || p.Type != httpapi.TypeThrottled || p.Status != 429 {
		t.Fatalf("problem %s: %v", body, err)
	}
	for c := range codes {
		if c != 204 {
			t.Errorf("admitted request got %d", c)
		}
	}
	if s.Limiter().Throttled() != 1 || s.Limiter().Served() != 2 {
		t.Errorf("throttled %d served %d, want 1 and 2", s.Limiter().Throttled(), s.Limiter().Served())
	}
}

func postWrite(t *testing.T, base, id string, amount int) int {
	t.Helper()
	res, body := do(t, "POST", base+"/api/writes", "application/json", fmt.Sprintf(`{"id":%q,"amount":%d}`, id, amount))
	if res.StatusCode != 202 && res.StatusCode < 400 {
		t.Fatalf("POST %s: %d %s", id, res.StatusCode, body)
	}
	return res.StatusCode
}

func waitStats(t *testing.T, base string, want int64) demoapp.Stats {
	t.Helper()
	var st demoapp.Stats
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		_, body := do(t, "GET", base+"/api/stats", "", "")
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatalf("stats %s: %v", body, err)
		}
		if st.Writes >= want {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("stats %+v never reached %d writes", st, want)
	return st
}

func TestWritesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	opts := quiet(t, dir)
	s, err := local.Start(context.Background(), demoapp.App(0), opts)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := local.ReadEndpoint(dir)
	if err != nil || ep.URL != s.URL() || ep.App != "demo" || ep.PID != os.Getpid() || ep.Mode != local.ModeEmbedded {
		t.Fatalf("endpoint.json = %+v, %v", ep, err)
	}
	// A second stack on the same data dir is refused while the first runs.
	if _, err := local.Start(context.Background(), demoapp.App(0), opts); err == nil {
		t.Fatal("second stack on the same data dir started")
	}
	for i := range 20 {
		postWrite(t, s.URL(), fmt.Sprintf("w-%d", i), i)
	}
	postWrite(t, s.URL(), "w-3", 3) // a client retry: same id
	if code := postWrite(t, s.URL(), "bad id!", 1); code != 422 {
		t.Errorf("invalid write: %d, want 422", code)
	}
	waitStats(t, s.URL(), 20)
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, local.EndpointFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("endpoint.json left after a clean stop: %v", err)
	}

	s2 := start(t, demoapp.App(0), opts)
	st := waitStats(t, s2.URL(), 20)
	if st.Writes != 20 || st.Total != 190 {
		t.Fatalf("after restart stats = %+v, want 20 writes totalling 190", st)
	}
	res, body := do(t, "GET", s2.URL()+"/api/writes/w-7", "", "")
	if res.StatusCode != 200 || !strings.Contains(string(body), `"amount":7`) {
		t.Fatalf("GET w-7: %d %s", res.StatusCode, body)
	}
}

func TestShutdownDrainsWriterBatches(t *testing.T) {
	started, finished := make(chan struct{}, 1), make(chan struct{}, 1)
	app := demoapp.App(0)
	inner := app.Writers[0].Handler
	app.Writers[0].Handler = func(d local.Deps) (queue.Handler, error) {
		h, err := inner(d)
		return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			started <- struct{}{}
			time.Sleep(500 * time.Millisecond) // a slow database
			resp, err := h(ctx, ev)
			finished <- struct{}{}
			return resp, err
		}, err
	}
	app.Writers[0].BatchWindow, app.Writers[0].BatchSize = 0, 1
	dir := t.TempDir()
	s, err := local.Start(context.Background(), app, quiet(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	postWrite(t, s.URL(), "drain-1", 1)
	<-started
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-finished:
	default:
		t.Fatal("Shutdown returned before the in-flight batch finished")
	}
	st := s.PollerStats()["demo-writer"]
	if st.Batches != 1 || st.Deleted != 1 {
		t.Fatalf("poller stats %+v, want the batch finished and its message deleted", st)
	}
	db, err := store.OpenEmbedded(filepath.Join(dir, local.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if st, err := demoapp.ReadStats(context.Background(), db); err != nil || st.Writes != 1 {
		t.Fatalf("stored stats %+v %v", st, err)
	}
}

func TestAppValidate(t *testing.T) {
	h := func(local.Deps) (queue.Handler, error) { return nil, nil }
	tests := []struct {
		name string
		app  local.App
		want []string
	}{
		{name: "valid demo", app: demoapp.App(0)},
		{name: "empty", app: local.App{}, want: []string{"App.Name is empty", "has no Site, API or Writers"}},
		{name: "bad references", app: local.App{Name: "x", APIReservedConcurrency: -1,
			Queues:  []queue.QueueConfig{{Name: "q", MaxReceiveCount: 3, DeadLetterQueue: "dlq"}},
			Tables:  []local.TableSpec{{Name: "t"}},
			Writers: []local.Writer{{Queue: "missing", Handler: h}, {Queue: "q", BatchSize: 50, Handler: h}, {Queue: "q"}}},
			want: []string{"APIReservedConcurrency (-1)", `DeadLetterQueue "dlq" is not in App.Queues`, "needs Name and PK",
				`Writers[0].Queue "missing"`, "BatchSize (50) above 10 needs a BatchWindow", "Writers[2] has no Handler"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.app.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestRunUnknownApp(t *testing.T) {
	err := local.Run(context.Background(), "no-such-app", local.Options{Out: io.Discard})
	if !errors.Is(err, local.ErrUnknownApp) || !strings.Contains(err.Error(), "demo") {
		t.Fatalf("got %v, want ErrUnknownApp listing demo", err)
	}
}

func TestAWSMode(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	opts := quiet(t, t.TempDir())
	opts.AWS, opts.AWSConfig, opts.WriterWaitTime = true, &cfg, time.Second
	// moto applies TransactWriteItems by snapshotting and restoring whole
	// tables, so two concurrent transactions can undo each other there
	// (never on DynamoDB); one writer at a time keeps moto a fair oracle.
	app := demoapp.App(0)
	app.Writers[0].MaxConcurrency = 1
	s := start(t, app, opts)
	if s.Mode() != local.ModeAWS {
		t.Fatalf("mode %s", s.Mode())
	}
	for i := range 5 {
		postWrite(t, s.URL(), fmt.Sprintf("aws-%d", i), 10)
	}
	postWrite(t, s.URL(), "aws-0", 10) // duplicate delivery of the same logical write
	st := waitStats(t, s.URL(), 5)
	time.Sleep(1500 * time.Millisecond) // let the duplicate be processed too
	st = waitStats(t, s.URL(), 5)
	if st.Writes != 5 || st.Total != 50 {
		t.Fatalf("moto-backed stats = %+v, want 5 writes totalling 50", st)
	}
	var buf bytes.Buffer
	if _, err := local.Start(ctx, demoapp.App(0), local.Options{AWS: true, Out: &buf, DataDir: t.TempDir(), Addr: "127.0.0.1:0"}); err == nil && os.Getenv("AWS_ENDPOINT_URL") == "" {
		t.Fatal("--aws without AWS_ENDPOINT_URL must be refused")
	}
}
