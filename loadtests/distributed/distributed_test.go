package distributed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/campaignkit/campaignkit/internal/testenv"
	"github.com/campaignkit/campaignkit/loadtests/distributed"
	"github.com/campaignkit/campaignkit/loadtests/internal/fakeapi"
	"github.com/campaignkit/campaignkit/loadtests/runner"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

var moto *testenv.Moto

func TestMain(m *testing.M) {
	var err error
	moto, err = testenv.StartMoto(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// testScenario is the charity event cut to 2 s at ~150 rps in total.
func testScenario(t *testing.T) (*scenario.Scenario, []byte) {
	t.Helper()
	b, err := os.ReadFile("../scenarios/charityevent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y := string(b)
	y = strings.Replace(y, "duration: 10m", "duration: 2s", 1)
	i, j := strings.Index(y, "ramp:"), strings.Index(y, "# the last minute")
	y = y[:i] + "ramp: [{kind: linear, from: 0.5, to: 1, duration: 1s}]\n" + y[j:]
	y = strings.Replace(y, "localScale: 0.001", "localScale: 0.0045", 1)
	s, err := scenario.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return s, []byte(y)
}

func newS3(t *testing.T, bucket string) *s3.Client {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}}); err != nil {
		t.Fatal(err)
	}
	return c
}

// inProcessSFN plays the LoadGenerator state machine: its Map state runs
// the worker handler once per item (here one after the other: one load
// test at a time on this machine) and returns the array of results.
type inProcessSFN struct {
	worker *distributed.Worker
	mu     sync.Mutex
	ex     map[string]*distributed.Execution
}

func (f *inProcessSFN) StartExecution(ctx context.Context, arn, name, input string) (string, error) {
	var in distributed.MapInput
	if err := json.Unmarshal([]byte(input), &in); err != nil {
		return "", err
	}
	exARN := arn + ":" + name
	f.mu.Lock()
	f.ex[exARN] = &distributed.Execution{Status: "RUNNING"}
	f.mu.Unlock()
	go func() {
		var out []*distributed.WorkerResult
		ex := &distributed.Execution{Status: "SUCCEEDED"}
		for _, w := range in.Workers {
			item := distributed.MapItem{Base: in.Base, Worker: w}
			r, err := f.worker.Handle(context.Background(), item.Job())
			if err != nil {
				ex = &distributed.Execution{Status: "FAILED", Error: "States.TaskFailed", Cause: err.Error()}
				break
			}
			out = append(out, r)
		}
		b, _ := json.Marshal(out)
		ex.Output = string(b)
		f.mu.Lock()
		f.ex[exARN] = ex
		f.mu.Unlock()
	}()
	return exARN, nil
}

func (f *inProcessSFN) DescribeExecution(ctx context.Context, arn string) (*distributed.Execution, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := *f.ex[arn]
	return &e, nil
}

func (f *inProcessSFN) StopExecution(ctx context.Context, arn, cause string) error { return nil }

func TestDistributedRunMergesWorkersExactly(t *testing.T) {
	ctx := context.Background()
	// GIVEN the fake charity API, a results bucket in moto S3 and 3 workers
	api := fakeapi.Start(fakeapi.Options{WriteDelay: 200 * time.Millisecond})
	defer api.Close()
	s3c := newS3(t, "loadgen-results")
	s, yml := testScenario(t)
	worker := &distributed.Worker{S3: s3c, TmpDir: t.TempDir(),
		Opts: []runner.Option{runner.WithLock(filepath.Join(os.TempDir(), "campaignkit-loadtest.lock"), 3*time.Minute)}}
	sfn := &inProcessSFN{worker: worker, ex: map[string]*distributed.Execution{}}
	co := &distributed.Coordinator{SFN: sfn, S3: s3c, Poll: 200 * time.Millisecond}
	beforeCount, beforeSum, err := runner.ReadTotals(ctx, api.URL, s.Reconcile)
	if err != nil {
		t.Fatal(err)
	}

	// WHEN the coordinator starts a run and waits for it
	spec := distributed.Spec{StateMachineARN: "arn:aws:states:eu-west-1:123456789012:stateMachine:lg", Bucket: "loadgen-results",
		Prefix: "runs", Target: api.URL, ScenarioYAML: yml, Scenario: s, Scale: s.LocalScale, Workers: 3, StartDelay: time.Millisecond}
	run, err := co.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := co.Wait(ctx, run, spec.Bucket, spec.Prefix); err != nil {
		t.Fatal(err)
	}

	// THEN every worker stored its raw results under its own attack name
	if len(run.Results) != 3 {
		t.Fatalf("results from %d workers, want 3", len(run.Results))
	}
	var sent uint64
	names := map[string]bool{}
	for i, r := range run.Results {
		if want := distributed.ResultsKey("runs", run.RunID, i); r.Key != want || names[r.Attack] {
			t.Errorf("worker %d stored %s as %s, want %s with a distinct attack name", i, r.Key, r.Attack, want)
		}
		names[r.Attack] = true
		sent += r.Requests
	}
	// THEN the merged metrics cover every result of every worker
	col, keys, err := co.Collect(ctx, spec.Bucket, spec.Prefix, run.RunID, "distributed test")
	if err != nil {
		t.Fatal(err)
	}
	rec := run.Accepted()
	rec.BeforeCount, rec.BeforeSum = beforeCount, beforeSum
	runner.Drain(ctx, api.URL, s.Reconcile, rec, nil)
	sum := col.Summarize(run.Meta(s, s.LocalScale, api.URL), scenario.SLO{P99: s.SLO.P99}, rec)
	t.Log("\n" + sum.Text())
	if len(keys) != 3 || sum.Requests != sent || len(sum.Attacks) != 3 {
		t.Errorf("merged %d keys, %d requests from %d attacks; workers sent %d", len(keys), sum.Requests, len(sum.Attacks), sent)
	}
	// ~150 rps × (0.75 s ramp average + 1 s) ≈ 260 requests in total
	if sent < 200 {
		t.Errorf("workers sent %d requests, want ≥ 200", sent)
	}
	if !rec.Pass || rec.AcceptedCount == 0 {
		t.Errorf("reconciliation over all workers: %+v", rec)
	}
}

func TestWorkerRejectsBadJobs(t *testing.T) {
	_, yml := testScenario(t)
	w := &distributed.Worker{S3: nil}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	tests := []struct {
		name string
		job  distributed.Job
		want string
	}{
		{"index", distributed.Job{RunID: "r", Worker: 3, Workers: 3, Bucket: "b", Target: "http://127.0.0.1:1", Scenario: string(yml)}, "worker 3 of 3"},
		{"bucket", distributed.Job{RunID: "r", Workers: 1, Target: "http://127.0.0.1:1", Scenario: string(yml)}, "bucket"},
		{"scenario", distributed.Job{RunID: "r", Workers: 1, Bucket: "b", Target: "http://127.0.0.1:1", Scenario: "name: x"}, "users.peakConcurrentUsers"},
		{"too long for the function", distributed.Job{RunID: "r", Workers: 1, Bucket: "b", Target: "http://127.0.0.1:1", Scenario: string(yml), StartAt: time.Now().Add(time.Minute)}, "does not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.Handle(ctx, tt.job)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSFNClientSpeaksTheStepFunctionsAPI(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	c := distributed.NewSFNClient(cfg)
	arn, err := distributed.CreateStateMachineForTest(ctx, c, "lg", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	if err != nil {
		t.Fatal(err)
	}
	exARN, err := c.StartExecution(ctx, arn, "run-1", `{"base":{},"workers":[0]}`)
	if err != nil || !strings.Contains(exARN, ":execution:lg:run-1") {
		t.Fatalf("StartExecution = %q, %v", exARN, err)
	}
	ex, err := c.DescribeExecution(ctx, exARN)
	if err != nil || ex.Status == "" {
		t.Fatalf("DescribeExecution = %+v, %v", ex, err)
	}
	if err := c.StopExecution(ctx, exARN, "test"); err != nil {
		t.Fatal(err)
	}
	if ex, _ = c.DescribeExecution(ctx, exARN); ex.Status != "ABORTED" {
		t.Errorf("status after stop = %s, want ABORTED", ex.Status)
	}
	if _, err := c.DescribeExecution(ctx, arn+":nope"); err == nil {
		t.Error("describing a missing execution succeeded")
	}
}
