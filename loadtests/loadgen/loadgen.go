// Package loadgen is the LoadGenerator construct: Go Lambda workers that
// each run Vegeta for a slice of a scenario's rate and store raw results in
// an S3 bucket, fanned out by a Step Functions Map state. `campaignkit
// loadtest distributed` starts a run, waits and merges the results exactly.
package loadgen

import (
	"fmt"
	"math"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/golambda"
	"github.com/campaignkit/campaignkit/internal/nag"
	"github.com/campaignkit/campaignkit/internal/ops"
)

// WorkerEntry is the worker Lambda's Go package.
const WorkerEntry = "github.com/campaignkit/campaignkit/lambdas/loadtest/worker"

// Props configure a LoadGenerator. Every field is optional.
type Props struct {
	// MaxWorkers is the most workers one run may start; it is the Map
	// state's MaxConcurrency and the function's reserved concurrency, so all
	// workers attack at once. Default 40 (an inline Map's practical ceiling).
	MaxWorkers *float64
	// MemoryMB of each worker: Lambda gives CPU in proportion (1,769 MB =
	// one vCPU). Default 4096 (≈ 2.3 vCPU, like Artillery's Lambda workers).
	MemoryMB *float64
	// TimeoutMinutes of one worker, i.e. the longest attack plus upload.
	// Default 15 (Lambda's maximum).
	TimeoutMinutes *float64
	// ResultsRetentionDays expires raw results. Default 30.
	ResultsRetentionDays *float64
	// AccessLogsBucket receives the results bucket's server access logs.
	// Default none (a documented cdk-nag suppression explains why).
	AccessLogsBucket awss3.IBucket
	// AlarmTopic receives the failed-run alarm. Default a new encrypted,
	// TLS-only topic.
	AlarmTopic awssns.ITopic
	// LogRetention of the worker and state machine logs. Default two weeks.
	LogRetention awslogs.RetentionDays
}

// LoadGenerator is the deployed distributed load generator.
type LoadGenerator struct {
	construct    constructs.Construct
	bucket       awss3.Bucket
	fn           *golambda.Function
	stateMachine awsstepfunctions.StateMachine
	topic        awssns.ITopic
}

// Validate reports every problem with the props, one line each.
func (p *Props) Validate() error {
	if p == nil {
		return nil
	}
	var errs []string
	check := func(name string, v *float64, lo, hi float64, unit string) {
		if v != nil && (*v < lo || *v > hi || *v != math.Trunc(*v)) {
			errs = append(errs, fmt.Sprintf("loadgen: %s (%g) must be a whole number in [%g, %g] %s", name, *v, lo, hi, unit))
		}
	}
	check("MaxWorkers", p.MaxWorkers, 1, 1000, "(set a larger Lambda concurrency quota first)")
	check("MemoryMB", p.MemoryMB, 1769, 10240, "(below 1,769 MB a worker has less than one vCPU)")
	check("TimeoutMinutes", p.TimeoutMinutes, 1, 15, "(Lambda's maximum is 15)")
	check("ResultsRetentionDays", p.ResultsRetentionDays, 1, 3650, "days")
	if len(errs) == 0 {
		return nil
	}
	msg := errs[0]
	for _, e := range errs[1:] {
		msg += "; " + e
	}
	return fmt.Errorf("%s", msg)
}

func orDefault(v *float64, d float64) float64 {
	if v == nil {
		return d
	}
	return *v
}

// New creates the results bucket, the worker function and the state
// machine under scope/id. It panics with Validate's error on bad props.
func New(scope constructs.Construct, id *string, props *Props) *LoadGenerator {
	if err := props.Validate(); err != nil {
		panic(err)
	}
	p := Props{}
	if props != nil {
		p = *props // copy: the caller's struct is never changed
	}
	maxWorkers := orDefault(p.MaxWorkers, 40)
	c := constructs.NewConstruct(scope, id)
	g := &LoadGenerator{construct: c}
	g.topic = ops.AlarmTopic(c, "AlarmTopic", p.AlarmTopic)

	bp := &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(false),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-raw-results"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(orDefault(p.ResultsRetentionDays, 30))),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
	}
	if p.AccessLogsBucket != nil {
		bp.ServerAccessLogsBucket = p.AccessLogsBucket
		bp.ServerAccessLogsPrefix = jsii.String("loadgen-results/")
	}
	g.bucket = awss3.NewBucket(c, jsii.String("Results"), bp)
	if p.AccessLogsBucket == nil {
		nag.Suppress(g.bucket, nag.Rule{ID: "AwsSolutions-S1", Reason: "Holds only synthetic load-test results that this construct's worker role writes and that expire after the retention period; no user data. Pass AccessLogsBucket to log access where policy requires it."})
	}

	role := awsiam.NewRole(c, jsii.String("WorkerRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("campaignkit load generator worker: write raw results, log, trace"),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:PutObject"),
		Resources: jsii.Strings(*g.bucket.ArnForObjects(jsii.String("*"))),
	}))
	logs := awslogs.NewLogGroup(c, jsii.String("WorkerLogs"), &awslogs.LogGroupProps{
		Retention: orRetention(p.LogRetention), RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	logs.GrantWrite(role)
	g.fn = golambda.NewFunction(c, jsii.String("Worker"), &golambda.FunctionProps{
		Entry: jsii.String(WorkerEntry),
		Function: &awslambda.FunctionProps{
			Description:                  jsii.String("campaignkit load generator: one Vegeta worker of a distributed load test"),
			Role:                         role,
			MemorySize:                   jsii.Number(orDefault(p.MemoryMB, 4096)),
			Timeout:                      awscdk.Duration_Minutes(jsii.Number(orDefault(p.TimeoutMinutes, 15))),
			ReservedConcurrentExecutions: jsii.Number(maxWorkers),
			Tracing:                      awslambda.Tracing_ACTIVE,
			LogGroup:                     logs,
		},
	})
	nag.Suppress(g.fn.Function, nag.Rule{ID: "Serverless-LambdaDLQ", Reason: "Workers are invoked synchronously by the state machine's Map state, never asynchronously; a failed worker fails the execution, which the coordinator reports and the failed-run alarm signals."})
	nag.SuppressTree(role,
		nag.Rule{ID: "AwsSolutions-IAM5", Reason: "Workers write one object per run and worker under keys chosen at run time (<prefix>/<run>/<attack>.gob), so s3:PutObject is scoped to this bucket's objects; the action itself is named, not wildcarded.", AppliesTo: []string{"Resource::<" + logicalRef(g.bucket) + ".Arn>/*"}},
		nag.Rule{ID: "AwsSolutions-IAM5", Reason: "X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions (AWS requires Resource \"*\"); the actions themselves are named, not wildcarded.", AppliesTo: []string{"Resource::*"}},
	)

	invoke := awsstepfunctionstasks.NewLambdaInvoke(c, jsii.String("RunWorker"), &awsstepfunctionstasks.LambdaInvokeProps{
		LambdaFunction:           g.fn.Function,
		PayloadResponseOnly:      jsii.Bool(true),
		RetryOnServiceExceptions: jsii.Bool(true),
	})
	fanOut := awsstepfunctions.NewMap(c, jsii.String("FanOut"), &awsstepfunctions.MapProps{
		Comment:        jsii.String("one worker per item of $.workers, all at once"),
		ItemsPath:      jsii.String("$.workers"),
		MaxConcurrency: jsii.Number(maxWorkers),
		ItemSelector: &map[string]any{
			"base.$":   "$.base",
			"worker.$": "$$.Map.Item.Value",
		},
	})
	fanOut.ItemProcessor(invoke, nil)
	smLogs := awslogs.NewLogGroup(c, jsii.String("StateMachineLogs"), &awslogs.LogGroupProps{
		Retention:     orRetention(p.LogRetention),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	g.stateMachine = awsstepfunctions.NewStateMachine(c, jsii.String("Run"), &awsstepfunctions.StateMachineProps{
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromChainable(fanOut),
		StateMachineType: awsstepfunctions.StateMachineType_STANDARD,
		Timeout:          awscdk.Duration_Hours(jsii.Number(1)),
		TracingEnabled:   jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          smLogs,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
	})
	nag.SuppressTree(g.stateMachine, nag.Rule{ID: "AwsSolutions-IAM5",
		Reason:    "CDK's generated state machine policy: X-Ray and CloudWatch Logs delivery actions support no resource-level permissions, and lambda:InvokeFunction is granted on the worker function and its versions (<arn>:*) only.",
		AppliesTo: []string{"Resource::*", "Resource::<" + logicalRef(g.fn.Function) + ".Arn>:*"}})

	failed := awscloudwatch.NewAlarm(c, jsii.String("RunFailedAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String("A distributed load test run failed (a worker errored, timed out or was throttled)"),
		Metric:             g.stateMachine.MetricFailed(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5))}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	action := awscloudwatchactions.NewSnsAction(g.topic)
	failed.AddAlarmAction(action)
	failed.AddOkAction(action)

	awscdk.NewCfnOutput(c, jsii.String("StateMachineArn"), &awscdk.CfnOutputProps{
		Value: g.stateMachine.StateMachineArn(), Description: jsii.String("campaignkit loadtest distributed -state-machine"),
	})
	awscdk.NewCfnOutput(c, jsii.String("ResultsBucketName"), &awscdk.CfnOutputProps{
		Value: g.bucket.BucketName(), Description: jsii.String("campaignkit loadtest distributed -bucket"),
	})
	return g
}

func orRetention(r awslogs.RetentionDays) awslogs.RetentionDays {
	if r == "" {
		return awslogs.RetentionDays_TWO_WEEKS
	}
	return r
}

// logicalRef is the token cdk-nag prints for a resource's logical id.
func logicalRef(c constructs.IConstruct) string {
	res := c.Node().DefaultChild()
	if res == nil {
		res = c
	}
	stack := awscdk.Stack_Of(c)
	return fmt.Sprint(stack.Resolve(stack.GetLogicalId(res.(awscdk.CfnElement))))
}

// Bucket is the raw results bucket.
func (g *LoadGenerator) Bucket() awss3.IBucket { return g.bucket }

// Function is the worker function.
func (g *LoadGenerator) Function() awslambda.IFunction { return g.fn.Function }

// StateMachine runs one distributed load test per execution.
func (g *LoadGenerator) StateMachine() awsstepfunctions.IStateMachine { return g.stateMachine }

// AlarmTopic receives the failed-run alarm.
func (g *LoadGenerator) AlarmTopic() awssns.ITopic { return g.topic }

// GrantStartRun lets grantee (the CI role running `campaignkit loadtest
// distributed`) start and watch runs and read their results.
func (g *LoadGenerator) GrantStartRun(grantee awsiam.IGrantable) {
	g.stateMachine.GrantStartExecution(grantee)
	g.stateMachine.GrantRead(grantee)
	g.stateMachine.GrantExecution(grantee, jsii.String("states:StopExecution"))
	g.bucket.GrantRead(grantee, nil)
}
