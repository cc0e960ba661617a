package scaledown_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/scaledown"
	"github.com/campaignkit/campaignkit/constructs/scaledown/calendar"
	"github.com/campaignkit/campaignkit/internal/cdktest"
	"github.com/campaignkit/campaignkit/internal/nag"
)

// The accessors of other constructs and of the CDK fit the target ports.
var (
	_ scaledown.Schedulable        = awsapplicationautoscaling.ScalableTarget(nil)
	_ scaledown.Schedulable        = awslambda.IScalableFunctionAttribute(nil)
	_ scaledown.Schedulable        = awsecs.ScalableTaskCount(nil)
	_ scaledown.Schedulable        = awsdynamodb.IScalableTableAttribute(nil)
	_ scaledown.EventSourceMapping = awslambda.IEventSourceMapping(nil)
	_ scaledown.AuroraCluster      = awsrds.IDatabaseCluster(nil)
)

var now = func() time.Time { return time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC) }

type L = calendar.Level

// brussels has three phases in Europe/Brussels around the end of daylight
// saving time (Sunday 2027-10-31): registration with a night floor that
// crosses midnight, the event week (contiguous, across the DST change) and
// a wind-down after a gap.
func brussels() *calendar.Calendar {
	return &calendar.Calendar{
		TimeZone: "Europe/Brussels",
		WarmUp:   30 * time.Minute,
		Default: map[string]L{"api": calendar.Fixed(0), "worker": calendar.Fixed(0), "votes": {Min: 1, Max: 5},
			"writer": calendar.Fixed(2), "db": {Min: 0.5, Max: 2}},
		Phases: []calendar.Phase{
			{Name: "registration", Start: "2027-10-25T09:00", End: "2027-10-29T00:00",
				Levels: map[string]L{"api": {Min: 5, Max: 20}, "worker": {Min: 1, Max: 2}, "votes": {Min: 5, Max: 50}, "writer": calendar.Fixed(5), "db": {Min: 1, Max: 4}},
				Windows: []calendar.Window{{Name: "night", From: "23:00", To: "07:00",
					Levels: map[string]L{"api": {Min: 0, Max: 5}, "worker": calendar.Fixed(0)}}}},
			{Name: "event week", Start: "2027-10-29T00:00", End: "2027-11-05T00:00",
				Levels: map[string]L{"api": {Min: 100, Max: 500}, "worker": {Min: 4, Max: 10}, "votes": {Min: 100, Max: 1000}, "writer": calendar.Fixed(50), "db": {Min: 4, Max: 32}}},
			{Name: "wind-down", Start: "2027-11-05T06:00", End: "2027-11-08T00:00",
				Levels: map[string]L{"api": {Min: 2, Max: 20}, "worker": {Min: 1, Max: 2}, "votes": {Min: 5, Max: 50}, "writer": calendar.Fixed(10), "db": {Min: 1, Max: 8}}},
		},
	}
}

func scalable(stack awscdk.Stack, id string, ns awsapplicationautoscaling.ServiceNamespace, resource, dimension, slr string, max float64) awsapplicationautoscaling.ScalableTarget {
	return awsapplicationautoscaling.NewScalableTarget(stack, jsii.String(id), &awsapplicationautoscaling.ScalableTargetProps{
		ServiceNamespace:  ns,
		ResourceId:        jsii.String(resource),
		ScalableDimension: jsii.String(dimension),
		MinCapacity:       jsii.Number(0),
		MaxCapacity:       jsii.Number(max),
		Role: awsiam.Role_FromRoleArn(stack, jsii.String(id+"Role"),
			jsii.String("arn:aws:iam::123456789012:role/aws-service-role/"+slr), nil),
	})
}

// targets builds one target of every kind without other engineers'
// constructs: scalable targets registered directly, an event source mapping
// on an imported function and queue, an imported Aurora cluster.
func targets(stack awscdk.Stack) []scaledown.Target {
	fn := awslambda.Function_FromFunctionName(stack, jsii.String("Writer"), jsii.String("campaign-writer"))
	mapping := awslambda.NewEventSourceMapping(stack, jsii.String("WriterMapping"), &awslambda.EventSourceMappingProps{
		Target:         fn,
		EventSourceArn: jsii.String("arn:aws:sqs:eu-west-1:123456789012:campaign-writes"),
		BatchSize:      jsii.Number(25),
	})
	// SQS event sources dead-letter through the queue's redrive policy, not
	// an on-failure destination (which is for stream sources).
	nag.Suppress(mapping, nag.Rule{ID: "Serverless-LambdaEventSourceMappingDestination",
		Reason: "test fixture for a QueuedDatabaseWriter mapping: its SQS queue redrives failed messages to the queue's own DLQ"})
	db := awsrds.DatabaseCluster_FromDatabaseClusterAttributes(stack, jsii.String("Db"), &awsrds.DatabaseClusterAttributes{
		ClusterIdentifier: jsii.String("campaign-db"),
	})
	return []scaledown.Target{
		scaledown.ProvisionedConcurrency("api", scalable(stack, "Api", awsapplicationautoscaling.ServiceNamespace_LAMBDA,
			"function:campaign-api:live", "lambda:function:ProvisionedConcurrency",
			"lambda.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency", 500)),
		scaledown.ECSService("worker", scalable(stack, "Worker", awsapplicationautoscaling.ServiceNamespace_ECS,
			"service/campaign/worker", "ecs:service:DesiredCount",
			"ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService", 10)),
		scaledown.DynamoDBCapacity("votes", scalable(stack, "Votes", awsapplicationautoscaling.ServiceNamespace_DYNAMODB,
			"table/votes", "dynamodb:table:WriteCapacityUnits",
			"dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable", 1000)),
		scaledown.WriterConcurrency("writer", mapping),
		scaledown.AuroraCapacity("db", db),
	}
}

// scheduledActions returns the ScheduledActions of the scalable target
// whose logical id starts with prefix.
func scheduledActions(t *testing.T, tpl assertions.Template, prefix string) []map[string]any {
	t.Helper()
	for id, r := range cdktest.Resources(t, tpl, "AWS::ApplicationAutoScaling::ScalableTarget") {
		if strings.HasPrefix(id, prefix) {
			var out []map[string]any
			for _, a := range r["Properties"].(map[string]any)["ScheduledActions"].([]any) {
				out = append(out, a.(map[string]any))
			}
			return out
		}
	}
	t.Fatalf("no scalable target %s*", prefix)
	return nil
}

func TestScheduleBrussels(t *testing.T) {
	// GIVEN a stack with one target of each kind
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Brussels")
	cal := brussels()

	// WHEN the calendar is scheduled
	sched := scaledown.New(stack, jsii.String("Calendar"), &scaledown.Props{Calendar: cal, Targets: targets(stack), Now: now})
	tpl := cdktest.Template(stack)

	want, _, err := cal.Resolve(now())
	if err != nil {
		t.Fatal(err)
	}
	if got := sched.Plan(); len(got.Actions) != len(want.Actions) || len(got.Rules) != len(want.Rules) {
		t.Fatalf("Plan() has %d actions / %d rules, want %d / %d", len(got.Actions), len(got.Rules), len(want.Actions), len(want.Rules))
	}
	if w := sched.Warnings(); len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}

	// THEN the API's scalable target carries the warm-up, phase start and
	// restore as at() actions in Europe/Brussels (restore after the DST
	// change is still written in local time), and the night window as
	// bounded crons.
	tpl.HasResourceProperties(jsii.String("AWS::ApplicationAutoScaling::ScalableTarget"), map[string]any{
		"ResourceId": "function:campaign-api:live",
		"ScheduledActions": assertions.Match_ArrayWith(&[]any{
			like(map[string]any{
				"ScheduledActionName":  "Calendar-event-week-warmup-api",
				"Schedule":             "at(2027-10-28T23:30:00)",
				"Timezone":             "Europe/Brussels",
				"ScalableTargetAction": map[string]any{"MinCapacity": 100, "MaxCapacity": 500},
			}),
			like(map[string]any{
				"ScheduledActionName":  "Calendar-event-week-start-api",
				"Schedule":             "at(2027-10-29T00:00:00)",
				"Timezone":             "Europe/Brussels",
				"ScalableTargetAction": map[string]any{"MinCapacity": 100, "MaxCapacity": 500},
			}),
			like(map[string]any{
				"ScheduledActionName":  "Calendar-event-week-end-api",
				"Schedule":             "at(2027-11-05T00:00:00)",
				"Timezone":             "Europe/Brussels",
				"ScalableTargetAction": map[string]any{"MinCapacity": 0, "MaxCapacity": 0},
			}),
			like(map[string]any{
				"ScheduledActionName":  "Calendar-wind-down-end-api",
				"Schedule":             "at(2027-11-08T00:00:00)",
				"Timezone":             "Europe/Brussels",
				"ScalableTargetAction": map[string]any{"MinCapacity": 0, "MaxCapacity": 0},
			}),
			like(map[string]any{
				"ScheduledActionName":  "Calendar-registration-night-from-api",
				"Schedule":             "cron(0 23 * * ? *)",
				"Timezone":             "Europe/Brussels",
				"ScalableTargetAction": map[string]any{"MinCapacity": 0, "MaxCapacity": 5},
				"StartTime":            assertions.Match_StringLikeRegexp(jsii.String(`^2027-10-25T07:00:30`)),
				"EndTime":              assertions.Match_StringLikeRegexp(jsii.String(`^2027-10-28T21:29:30`)),
			}),
			like(map[string]any{
				"ScheduledActionName":  "Calendar-registration-night-to-api",
				"Schedule":             "cron(0 7 * * ? *)",
				"Timezone":             "Europe/Brussels",
				"ScalableTargetAction": map[string]any{"MinCapacity": 5, "MaxCapacity": 20},
			}),
		}),
	})
	// Every scheduled action has the calendar's zone, and each AAS target
	// has exactly its rules.
	counts := map[string]int{}
	for _, r := range want.Rules {
		counts[r.Target]++
	}
	for prefix, target := range map[string]string{"Api": "api", "Worker": "worker", "Votes": "votes"} {
		acts := scheduledActions(t, tpl, prefix)
		if len(acts) != counts[target] {
			t.Errorf("%s: %d scheduled actions, want %d", target, len(acts), counts[target])
		}
		for _, a := range acts {
			if a["Timezone"] != "Europe/Brussels" {
				t.Errorf("%s: action %v without Europe/Brussels", target, a["ScheduledActionName"])
			}
		}
	}
	// The ECS service scales to zero for the night and back in the morning
	// (rules: one-shots in time order, then the recurring ones).
	tpl.HasResourceProperties(jsii.String("AWS::ApplicationAutoScaling::ScalableTarget"), map[string]any{
		"ResourceId": "service/campaign/worker",
		"ScheduledActions": assertions.Match_ArrayWith(&[]any{
			like(map[string]any{"Schedule": "at(2027-10-28T23:30:00)", "ScalableTargetAction": map[string]any{"MinCapacity": 4, "MaxCapacity": 10}}),
			like(map[string]any{"Schedule": "cron(0 23 * * ? *)", "ScalableTargetAction": map[string]any{"MinCapacity": 0, "MaxCapacity": 0}}),
			like(map[string]any{"Schedule": "cron(0 7 * * ? *)", "ScalableTargetAction": map[string]any{"MinCapacity": 1, "MaxCapacity": 2}}),
		}),
	})

	// THEN the writer and Aurora get EventBridge Scheduler schedules with
	// time zone, no flexible window, retries and the DLQ.
	schedules := cdktest.Resources(t, tpl, "AWS::Scheduler::Schedule")
	schedulerRules := counts["writer"] + counts["db"]
	if len(schedules) != schedulerRules {
		t.Errorf("%d schedules, want %d (one per writer/db rule)", len(schedules), schedulerRules)
	}
	dlq := cdktest.Resources(t, tpl, "AWS::SQS::Queue")
	if len(dlq) != 1 {
		t.Fatalf("%d queues, want the one DLQ", len(dlq))
	}
	var dlqID string
	for id := range dlq {
		dlqID = id
	}
	tpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
		"ScheduleExpression":         "at(2027-10-28T23:30:00)",
		"ScheduleExpressionTimezone": "Europe/Brussels",
		"FlexibleTimeWindow":         map[string]any{"Mode": "OFF"},
		"State":                      "ENABLED",
		"Target": assertions.Match_ObjectLike(&map[string]any{
			"Arn":              "arn:aws:scheduler:::aws-sdk:rds:modifyDBCluster",
			"Input":            `{"DbClusterIdentifier":"campaign-db","ServerlessV2ScalingConfiguration":{"MinCapacity":4,"MaxCapacity":32},"ApplyImmediately":true}`,
			"RetryPolicy":      map[string]any{"MaximumRetryAttempts": 20, "MaximumEventAgeInSeconds": 3600},
			"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{dlqID, "Arn"}}},
		}),
	})
	// The restore after the event week, in CET after the DST change.
	tpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
		"ScheduleExpression":         "at(2027-11-05T00:00:00)",
		"ScheduleExpressionTimezone": "Europe/Brussels",
		"Description":                "campaignkit scale-down: restore db=0.5..2 (phase event week)",
		"Target": assertions.Match_ObjectLike(&map[string]any{
			"Input": `{"DbClusterIdentifier":"campaign-db","ServerlessV2ScalingConfiguration":{"MinCapacity":0.5,"MaxCapacity":2},"ApplyImmediately":true}`,
		}),
	})
	// The writer's input carries the mapping's UUID (a Ref) and the level.
	writerInputs := map[string]string{}
	for _, r := range schedules {
		target := r["Properties"].(map[string]any)["Target"].(map[string]any)
		if target["Arn"] != "arn:aws:scheduler:::aws-sdk:lambda:updateEventSourceMapping" {
			continue
		}
		b, _ := json.Marshal(target["Input"])
		writerInputs[r["Properties"].(map[string]any)["ScheduleExpression"].(string)] = string(b)
		if _, ok := target["RetryPolicy"]; !ok {
			t.Errorf("writer schedule without RetryPolicy: %v", target)
		}
	}
	if in := writerInputs["at(2027-10-28T23:30:00)"]; !strings.Contains(in, `"Ref":"WriterMapping`) || !strings.Contains(in, `\"ScalingConfig\":{\"MaximumConcurrency\":50}}`) {
		t.Errorf("writer warm-up input = %s", in)
	}
	if in := writerInputs["at(2027-11-08T00:00:00)"]; !strings.Contains(in, `{\"MaximumConcurrency\":2}`) {
		t.Errorf("writer final restore input = %s", in)
	}

	// THEN the scheduler role may call only the two scaling actions on its
	// own targets and send to its own DLQ.
	tpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]any{
		"AssumeRolePolicyDocument": map[string]any{"Statement": []any{map[string]any{
			"Action":    "sts:AssumeRole",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "scheduler.amazonaws.com"},
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": "123456789012"}},
		}}},
	})
	tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": []any{
			map[string]any{"Action": "lambda:UpdateEventSourceMapping", "Effect": "Allow", "Resource": assertions.Match_AnyValue()},
			map[string]any{"Action": "rds:ModifyDBCluster", "Effect": "Allow", "Resource": map[string]any{"Fn::Join": []any{"", []any{
				"arn:", map[string]any{"Ref": "AWS::Partition"}, ":rds:eu-west-1:123456789012:cluster:campaign-db"}}}},
			map[string]any{"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": map[string]any{"Fn::GetAtt": []any{dlqID, "Arn"}}},
		}},
	})
	tpl.ResourceCountIs(jsii.String("AWS::IAM::Policy"), jsii.Number(1))
	// The DLQ is encrypted and TLS-only; failures and DLQ depth alarm to SNS.
	tpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{"SqsManagedSseEnabled": true})
	tpl.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})})},
	})
	tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(2))
	tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"Metrics": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"MetricStat": assertions.Match_ObjectLike(&map[string]any{"Metric": assertions.Match_ObjectLike(&map[string]any{
				"Namespace": "AWS/Scheduler", "MetricName": "InvocationDroppedCount",
			})}),
		})}),
		"AlarmActions": assertions.Match_AnyValue(),
		"OKActions":    assertions.Match_AnyValue(),
	})
	tpl.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(1))
	tpl.ResourceCountIs(jsii.String("AWS::Scheduler::ScheduleGroup"), jsii.Number(1))
	// The plan is readable in the stack outputs.
	tpl.HasOutput(jsii.String("*"), map[string]any{
		"Value": assertions.Match_StringLikeRegexp(jsii.String(`2027-10-28 23:30 CEST \(21:30Z\) api=100\.\.500 warm-up event week`)),
	})

	// GIVEN a calendar partly in the past, with only an AAS target
	past := cdktest.NewStack(app, "Past")
	api := scalable(past, "Api", awsapplicationautoscaling.ServiceNamespace_LAMBDA, "function:campaign-api:live",
		"lambda:function:ProvisionedConcurrency", "lambda.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency", 50)
	old := &calendar.Calendar{TimeZone: "Europe/Brussels", Default: map[string]L{"api": calendar.Fixed(0)},
		Phases: []calendar.Phase{
			{Name: "last year", Start: "2025-10-01", End: "2025-10-08", Levels: map[string]L{"api": calendar.Fixed(10)}},
			{Name: "next year", Start: "2027-10-01", End: "2027-10-08", Levels: map[string]L{"api": calendar.Fixed(10)}},
		}}
	scaledown.New(past, jsii.String("Calendar"), &scaledown.Props{Calendar: old, Targets: []scaledown.Target{scaledown.ProvisionedConcurrency("api", api)}, Now: now})
	// THEN synth warns (does not fail), leaves the past out, and creates no
	// scheduler resources.
	assertions.Annotations_FromStack(past).HasWarning(jsii.String("/Past/Calendar"),
		assertions.Match_StringLikeRegexp(jsii.String(`phase "last year" ended 2025-10-08 00:00 CEST, before now`)))
	ptpl := cdktest.Template(past)
	ptpl.ResourceCountIs(jsii.String("AWS::Scheduler::Schedule"), jsii.Number(0))
	ptpl.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(0))
	if acts := scheduledActions(t, ptpl, "Api"); len(acts) != 2 {
		t.Errorf("past calendar: %d scheduled actions, want 2 (next year's start and restore)", len(acts))
	}

	// AND both stacks pass cfn-lint and cdk-nag.
	cdktest.AssertGates(t, app)
}

func like(m map[string]any) assertions.Matcher { return assertions.Match_ObjectLike(&m) }

type fakeScalable struct{}

func (fakeScalable) ScaleOnSchedule(*string, *awsapplicationautoscaling.ScalingSchedule) {}

type fakeMapping struct{}

func (fakeMapping) EventSourceMappingId() *string  { return jsii.String("uuid") }
func (fakeMapping) EventSourceMappingArn() *string { return jsii.String("arn") }

type fakeCluster struct{}

func (fakeCluster) ClusterIdentifier() *string { return jsii.String("db") }

func TestValidate(t *testing.T) {
	fakes := func() []scaledown.Target {
		return []scaledown.Target{
			scaledown.ProvisionedConcurrency("api", fakeScalable{}),
			scaledown.ECSService("worker", fakeScalable{}),
			scaledown.DynamoDBCapacity("votes", fakeScalable{}),
			scaledown.WriterConcurrency("writer", fakeMapping{}),
			scaledown.AuroraCapacity("db", fakeCluster{}),
		}
	}
	valid := func() *scaledown.Props {
		return &scaledown.Props{Calendar: brussels(), Targets: fakes(), Now: now}
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("valid props: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(p *scaledown.Props)
		msg    string
	}{
		{"no calendar", func(p *scaledown.Props) { p.Calendar = nil }, "scaledown: Calendar is required"},
		{"no targets", func(p *scaledown.Props) { p.Targets = nil }, "scaledown: Targets is empty"},
		{"duplicate target", func(p *scaledown.Props) { p.Targets = append(p.Targets, scaledown.ECSService("api", fakeScalable{})) },
			`scaledown: Targets has "api" twice`},
		{"target without handle", func(p *scaledown.Props) { p.Targets[3] = scaledown.WriterConcurrency("writer", nil) },
			`scaledown: Targets "writer" (sqs-maximum-concurrency) needs EventSourceMapping`},
		{"unknown kind", func(p *scaledown.Props) { p.Targets[0].Kind = "ec2" }, `scaledown: Targets "api" has unknown Kind "ec2"`},
		{"level names an unknown target", func(p *scaledown.Props) { p.Calendar.Phases[1].Levels["cache"] = calendar.Fixed(1) },
			`scaledown: Calendar phase "event week" names target "cache", which is not in Targets (have: api, db, votes, worker, writer)`},
		{"writer concurrency out of range", func(p *scaledown.Props) { p.Calendar.Default["writer"] = calendar.Fixed(1) },
			`scaledown: Calendar Default level for "writer" (sqs-maximum-concurrency): Max (1) sets the SQS event source MaximumConcurrency and must be a whole number from 2 to 1000`},
		{"aurora not in 0.5 steps", func(p *scaledown.Props) { p.Calendar.Phases[1].Levels["db"] = L{Min: 4.2, Max: 32} },
			`scaledown: Calendar phase "event week" level for "db" (aurora-serverless-v2): Min (4.2) and Max (32) must be ACU in 0.5 steps`},
		{"aurora over 256", func(p *scaledown.Props) { p.Calendar.Phases[1].Levels["db"] = L{Min: 4, Max: 300} }, `Max from 1 to 256`},
		{"dynamodb below 1", func(p *scaledown.Props) { p.Calendar.Default["votes"] = L{Min: 0, Max: 5} },
			`scaledown: Calendar Default level for "votes" (dynamodb-capacity): Min (0) and Max (5) must be whole capacity units ≥ 1`},
		{"fractional concurrency", func(p *scaledown.Props) { p.Calendar.Phases[0].Windows[0].Levels["api"] = L{Min: 0.5, Max: 5} },
			`scaledown: Calendar phase "registration" window "night" level for "api" (lambda-provisioned-concurrency): Min (0.5) and Max (5) must be whole numbers`},
		{"retries out of range", func(p *scaledown.Props) { p.RetryAttempts = jsii.Number(200) }, "scaledown: RetryAttempts (200) must be a whole number from 0 to 185"},
		{"event age out of range", func(p *scaledown.Props) { p.MaxEventAge = awscdk.Duration_Hours(jsii.Number(48)) }, "scaledown: MaxEventAge (172800s) must be from 1 minute to 24 hours"},
		// The calendar's own checks surface through the construct.
		{"min > max", func(p *scaledown.Props) { p.Calendar.Phases[1].Levels["api"] = L{Min: 600, Max: 500} },
			`scaledown: calendar: phase "event week" level for "api": Min (600) must be ≤ Max (500)`},
		{"overlapping phases", func(p *scaledown.Props) { p.Calendar.Phases[0].End = "2027-10-30T00:00" }, `phases "registration" (2027-10-25T09:00 – 2027-10-30T00:00) and "event week"`},
		{"end before start", func(p *scaledown.Props) { p.Calendar.Phases[2].End = "2027-11-01T00:00" }, `phase "wind-down" ends (2027-11-01T00:00) before it starts`},
		{"unknown time zone", func(p *scaledown.Props) { p.Calendar.TimeZone = "CEST" }, `TimeZone "CEST" is not an IANA time zone`},
		{"gap without default", func(p *scaledown.Props) { delete(p.Calendar.Default, "db") }, `target "db" has no level in the gap between phase "event week"`},
		{"more than 200 scheduled actions", func(p *scaledown.Props) {
			p.Calendar.Phases = nil
			for d := 0; d < 101; d++ {
				day := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d).Format("2006-01-02")
				p.Calendar.Phases = append(p.Calendar.Phases, calendar.Phase{Name: "day " + day, Start: day + "T09:00", End: day + "T17:00",
					Levels: map[string]L{"api": calendar.Fixed(10)}})
			}
		}, `scaledown: target "api" needs 303 scheduled actions, more than Application Auto Scaling's 200 per scalable target`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := valid()
			tc.mutate(p)
			err := p.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error\n  %v\nlacks\n  %s", err, tc.msg)
			}
		})
	}
	// Calendar errors keep their kind.
	p := valid()
	p.Calendar.TimeZone = "Mars/Olympus"
	if err := p.Validate(); !errors.Is(err, calendar.ErrTimeZone) {
		t.Errorf("error %v is not calendar.ErrTimeZone", err)
	}
	// The constructor panics with the same message (no stack needed: it
	// validates before it adds anything).
	msg := cdktest.Recover(func() {
		p := valid()
		p.Calendar.Phases[1].Levels["api"] = L{Min: 600, Max: 500}
		scaledown.New(nil, jsii.String("Calendar"), p)
	})
	if !strings.Contains(msg, `Min (600) must be ≤ Max (500)`) {
		t.Errorf("New panicked with %q", msg)
	}
}
