package distributed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/campaignkit/campaignkit/loadtests/merge"
	"github.com/campaignkit/campaignkit/loadtests/report"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

// MapInput is the execution input of the LoadGenerator state machine: the
// Map state runs one worker per entry of Workers with ItemSelector
// {"base.$": "$.base", "worker.$": "$$.Map.Item.Value"}, so the scenario
// travels once, not once per worker (256 KB input limit).
type MapInput struct {
	Base    Job   `json:"base"`
	Workers []int `json:"workers"`
}

// MapItem is the event one worker function receives.
type MapItem struct {
	Base   Job `json:"base"`
	Worker int `json:"worker"`
}

// Job returns the worker's job.
func (m MapItem) Job() Job {
	j := m.Base
	j.Worker = m.Worker
	return j
}

// Spec describes a distributed run.
type Spec struct {
	StateMachineARN string
	Bucket, Prefix  string
	Target          string
	// ScenarioYAML is the scenario file's text; Scenario its parsed form.
	ScenarioYAML []byte
	Scenario     *scenario.Scenario
	Scale        float64
	// Workers is the number of load generators; 0 picks
	// ceil(peak rate / RatePerWorker).
	Workers int
	// RatePerWorker is the highest rate one worker is asked for. Default 2,000 rps.
	RatePerWorker float64
	// MaxWorkersPerJob bounds each worker's Vegeta workers. Default 2,000.
	MaxWorkersPerJob uint64
	// StartDelay lets every worker start before the aligned StartAt. Default 20 s.
	StartDelay time.Duration
	// Duration, when set, is the duration Scenario was compressed to
	// (scenario.WithDuration); workers apply it to ScenarioYAML too.
	Duration time.Duration
}

// WorkerCount is the number of load generators the spec needs.
func (s *Spec) WorkerCount() int {
	if s.Workers > 0 {
		return s.Workers
	}
	per := s.RatePerWorker
	if per <= 0 {
		per = 2000
	}
	scale := s.Scale
	if scale == 0 {
		scale = 1
	}
	return max(1, int(math.Ceil(s.Scenario.Profile(scale).PeakRate()/per)))
}

// Coordinator starts runs and collects their results.
type Coordinator struct {
	SFN StepFunctions
	S3  S3API
	// Progress gets a line per poll. Nil: quiet.
	Progress io.Writer
	// Poll is the interval between status checks. Default 5 s.
	Poll time.Duration
	// Now is the clock (tests). Default time.Now.
	Now func() time.Time
}

// Run is a started (and, after Wait, finished) distributed run.
type Run struct {
	RunID        string
	ExecutionARN string
	Workers      int
	StartAt      time.Time
	Duration     time.Duration
	Results      []WorkerResult
}

// Start starts the state machine with one item per worker.
func (c *Coordinator) Start(ctx context.Context, spec Spec) (*Run, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if spec.StartDelay == 0 {
		spec.StartDelay = 20 * time.Second
	}
	if spec.MaxWorkersPerJob == 0 {
		spec.MaxWorkersPerJob = 2000
	}
	n := spec.WorkerCount()
	t := now().UTC()
	runID := fmt.Sprintf("%s-%s", spec.Scenario.Name, t.Format("20060102t150405"))
	in := MapInput{Base: Job{
		RunID: runID, Workers: n, Scenario: string(spec.ScenarioYAML), Scale: spec.Scale, Target: spec.Target,
		Bucket: spec.Bucket, Prefix: spec.Prefix, StartAt: t.Add(spec.StartDelay), MaxWorkers: spec.MaxWorkersPerJob,
		Duration: spec.Duration,
	}}
	for i := 0; i < n; i++ {
		in.Workers = append(in.Workers, i)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	if len(b) > 256*1024 {
		return nil, fmt.Errorf("execution input is %d bytes, over Step Functions' 256 KiB: shorten the scenario", len(b))
	}
	arn, err := c.SFN.StartExecution(ctx, spec.StateMachineARN, runID, string(b))
	if err != nil {
		return nil, fmt.Errorf("start run %s: %w", runID, err)
	}
	scale := spec.Scale
	if scale == 0 {
		scale = 1
	}
	return &Run{RunID: runID, ExecutionARN: arn, Workers: n, StartAt: in.Base.StartAt, Duration: spec.Scenario.Profile(scale).Duration}, nil
}

// ErrRunFailed is returned by Wait when the execution did not succeed.
var ErrRunFailed = errors.New("distributed run failed")

// Wait polls the execution until it ends, printing progress (elapsed
// attack time, workers whose results are in S3). A cancelled ctx stops the
// execution.
func (c *Coordinator) Wait(ctx context.Context, run *Run, bucket, prefix string) error {
	poll := c.Poll
	if poll == 0 {
		poll = 5 * time.Second
	}
	for {
		ex, err := c.SFN.DescribeExecution(ctx, run.ExecutionARN)
		if err != nil {
			if ctx.Err() != nil {
				_ = c.SFN.StopExecution(context.WithoutCancel(ctx), run.ExecutionARN, "interrupted by the coordinator")
				return fmt.Errorf("run %s stopped: %w", run.RunID, ctx.Err())
			}
			return err
		}
		switch ex.Status {
		case "SUCCEEDED":
			if err := json.Unmarshal([]byte(ex.Output), &run.Results); err != nil {
				return fmt.Errorf("run %s output: %w", run.RunID, err)
			}
			return nil
		case "RUNNING", "PENDING_REDRIVE":
		default:
			return fmt.Errorf("%w: %s %s: %s %s", ErrRunFailed, run.RunID, ex.Status, ex.Error, ex.Cause)
		}
		if c.Progress != nil {
			keys, _ := c.keys(ctx, bucket, prefix, run.RunID)
			el := time.Since(run.StartAt).Round(time.Second)
			if el < 0 {
				fmt.Fprintf(c.Progress, "[%s] workers starting in %s\n", run.RunID, -el)
			} else {
				fmt.Fprintf(c.Progress, "[%s] attack %s of %s, %d/%d workers' results in S3\n", run.RunID, el, run.Duration, len(keys), run.Workers)
			}
		}
		select {
		case <-ctx.Done():
			_ = c.SFN.StopExecution(context.WithoutCancel(ctx), run.ExecutionARN, "interrupted by the coordinator")
			return fmt.Errorf("run %s stopped: %w", run.RunID, ctx.Err())
		case <-time.After(poll):
		}
	}
}

func (c *Coordinator) keys(ctx context.Context, bucket, prefix, runID string) ([]string, error) {
	var keys []string
	p := path.Join(prefix, runID) + "/"
	var token *string
	for {
		out, err := c.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(p), ContinuationToken: token})
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, p, err)
		}
		for _, o := range out.Contents {
			if strings.HasSuffix(aws.ToString(o.Key), ".gob") {
				keys = append(keys, aws.ToString(o.Key))
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return keys, nil
		}
		token = out.NextContinuationToken
	}
}

// Collect downloads every worker's raw results of runID and merges them
// into one collector (exact metrics over all results). It returns the keys
// merged.
func (c *Coordinator) Collect(ctx context.Context, bucket, prefix, runID, title string) (*report.Collector, []string, error) {
	keys, err := c.keys(ctx, bucket, prefix, runID)
	if err != nil {
		return nil, nil, err
	}
	if len(keys) == 0 {
		return nil, nil, fmt.Errorf("no results under s3://%s/%s", bucket, path.Join(prefix, runID))
	}
	var readers []io.Reader
	for _, k := range keys {
		out, err := c.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		if err != nil {
			return nil, nil, fmt.Errorf("get s3://%s/%s: %w", bucket, k, err)
		}
		defer out.Body.Close()
		readers = append(readers, out.Body)
	}
	col, _, err := merge.Readers(title, readers...)
	if err != nil {
		return nil, nil, err
	}
	return col, keys, nil
}

// Accepted sums the workers' accepted writes into a reconciliation whose
// Before* fields the caller fills from the baseline totals.
func (r *Run) Accepted() *report.Reconciliation {
	rec := &report.Reconciliation{}
	for _, w := range r.Results {
		rec.AcceptedCount += w.AcceptedCount
		rec.AcceptedSum += w.AcceptedSum
		rec.Unanswered += w.Unanswered
	}
	return rec
}

// Meta describes the finished run for the report: the full (unsplit)
// profile's target over the attack's duration, and the worker count.
func (r *Run) Meta(s *scenario.Scenario, scale float64, target string) report.Meta {
	if scale == 0 {
		scale = 1
	}
	p := s.Profile(scale)
	m := report.Meta{Scenario: s.Name, Target: target, Workers: r.Workers, Elapsed: p.Duration,
		ExpectedRequests: p.ExpectedHits(p.Duration), PeakTargetRate: p.PeakRate(), Profile: p.Rate}
	m.TargetRate = m.ExpectedRequests / p.Duration.Seconds()
	return m
}
