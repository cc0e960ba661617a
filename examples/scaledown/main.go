// Command scaledown is a CDK app showing ScheduledScaleDown: a charity
// week's calendar in Europe/Brussels (registration with a night floor, the
// event week across the end of daylight saving time, a wind-down) scaling
// an API's provisioned concurrency, a worker service, a table's write
// capacity, the queued writer's concurrency and an Aurora cluster's ACU.
//
// The targets are imported by name so the example stands alone; in a real
// app pass the ScalableWebTier's ScalableTarget(), the QueuedDatabaseWriter's
// event source mapping, service.AutoScaleTaskCount(...),
// table.AutoScaleWriteCapacity(...) and the cluster itself.
//
//	cdk synth --app "go run ./examples/scaledown"
//
// prints the resolved plan (each action in local time and UTC) on stderr.
// Optional env: CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION (stack environment),
// WRITER_MAPPING_UUID (the writer's event source mapping).
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/scaledown"
	"github.com/campaignkit/campaignkit/constructs/scaledown/calendar"
	"github.com/campaignkit/campaignkit/internal/nag"
)

func main() {
	app := awscdk.NewApp(nil)
	nag.Apply(app)
	sched := build(app, time.Now)
	fmt.Fprintln(os.Stderr, "ScheduledScaleDown plan:")
	if err := sched.Plan().Format(os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	app.Synth(nil)
}

// charityWeek is the campaign calendar: levels per target, by name.
func charityWeek() *calendar.Calendar {
	type L = calendar.Level
	return &calendar.Calendar{
		TimeZone: "Europe/Brussels",
		WarmUp:   30 * time.Minute,
		// Off-season: nothing provisioned, the writer and database idle.
		Default: map[string]L{"api": calendar.Fixed(0), "worker": calendar.Fixed(0), "votes": {Min: 1, Max: 5},
			"writer": calendar.Fixed(2), "db": {Min: 0.5, Max: 2}},
		Phases: []calendar.Phase{
			{Name: "registration", Start: "2027-10-25T09:00", End: "2027-10-29T00:00",
				Levels: map[string]L{"api": {Min: 5, Max: 20}, "worker": {Min: 1, Max: 2}, "votes": {Min: 5, Max: 50},
					"writer": calendar.Fixed(5), "db": {Min: 1, Max: 4}},
				// Nights (crossing midnight): a floor, the worker stops.
				Windows: []calendar.Window{{Name: "night", From: "23:00", To: "07:00",
					Levels: map[string]L{"api": {Min: 0, Max: 5}, "worker": calendar.Fixed(0)}}}},
			{Name: "event week", Start: "2027-10-29T00:00", End: "2027-11-05T00:00",
				Levels: map[string]L{"api": {Min: 100, Max: 500}, "worker": {Min: 4, Max: 10}, "votes": {Min: 100, Max: 1000},
					"writer": calendar.Fixed(50), "db": {Min: 4, Max: 32}}},
			{Name: "wind-down", Start: "2027-11-05T06:00", End: "2027-11-08T00:00",
				Levels: map[string]L{"api": {Min: 2, Max: 20}, "worker": {Min: 1, Max: 2}, "votes": {Min: 5, Max: 50},
					"writer": calendar.Fixed(10), "db": {Min: 1, Max: 8}}},
		},
	}
}

// build adds the example stack to app; now is the reference for "past".
func build(app awscdk.App, now func() time.Time) *scaledown.Schedule {
	var env *awscdk.Environment
	if a, r := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); a != "" && r != "" {
		env = &awscdk.Environment{Account: jsii.String(a), Region: jsii.String(r)}
	}
	stack := awscdk.NewStack(app, jsii.String("ScaleDownExample"), &awscdk.StackProps{
		Env:         env,
		Description: jsii.String("campaignkit example: a charity week's calendar as scheduled capacity"),
	})
	mappingUUID := os.Getenv("WRITER_MAPPING_UUID")
	if mappingUUID == "" {
		mappingUUID = "6c9f1e2a-0b7d-4c52-9a43-2f1d7e8b5a10"
	}
	return scaledown.New(stack, jsii.String("CharityWeek"), &scaledown.Props{
		Calendar: charityWeek(),
		Targets: []scaledown.Target{
			scaledown.ProvisionedConcurrency("api", scalable(stack, "ApiConcurrency", awsapplicationautoscaling.ServiceNamespace_LAMBDA,
				"function:charity-api:live", "lambda:function:ProvisionedConcurrency", "lambda", "LambdaConcurrency", 500)),
			scaledown.ECSService("worker", scalable(stack, "WorkerTasks", awsapplicationautoscaling.ServiceNamespace_ECS,
				"service/charity/worker", "ecs:service:DesiredCount", "ecs", "ECSService", 10)),
			scaledown.DynamoDBCapacity("votes", scalable(stack, "VotesWrites", awsapplicationautoscaling.ServiceNamespace_DYNAMODB,
				"table/charity-votes", "dynamodb:table:WriteCapacityUnits", "dynamodb", "DynamoDBTable", 1000)),
			scaledown.WriterConcurrency("writer", awslambda.EventSourceMapping_FromEventSourceMappingId(stack,
				jsii.String("WriterMapping"), jsii.String(mappingUUID))),
			scaledown.AuroraCapacity("db", awsrds.DatabaseCluster_FromDatabaseClusterAttributes(stack, jsii.String("Db"),
				&awsrds.DatabaseClusterAttributes{ClusterIdentifier: jsii.String("charity-db")})),
		},
		Now: now,
	})
}

// scalable registers a scalable target with Application Auto Scaling's
// service-linked role for the service (as alias.AddAutoScaling,
// service.AutoScaleTaskCount and table.AutoScale*Capacity do).
func scalable(stack awscdk.Stack, id string, ns awsapplicationautoscaling.ServiceNamespace, resource, dimension, service, slr string, max float64) awsapplicationautoscaling.ScalableTarget {
	role := awsiam.Role_FromRoleArn(stack, jsii.String(id+"Role"), stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("iam"), Region: jsii.String(""),
		Resource:     jsii.String("role"),
		ResourceName: jsii.String("aws-service-role/" + service + ".application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_" + slr),
	}), nil)
	return awsapplicationautoscaling.NewScalableTarget(stack, jsii.String(id), &awsapplicationautoscaling.ScalableTargetProps{
		ServiceNamespace:  ns,
		ResourceId:        jsii.String(resource),
		ScalableDimension: jsii.String(dimension),
		MinCapacity:       jsii.Number(0),
		MaxCapacity:       jsii.Number(max),
		Role:              role,
	})
}
