package lambdart

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"testing"

	"github.com/campaignkit/campaignkit/constructs/golambda/gobuild"
)

// Build compiles the Lambda main package entry (an import path such as
// "github.com/campaignkit/campaignkit/lambdas/hello") for the host
// architecture with the Lambda recipe, reusing golambda's source-hash cache.
func Build(entry string) (*gobuild.Artifact, error) {
	art, err := gobuild.Build(entry, gobuild.Options{GOARCH: runtime.GOARCH})
	if err != nil {
		return nil, fmt.Errorf("lambdart: build %s: %w", entry, err)
	}
	return art, nil
}

// New builds entry for the host, starts it under a Runtime API server and
// closes it when the test ends. An init failure fails the test with the
// function's logs. FunctionName defaults to the entry's last path element.
func New(t testing.TB, entry string, opts Options) *Runtime {
	t.Helper()
	art, err := Build(entry)
	if err != nil {
		t.Fatal(err)
	}
	if opts.FunctionName == "" {
		opts.FunctionName = path.Base(entry)
	}
	rt, err := Start(context.Background(), art.BinaryPath, opts)
	if err != nil {
		if ie, ok := err.(*InitError); ok {
			t.Fatalf("%s: %v\n--- function logs ---\n%s", entry, err, ie.Logs)
		}
		t.Fatalf("%s: %v", entry, err)
	}
	t.Cleanup(func() {
		_ = rt.Close()
		if t.Failed() {
			t.Logf("--- %s logs ---\n%s", entry, rt.Logs())
		}
	})
	t.Logf("%s: bootstrap %.1f MB, init %s", entry, float64(art.BinarySize)/(1<<20), rt.InitDuration())
	return rt
}

// Run builds entry, starts it with default Options and invokes it with each
// event in order in one execution environment (the first invocation is the
// cold start), returning one Result per event. Function errors are in
// Result.Error; harness failures fail the test.
//
//	res := lambdart.Run(t, "github.com/campaignkit/campaignkit/lambdas/hello", event)
//	resp, err := res[0].HTTP()
func Run(t testing.TB, entry string, events ...[]byte) []*Result {
	t.Helper()
	return RunWith(t, entry, Options{}, events...)
}

// RunWith is Run with Options: function configuration such as
// Env{"TABLE_NAME": ..., "AWS_ENDPOINT_URL": moto.Endpoint}.
func RunWith(t testing.TB, entry string, opts Options, events ...[]byte) []*Result {
	t.Helper()
	rt := New(t, entry, opts)
	out := make([]*Result, 0, len(events))
	for i, ev := range events {
		res, err := rt.Invoke(context.Background(), ev)
		if err != nil {
			t.Fatalf("%s: invoke event %d: %v\n--- function logs ---\n%s", entry, i, err, rt.Logs())
		}
		out = append(out, res)
	}
	return out
}
