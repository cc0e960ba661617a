// Package distributed runs one scenario on many load generators: the worker
// handler (run by the LoadGenerator construct's Lambda function) attacks
// with its slice of the rate and stores its raw Vegeta results in S3 under
// its own attack name; the coordinator starts a run through Step Functions,
// waits with progress, downloads every worker's results and merges them
// exactly (see package merge).
package distributed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/campaignkit/campaignkit/loadtests/runner"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

// Job is one worker's share of a run: the Step Functions Map state passes
// one Job per item to the worker function.
type Job struct {
	// RunID names the run; results live under <Prefix><RunID>/.
	RunID string `json:"runId"`
	// Worker is this worker's index (0-based) of Workers.
	Worker  int `json:"worker"`
	Workers int `json:"workers"`
	// Scenario is the scenario file's YAML text.
	Scenario string `json:"scenario"`
	// Scale multiplies the scenario's rates before the split. Default 1.
	Scale float64 `json:"scale"`
	// Target is the base URL to attack.
	Target string `json:"target"`
	// Bucket and Prefix say where the raw results go.
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix"`
	// StartAt aligns the workers' attacks (RFC 3339); zero starts at once.
	StartAt time.Time `json:"startAt"`
	// MaxWorkers bounds this worker's Vegeta workers (and connections).
	MaxWorkers uint64 `json:"maxWorkers"`
	// Duration compresses the scenario's ramp into this time (see
	// scenario.WithDuration); zero keeps the scenario's own.
	Duration time.Duration `json:"durationNs,omitempty"`
}

// WorkerResult is what a worker returns (its key in S3 and a few counts for
// progress and reconciliation; metrics come from the merged raw results).
type WorkerResult struct {
	Worker        int    `json:"worker"`
	Attack        string `json:"attack"`
	Key           string `json:"key"`
	Requests      uint64 `json:"requests"`
	AcceptedCount int64  `json:"acceptedCount"`
	AcceptedSum   int64  `json:"acceptedSum"`
	Unanswered    int64  `json:"unanswered"`
}

// AttackName is the distinct attack name of a worker, so plots and merged
// results keep workers apart.
func AttackName(runID string, worker int) string { return fmt.Sprintf("%s-w%03d", runID, worker) }

// ResultsKey is where a worker stores its raw results.
func ResultsKey(prefix, runID string, worker int) string {
	return path.Join(prefix, runID, AttackName(runID, worker)+".gob")
}

// S3API is the part of the S3 client the worker and the coordinator use.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var _ S3API = (*s3.Client)(nil)

// Worker runs Jobs.
type Worker struct {
	S3 S3API
	// TmpDir holds the results file while the attack runs. Default os.TempDir().
	TmpDir string
	// Opts are extra runner options (tests: the lock wait).
	Opts []runner.Option
}

// ErrBadJob wraps every problem with a Job's fields.
var ErrBadJob = errors.New("bad job")

// Handle runs the job: wait for StartAt, attack with 1/Workers of the
// profile, upload the raw results, return the counts.
func (w *Worker) Handle(ctx context.Context, j Job) (*WorkerResult, error) {
	if j.Workers < 1 || j.Worker < 0 || j.Worker >= j.Workers {
		return nil, fmt.Errorf("%w: worker %d of %d", ErrBadJob, j.Worker, j.Workers)
	}
	if j.RunID == "" || j.Bucket == "" || j.Target == "" {
		return nil, fmt.Errorf("%w: runId, bucket and target are required", ErrBadJob)
	}
	s, err := scenario.Parse([]byte(j.Scenario))
	if err != nil {
		return nil, fmt.Errorf("%w: scenario: %v", ErrBadJob, err)
	}
	if j.Duration > 0 {
		s = s.WithDuration(j.Duration)
	}
	if j.Scale == 0 {
		j.Scale = 1
	}
	profile := s.Profile(j.Scale).Split(j.Workers)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < time.Until(j.StartAt)+profile.Duration+30*time.Second {
		return nil, fmt.Errorf("%w: the attack (%s from %s) does not fit in the function's remaining time %s",
			ErrBadJob, profile.Duration, j.StartAt.Format(time.RFC3339), time.Until(dl).Round(time.Second))
	}
	if d := time.Until(j.StartAt); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f, err := os.CreateTemp(w.TmpDir, "results-*.gob")
	if err != nil {
		return nil, fmt.Errorf("results file: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	name := AttackName(j.RunID, j.Worker)
	bw := bufio.NewWriterSize(f, 1<<20)
	opts := append([]runner.Option{
		runner.WithProfile(profile), runner.WithAttackName(name), runner.WithResults(bw),
		runner.WithReconcile(false), runner.WithTrackWrites(s.Reconcile != nil),
	}, w.Opts...)
	if j.MaxWorkers > 0 {
		opts = append(opts, runner.WithWorkers(min(10, j.MaxWorkers), j.MaxWorkers))
	}
	out, err := runner.Run(ctx, s, j.Target, opts...)
	if err != nil {
		return nil, fmt.Errorf("attack: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("write results: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind results: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat results: %w", err)
	}
	key := ResultsKey(j.Prefix, j.RunID, j.Worker)
	if _, err := w.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(j.Bucket), Key: aws.String(key), Body: f, ContentLength: aws.Int64(st.Size()),
		ContentType: aws.String("application/x-gob"), ServerSideEncryption: s3types.ServerSideEncryptionAes256,
	}); err != nil {
		return nil, fmt.Errorf("put results s3://%s/%s: %w", j.Bucket, key, err)
	}
	res := &WorkerResult{Worker: j.Worker, Attack: name, Key: key, Requests: out.Summary.Requests}
	if r := out.Summary.Reconciliation; r != nil {
		res.AcceptedCount, res.AcceptedSum, res.Unanswered = r.AcceptedCount, r.AcceptedSum, r.Unanswered
	}
	return res, nil
}
