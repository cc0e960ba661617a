package scaledown

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/scaledown/calendar"
	"github.com/campaignkit/campaignkit/internal/nag"
	"github.com/campaignkit/campaignkit/internal/ops"
)

// Universal-target ARNs EventBridge Scheduler calls.
const (
	updateEventSourceMappingARN = "arn:aws:scheduler:::aws-sdk:lambda:updateEventSourceMapping"
	modifyDBClusterARN          = "arn:aws:scheduler:::aws-sdk:rds:modifyDBCluster"
)

const (
	maxScheduledActions = 200 // Application Auto Scaling, per scalable target
	schedulesWarnAt     = 300 // of CloudFormation's 500 resources per stack
	maxDescription      = 512 // EventBridge Scheduler schedule description
)

// Props configures a Schedule.
type Props struct {
	// Calendar is the campaign calendar. Required.
	Calendar *calendar.Calendar
	// Targets are what the calendar scales; each calendar level names one
	// by Name. Required (at least one).
	Targets []Target
	// AlarmTopic receives the scheduler's failed-invocation and DLQ alarms.
	// Default: an encrypted, TLS-only topic created when a target uses
	// EventBridge Scheduler.
	AlarmTopic awssns.ITopic
	// RetryAttempts is how often EventBridge Scheduler retries a failed
	// call (0–185). Default: 20.
	RetryAttempts *float64
	// MaxEventAge is how long EventBridge Scheduler keeps retrying (1 min –
	// 24 h) before the event goes to the dead-letter queue. Default: 1 hour.
	MaxEventAge awscdk.Duration
	// PlanOutput adds a stack output with the resolved plan (local time
	// and UTC of every action). Default: true.
	PlanOutput *bool
	// Now is the reference for "in the past" (actions before it are left
	// out with a warning). Default: time.Now; inject it in tests.
	Now func() time.Time
}

// Schedule is a ScheduledScaleDown: the calendar turned into Application
// Auto Scaling scheduled actions and EventBridge Scheduler schedules.
type Schedule struct {
	scope     constructs.Construct
	plan      calendar.Plan
	warnings  []calendar.Warning
	role      awsiam.Role
	dlq       awssqs.Queue
	group     awsscheduler.ScheduleGroup
	topic     awssns.ITopic
	alarms    []awscloudwatch.Alarm
	schedules []awsscheduler.CfnSchedule
}

func (p *Props) withDefaults() Props {
	c := *p
	if c.RetryAttempts == nil {
		c.RetryAttempts = jsii.Number(20)
	}
	if c.MaxEventAge == nil {
		c.MaxEventAge = awscdk.Duration_Hours(jsii.Number(1))
	}
	if c.PlanOutput == nil {
		c.PlanOutput = jsii.Bool(true)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports every problem with the props, one message each, and
// the calendar's own problems (overlaps, gaps, time zone, levels).
func (p *Props) Validate() error {
	_, _, err := p.resolve()
	return err
}

func (p *Props) resolve() (calendar.Plan, []calendar.Warning, error) {
	c := p.withDefaults()
	var errs []error
	if c.Calendar == nil {
		errs = append(errs, errors.New("scaledown: Calendar is required"))
	}
	if len(c.Targets) == 0 {
		errs = append(errs, errors.New("scaledown: Targets is empty: add at least one (ProvisionedConcurrency, ECSService, DynamoDBCapacity, WriterConcurrency, AuroraCapacity)"))
	}
	byName := map[string]Target{}
	for _, t := range c.Targets {
		if _, dup := byName[t.Name]; dup {
			errs = append(errs, fmt.Errorf("scaledown: Targets has %q twice: give each target its own name", t.Name))
			continue
		}
		if err := t.check(); err != nil {
			errs = append(errs, err)
			continue
		}
		byName[t.Name] = t
	}
	if r := *c.RetryAttempts; r < 0 || r > 185 || r != float64(int(r)) {
		errs = append(errs, fmt.Errorf("scaledown: RetryAttempts (%g) must be a whole number from 0 to 185", r))
	}
	if age := *c.MaxEventAge.ToSeconds(nil); age < 60 || age > 86400 {
		errs = append(errs, fmt.Errorf("scaledown: MaxEventAge (%gs) must be from 1 minute to 24 hours", age))
	}
	if c.Calendar == nil || len(errs) > 0 {
		return calendar.Plan{}, nil, errors.Join(errs...)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, ref := range c.Calendar.Levels() {
		t, ok := byName[ref.Target]
		if !ok {
			errs = append(errs, fmt.Errorf("scaledown: Calendar %s names target %q, which is not in Targets (have: %s)", ref.Where, ref.Target, strings.Join(names, ", ")))
			continue
		}
		if err := t.checkLevel(ref.Where, ref.Level); err != nil {
			errs = append(errs, err)
		}
	}
	plan, warnings, err := c.Calendar.Resolve(c.Now())
	if err != nil {
		errs = append(errs, fmt.Errorf("scaledown: %w", err))
	}
	if len(errs) > 0 {
		return calendar.Plan{}, nil, errors.Join(errs...)
	}
	// Service limits: 200 scheduled actions per scalable target; each
	// scheduler rule is a stack resource (500 per stack).
	perTarget := map[string]int{}
	scheduler := 0
	for _, r := range plan.Rules {
		if byName[r.Target].Kind.usesScheduler() {
			scheduler++
		} else {
			perTarget[r.Target]++
		}
	}
	for _, n := range names {
		if perTarget[n] > maxScheduledActions {
			errs = append(errs, fmt.Errorf("scaledown: target %q needs %d scheduled actions, more than Application Auto Scaling's %d per scalable target: merge phases or use windows", n, perTarget[n], maxScheduledActions))
		}
	}
	if len(errs) > 0 {
		return calendar.Plan{}, nil, errors.Join(errs...)
	}
	if scheduler > schedulesWarnAt {
		warnings = append(warnings, calendar.Warning{Message: fmt.Sprintf("scaledown: %d EventBridge Scheduler schedules (one resource each) bring the stack near CloudFormation's 500-resource limit", scheduler)})
	}
	named := map[string]bool{}
	for _, t := range plan.Targets {
		named[t] = true
	}
	for _, n := range names {
		if !named[n] {
			warnings = append(warnings, calendar.Warning{Message: fmt.Sprintf("scaledown: target %q has no level in the calendar and is never scaled", n)})
		}
	}
	return plan, warnings, nil
}

// New adds a ScheduledScaleDown: it resolves the calendar (panicking with
// every validation problem), adds a scheduled action per rule to each
// Application Auto Scaling target and an EventBridge Scheduler schedule per
// rule for the other targets, and reports warnings as CDK annotations.
func New(scope constructs.Construct, id *string, props *Props) *Schedule {
	if props == nil {
		props = &Props{}
	}
	p := props.withDefaults()
	plan, warnings, err := p.resolve()
	if err != nil {
		panic(err)
	}
	s := &Schedule{scope: constructs.NewConstruct(scope, id), plan: plan, warnings: warnings}
	for _, w := range warnings {
		awscdk.Annotations_Of(s.scope).AddWarningV2(jsii.String("campaignkit:scaledown:calendar"), jsii.String(w.Message))
	}
	byName := map[string]Target{}
	needsScheduler := false
	for _, t := range p.Targets {
		byName[t.Name] = t
	}
	for _, r := range plan.Rules {
		if byName[r.Target].Kind.usesScheduler() {
			needsScheduler = true
		}
	}
	if needsScheduler {
		s.addSchedulerResources(&p)
	}
	for _, r := range plan.Rules {
		t := byName[r.Target]
		if t.Kind.usesScheduler() {
			s.addSchedule(&p, t, r)
			continue
		}
		t.Scalable.ScaleOnSchedule(jsii.String(*id+"-"+r.ID), &awsapplicationautoscaling.ScalingSchedule{
			Schedule:    awsapplicationautoscaling.Schedule_Expression(jsii.String(r.Expression)),
			TimeZone:    awscdk.TimeZone_Of(jsii.String(r.TimeZone)),
			MinCapacity: jsii.Number(r.Level.Min),
			MaxCapacity: jsii.Number(r.Level.Max),
			StartTime:   r.Start,
			EndTime:     r.End,
		})
	}
	if *p.PlanOutput {
		awscdk.NewCfnOutput(s.scope, jsii.String("Plan"), &awscdk.CfnOutputProps{
			Description: jsii.String(fmt.Sprintf("ScheduledScaleDown %s: each action in %s local time (UTC)", *id, plan.TimeZone)),
			Value:       jsii.String(truncate(plan.Summary(), 3900)),
		})
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndex(s[:n], "; ")
	if cut < 0 {
		cut = n
	}
	return s[:cut] + fmt.Sprintf("; … (%d more characters; see Schedule.Plan().Format)", len(s)-cut)
}

// addSchedulerResources creates the schedule group, the dead-letter queue,
// the least-privilege execution role and the alarms.
func (s *Schedule) addSchedulerResources(p *Props) {
	stack := awscdk.Stack_Of(s.scope)
	s.group = awsscheduler.NewScheduleGroup(s.scope, jsii.String("Group"), &awsscheduler.ScheduleGroupProps{
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	s.dlq = awssqs.NewQueue(s.scope, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	nag.Suppress(s.dlq,
		nag.Rule{ID: "AwsSolutions-SQS3", Reason: "this queue is the dead-letter queue of the scale-down schedules; a DLQ of a DLQ would only move the same failed events"},
		nag.Rule{ID: "Serverless-SQSRedrivePolicy", Reason: "this queue is the dead-letter queue of the scale-down schedules; a DLQ of a DLQ would only move the same failed events"},
	)
	s.role = awsiam.NewRole(s.scope, jsii.String("SchedulerRole"), &awsiam.RoleProps{
		Description: jsii.String("EventBridge Scheduler role of a campaignkit ScheduledScaleDown: only the scaling calls of its own targets"),
		AssumedBy: awsiam.NewPrincipalWithConditions(
			awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil),
			&map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()}},
		),
	})
	var mappings, clusters []*string
	seen := map[string]bool{}
	for _, t := range p.Targets {
		if seen[t.Name] {
			continue
		}
		seen[t.Name] = true
		switch t.Kind {
		case KindWriterConcurrency:
			mappings = append(mappings, t.EventSourceMapping.EventSourceMappingArn())
		case KindAuroraCapacity:
			clusters = append(clusters, clusterARN(s.scope, t.Cluster))
		}
	}
	if len(mappings) > 0 {
		s.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("lambda:UpdateEventSourceMapping"),
			Resources: &mappings,
		}))
	}
	if len(clusters) > 0 {
		s.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("rds:ModifyDBCluster"),
			Resources: &clusters,
		}))
	}
	s.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sqs:SendMessage"),
		Resources: &[]*string{s.dlq.QueueArn()},
	}))

	s.topic = ops.AlarmTopic(s.scope, "AlarmTopic", p.AlarmTopic)
	period := awscdk.Duration_Minutes(jsii.Number(5))
	failed := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(dropped, 0) + FILL(dlq, 0) + FILL(dlqFailed, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"dropped":   s.group.MetricDropped(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}),
			"dlq":       s.group.MetricSentToDLQ(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}),
			"dlqFailed": s.group.MetricFailedToBeSentToDLQ(nil, &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}),
		},
		Label:  jsii.String("failed scale-down invocations"),
		Period: period,
	})
	s.alarms = append(s.alarms,
		failed.CreateAlarm(s.scope, jsii.String("FailedInvocationsAlarm"), &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:   jsii.String("A scheduled scaling call failed after all retries (dropped or sent to the DLQ): capacity is not at its planned level."),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}),
		s.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Maximum")}).
			CreateAlarm(s.scope, jsii.String("DeadLetterAlarm"), &awscloudwatch.CreateAlarmOptions{
				AlarmDescription:   jsii.String("Failed scheduled scaling calls wait in the dead-letter queue: inspect them and apply the level by hand."),
				Threshold:          jsii.Number(1),
				EvaluationPeriods:  jsii.Number(1),
				ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
				TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			}),
	)
	for _, a := range s.alarms {
		ops.Notify(a, s.topic)
	}
}

func clusterARN(scope constructs.Construct, c AuroraCluster) *string {
	return awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("rds"),
		Resource:     jsii.String("cluster"),
		ResourceName: c.ClusterIdentifier(),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// addSchedule adds one EventBridge Scheduler schedule for rule r.
func (s *Schedule) addSchedule(p *Props, t Target, r calendar.Rule) {
	var arn string
	var input any
	switch t.Kind {
	case KindWriterConcurrency:
		arn = updateEventSourceMappingARN
		input = updateEventSourceMappingInput{
			UUID:          *t.EventSourceMapping.EventSourceMappingId(),
			ScalingConfig: scalingConfig{MaximumConcurrency: r.Level.Max},
		}
	case KindAuroraCapacity:
		arn = modifyDBClusterARN
		input = modifyDBClusterInput{
			DBClusterIdentifier: *t.Cluster.ClusterIdentifier(),
			Scaling:             serverlessV2Scaling{MinCapacity: r.Level.Min, MaxCapacity: r.Level.Max},
			ApplyImmediately:    true,
		}
	}
	// Marshal in Go (fixed key order, so the template is stable); tokens
	// inside the strings (a mapping's Ref) resolve to Fn::Join.
	body, err := json.Marshal(input)
	if err != nil {
		panic(fmt.Errorf("scaledown: marshal %s input: %w", r.ID, err))
	}
	props := &awsscheduler.CfnScheduleProps{
		GroupName:                  s.group.ScheduleGroupName(),
		Description:                jsii.String(describe(r)),
		ScheduleExpression:         jsii.String(r.Expression),
		ScheduleExpressionTimezone: jsii.String(r.TimeZone),
		FlexibleTimeWindow:         &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:                      jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     jsii.String(arn),
			RoleArn: s.role.RoleArn(),
			Input:   jsii.String(string(body)),
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				MaximumRetryAttempts:     p.RetryAttempts,
				MaximumEventAgeInSeconds: p.MaxEventAge.ToSeconds(nil),
			},
			DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: s.dlq.QueueArn()},
		},
	}
	if r.Start != nil {
		props.StartDate = jsii.String(r.Start.UTC().Format(time.RFC3339))
	}
	if r.End != nil {
		props.EndDate = jsii.String(r.End.UTC().Format(time.RFC3339))
	}
	s.schedules = append(s.schedules, awsscheduler.NewCfnSchedule(s.scope, jsii.String(r.ID), props))
}

// Universal-target inputs, in the SDK's member names (EventBridge Scheduler
// calls the API with them as given).
type updateEventSourceMappingInput struct {
	UUID          string        `json:"Uuid"`
	ScalingConfig scalingConfig `json:"ScalingConfig"`
}

type scalingConfig struct {
	MaximumConcurrency float64 `json:"MaximumConcurrency"`
}

type modifyDBClusterInput struct {
	DBClusterIdentifier string              `json:"DbClusterIdentifier"`
	Scaling             serverlessV2Scaling `json:"ServerlessV2ScalingConfiguration"`
	ApplyImmediately    bool                `json:"ApplyImmediately"`
}

type serverlessV2Scaling struct {
	MinCapacity float64 `json:"MinCapacity"`
	MaxCapacity float64 `json:"MaxCapacity"`
}

func describe(r calendar.Rule) string {
	d := fmt.Sprintf("campaignkit scale-down: %s %s=%s (phase %s", r.Reason, r.Target, r.Level, r.Phase)
	if r.Window != "" {
		d += ", window " + r.Window
	}
	d += ")"
	if len(d) > maxDescription {
		d = strings.ToValidUTF8(d[:maxDescription-3], "") + "..."
	}
	return d
}

// Construct returns the construct all resources live under (for
// dependencies, aspects and nag suppressions).
func (s *Schedule) Construct() constructs.Construct { return s.scope }

// Plan returns the resolved plan: every rule synthesized and every action
// it fires, in local time and UTC.
func (s *Schedule) Plan() calendar.Plan { return s.plan }

// Warnings returns the calendar's warnings (also added as CDK annotations).
func (s *Schedule) Warnings() []calendar.Warning { return s.warnings }

// DeadLetterQueue returns the schedules' dead-letter queue (nil when no
// target uses EventBridge Scheduler).
func (s *Schedule) DeadLetterQueue() awssqs.IQueue {
	if s.dlq == nil {
		return nil
	}
	return s.dlq
}

// Role returns the EventBridge Scheduler execution role (nil when no target
// uses EventBridge Scheduler).
func (s *Schedule) Role() awsiam.IRole {
	if s.role == nil {
		return nil
	}
	return s.role
}

// ScheduleGroup returns the group holding the schedules (nil when no target
// uses EventBridge Scheduler).
func (s *Schedule) ScheduleGroup() awsscheduler.IScheduleGroup {
	if s.group == nil {
		return nil
	}
	return s.group
}

// AlarmTopic returns the topic the alarms notify (nil when there are none).
func (s *Schedule) AlarmTopic() awssns.ITopic { return s.topic }

// Alarms returns the failed-invocation and dead-letter alarms.
func (s *Schedule) Alarms() []awscloudwatch.Alarm { return s.alarms }

// Schedules returns the EventBridge Scheduler schedules, in plan order.
func (s *Schedule) Schedules() []awsscheduler.CfnSchedule { return s.schedules }
