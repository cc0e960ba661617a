package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/campaignkit/campaignkit/loadtests/distributed"
	"github.com/campaignkit/campaignkit/loadtests/merge"
	"github.com/campaignkit/campaignkit/loadtests/plan"
	"github.com/campaignkit/campaignkit/loadtests/report"
	"github.com/campaignkit/campaignkit/loadtests/runner"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

func init() {
	register(command{
		name:    "loadtest",
		summary: "plan capacity, run, distribute, merge and report Vegeta load tests",
		run:     runLoadtest,
	})
}

// verdictError is a run or plan that worked but failed its verdict (exit 3),
// or an interrupted run whose partial report was written (exit 130).
type verdictError struct {
	msg  string
	code int
}

func (e *verdictError) Error() string { return e.msg }
func (e *verdictError) ExitCode() int { return e.code }

const loadtestUsage = `usage: campaignkit loadtest <plan|run|distributed|merge|report> [flags]

  plan         can the synthesized stack carry the scenario's target? (exit 3 when short)
  run          attack a URL, a CDK outputs file's site/API URL or the local stack
  distributed  run on the LoadGenerator's Lambda workers, merge results exactly
  merge        merge raw result files (gob/JSON/CSV) into one summary and report
  report       rebuild summary.json and report.html from raw results

exit codes: 0 pass, 1 could not run, 2 usage, 3 SLO/plan verdict failed, 130 interrupted
`

func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, loadtestUsage)
		if len(args) == 0 {
			return fmt.Errorf("%w: name a subcommand", errUsage)
		}
		return nil
	}
	sub := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"plan": loadtestPlan, "run": loadtestRun, "distributed": loadtestDistributed,
		"merge": loadtestMerge, "report": loadtestMerge,
	}[args[0]]
	if sub == nil {
		fmt.Fprint(stderr, loadtestUsage)
		return fmt.Errorf("%w: unknown subcommand %q", errUsage, args[0])
	}
	return sub(ctx, args[1:], stdout, stderr)
}

func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("loadtest "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: campaignkit loadtest "+usage)
		fs.PrintDefaults()
	}
	return fs
}

func loadScenario(path string) (*scenario.Scenario, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: -scenario is required (e.g. loadtests/scenarios/charityevent.yaml)", errUsage)
	}
	return scenario.Load(path)
}

func loadtestPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan", "plan -scenario FILE -cdk-out DIR [flags]", stderr)
	scen := fs.String("scenario", "", "scenario file")
	cdkOut := fs.String("cdk-out", "cdk.out", "synthesized cloud assembly directory")
	acct := fs.Float64("account-concurrency", plan.LambdaAccountConcurrency, "your account's Lambda concurrency quota in the region")
	apigw := fs.Float64("apigw-rps", plan.APIGatewayRPS, "your account's API Gateway throttle quota (rps)")
	region := fs.String("region", "", "region (default: from the assembly's manifest.json)")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := loadScenario(*scen)
	if err != nil {
		return err
	}
	a, err := plan.LoadAssembly(*cdkOut)
	if err != nil {
		return err
	}
	p := plan.Make(s, a, plan.Options{AccountConcurrency: *acct, APIGatewayRPS: *apigw, Region: *region})
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			return err
		}
	} else {
		fmt.Fprint(stdout, p.Text())
	}
	if !p.OK {
		return &verdictError{msg: "the stack falls short of the target (see FAIL lines)", code: 3}
	}
	return nil
}

// runFlags are the flags run and distributed share.
type runFlags struct {
	scenario, url, outputs, output, dataDir, out string
	local                                        bool
	scale                                        float64
	duration                                     time.Duration
}

func (r *runFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&r.scenario, "scenario", "", "scenario file")
	fs.StringVar(&r.url, "url", "", "target base URL (or give it as the argument)")
	fs.StringVar(&r.outputs, "outputs", "", "`cdk deploy --outputs-file` JSON: attack its site or API URL")
	fs.StringVar(&r.output, "output", "", "output key to use from -outputs (default: the site, else the API URL)")
	fs.BoolVar(&r.local, "local", false, "attack the local stack (reads <data-dir>/endpoint.json); scale defaults to the scenario's localScale")
	fs.StringVar(&r.dataDir, "data-dir", "", "local stack data dir (default .local/<app>)")
	fs.Float64Var(&r.scale, "scale", 0, "rate scale factor (default 1, or localScale with -local)")
	fs.StringVar(&r.out, "out", "", "output directory (default loadtest-out/<scenario>-<UTC time>)")
	fs.DurationVar(&r.duration, "duration", 0, "compress (or stretch) the whole ramp into this duration, same shape (default the scenario's)")
}

func (r *runFlags) resolve(fs *flag.FlagSet) (*scenario.Scenario, string, float64, string, error) {
	s, err := loadScenario(r.scenario)
	if err != nil {
		return nil, "", 0, "", err
	}
	if r.duration > 0 {
		s = s.WithDuration(r.duration)
	}
	if r.url == "" && fs.NArg() > 0 {
		r.url = fs.Arg(0)
	}
	base, err := runner.ResolveTarget(runner.TargetSource{URL: r.url, OutputsFile: r.outputs, Output: r.output, Local: r.local, DataDir: r.dataDir, App: s.App})
	if errors.Is(err, runner.ErrNoTarget) && r.url == "" && r.outputs == "" {
		return nil, "", 0, "", fmt.Errorf("%w: %v", errUsage, err)
	}
	if err != nil {
		return nil, "", 0, "", err
	}
	scale := r.scale
	if scale == 0 {
		scale = 1
		if r.local {
			scale = s.LocalScale
		}
	}
	out := r.out
	if out == "" {
		out = filepath.Join("loadtest-out", s.Name+"-"+time.Now().UTC().Format("20060102t150405"))
	}
	return s, base, scale, out, nil
}

func loadtestRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "run -scenario FILE (URL | -url URL | -outputs FILE | -local) [flags]", stderr)
	var rf runFlags
	rf.bind(fs)
	maxWorkers := fs.Uint64("max-workers", 5000, "most concurrent requests (Vegeta workers); beyond it the rate drops and the rate check fails")
	conns := fs.Int("connections", 0, "cap on connections per host (default none: max-workers bounds them)")
	timeout := fs.Duration("timeout", 30*time.Second, "per-request timeout")
	noReconcile := fs.Bool("no-reconcile", false, "skip the write reconciliation")
	quiet := fs.Bool("quiet", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, base, scale, out, err := rf.resolve(fs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(out, report.ResultsFile))
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	prof := s.Profile(scale)
	fmt.Fprintf(stdout, "loadtest %s → %s: %s, target %.1f rps (peak %.1f, scale %g), results in %s\n",
		s.Name, base, prof.Duration, s.TargetRate()*scale, prof.PeakRate(), scale, out)
	opts := []runner.Option{runner.WithScale(scale), runner.WithResults(bw), runner.WithWorkers(10, *maxWorkers), runner.WithTimeout(*timeout)}
	if *conns > 0 {
		opts = append(opts, runner.WithConnections(*conns))
	}
	if !*quiet {
		opts = append(opts, runner.WithProgress(stdout, time.Second))
	}
	if *noReconcile || s.Reconcile == nil {
		opts = append(opts, runner.WithReconcile(false))
	}
	o, err := runner.Run(ctx, s, base, opts...)
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close results: %w", err)
	}
	return finish(o.Collector, o.Summary, out, stdout)
}

// finish writes summary.json and report.html and turns the verdict into
// the exit code.
func finish(col *report.Collector, sum *report.Summary, out string, stdout io.Writer) error {
	js, html, err := report.WriteFiles(out, col, sum)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, sum.Text())
	fmt.Fprintf(stdout, "wrote %s, %s\n", js, html)
	switch {
	case sum.Interrupted:
		return &verdictError{msg: "interrupted; partial report written", code: 130}
	case !sum.Pass:
		return &verdictError{msg: "SLO verdict: FAIL", code: 3}
	}
	return nil
}

func loadtestMerge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("merge", "merge|report -scenario FILE [-scale F] [-out DIR] RESULTS...", stderr)
	scen := fs.String("scenario", "", "scenario file (SLOs and target rate)")
	scale := fs.Float64("scale", 1, "the scale the results were produced at")
	out := fs.String("out", ".", "output directory for summary.json and report.html")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := loadScenario(*scen)
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: name at least one results file", errUsage)
	}
	col, n, err := merge.Files(s.Name+" (merged)", fs.Args()...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merged %d results from %d file(s)\n", n, fs.NArg())
	prof := s.Profile(*scale)
	m := col.Metrics()
	elapsed := m.Latest.Sub(m.Earliest)
	meta := report.Meta{Scenario: s.Name, Target: "(from results)", Workers: fs.NArg(), Elapsed: elapsed,
		ExpectedRequests: prof.ExpectedHits(elapsed), PeakTargetRate: prof.PeakRate(), Profile: prof.Rate}
	if elapsed > 0 {
		meta.TargetRate = meta.ExpectedRequests / elapsed.Seconds()
	}
	return finish(col, col.Summarize(meta, s.SLO, nil), *out, stdout)
}

func loadtestDistributed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("distributed", "distributed -scenario FILE (-loadgen-outputs FILE | -state-machine ARN -bucket NAME) (URL | -outputs FILE) [flags]", stderr)
	var rf runFlags
	rf.bind(fs)
	lgOutputs := fs.String("loadgen-outputs", "", "outputs file of the stack holding the LoadGenerator (StateMachineArn, ResultsBucketName)")
	sm := fs.String("state-machine", "", "LoadGenerator state machine ARN")
	bucket := fs.String("bucket", "", "LoadGenerator results bucket")
	prefix := fs.String("prefix", "runs", "results key prefix")
	workers := fs.Int("workers", 0, "load generators (default ceil(peak rate / rate-per-worker))")
	perWorker := fs.Float64("rate-per-worker", 2000, "highest rate asked of one worker (rps)")
	region := fs.String("region", "", "AWS region (default: the SDK's)")
	noReconcile := fs.Bool("no-reconcile", false, "skip the write reconciliation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if rf.local {
		return fmt.Errorf("%w: distributed workers run in AWS and cannot reach the local stack; use run -local", errUsage)
	}
	s, base, scale, out, err := rf.resolve(fs)
	if err != nil {
		return err
	}
	if *lgOutputs != "" {
		if *sm, *bucket, err = loadgenOutputs(*lgOutputs); err != nil {
			return err
		}
	}
	if *sm == "" || *bucket == "" {
		return fmt.Errorf("%w: give -loadgen-outputs or both -state-machine and -bucket", errUsage)
	}
	yml, err := os.ReadFile(rf.scenario)
	if err != nil {
		return err
	}
	var cfgOpts []func(*config.LoadOptions) error
	if *region != "" {
		cfgOpts = append(cfgOpts, config.WithRegion(*region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, cfgOpts...)
	if err != nil {
		return fmt.Errorf("aws config: %w", err)
	}
	co := &distributed.Coordinator{SFN: distributed.NewSFNClient(cfg), S3: s3.NewFromConfig(cfg), Progress: stdout}
	var rec *report.Reconciliation
	reconcile := s.Reconcile != nil && !*noReconcile
	var beforeCount, beforeSum int64
	if reconcile {
		if beforeCount, beforeSum, err = runner.ReadTotals(ctx, base, s.Reconcile); err != nil {
			return fmt.Errorf("reconcile: read totals before the run: %w", err)
		}
	}
	spec := distributed.Spec{StateMachineARN: *sm, Bucket: *bucket, Prefix: *prefix, Target: base, ScenarioYAML: yml, Scenario: s,
		Scale: scale, Workers: *workers, RatePerWorker: *perWorker, Duration: rf.duration}
	run, err := co.Start(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "started %s: %d workers, execution %s\n", run.RunID, run.Workers, run.ExecutionARN)
	if err := co.Wait(ctx, run, *bucket, *prefix); err != nil {
		return err
	}
	col, keys, err := co.Collect(ctx, *bucket, *prefix, run.RunID, s.Name+" (distributed)")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merged %d workers' raw results\n", len(keys))
	if reconcile {
		rec = run.Accepted()
		rec.BeforeCount, rec.BeforeSum = beforeCount, beforeSum
		runner.Drain(ctx, base, s.Reconcile, rec, stdout)
	}
	return finish(col, col.Summarize(run.Meta(s, scale, base), s.SLO, rec), out, stdout)
}

// loadgenOutputs finds the LoadGenerator's outputs in a cdk outputs file.
func loadgenOutputs(path string) (stateMachine, bucket string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	var stacks map[string]map[string]string
	if err := json.Unmarshal(b, &stacks); err != nil {
		return "", "", fmt.Errorf("decode %s: %w", path, err)
	}
	for _, outs := range stacks {
		for k, v := range outs {
			switch {
			case strings.Contains(k, "StateMachineArn"):
				stateMachine = v
			case strings.Contains(k, "ResultsBucketName"):
				bucket = v
			}
		}
	}
	if stateMachine == "" || bucket == "" {
		return "", "", fmt.Errorf("%s: no LoadGenerator StateMachineArn/ResultsBucketName outputs", path)
	}
	return stateMachine, bucket, nil
}
