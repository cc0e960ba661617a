// Command queuedwriter is the smallest CDK app that deploys a campaignkit
// QueuedDatabaseWriter: an SQS queue with a dead-letter queue and alarms,
// drained by the generic Go writer Lambda into DynamoDB (stack
// QueuedWriterDynamoExample) or Aurora PostgreSQL Serverless v2 behind an
// RDS Proxy (stack QueuedWriterAuroraExample), at a concurrency derived from
// what the database can take.
//
//	cdk synth --app "go run ./examples/queuedwriter"                       # both stacks
//	QUEUEDWRITER_SINK=aurora cdk synth --app "go run ./examples/queuedwriter" # one
//
// QUEUEDWRITER_SINK is "dynamodb", "aurora" or empty (both). The stacks
// deploy into CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION when set
// (environment-agnostic otherwise). After a deployment, the outputs give the
// redrive command for the dead-letter queue.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/queuedwriter"
	"github.com/campaignkit/campaignkit/internal/nag"
)

// Sink names accepted in QUEUEDWRITER_SINK.
const (
	sinkDynamoDB = "dynamodb"
	sinkAurora   = "aurora"
)

// sinks parses QUEUEDWRITER_SINK.
func sinks(v string) ([]string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return []string{sinkDynamoDB, sinkAurora}, nil
	case sinkDynamoDB:
		return []string{sinkDynamoDB}, nil
	case sinkAurora:
		return []string{sinkAurora}, nil
	}
	return nil, fmt.Errorf("QUEUEDWRITER_SINK=%q: want %q, %q or empty for both", v, sinkDynamoDB, sinkAurora)
}

// newStack adds the example stack for one sink to app; main and the test
// share it.
func newStack(app awscdk.App, sink string) (awscdk.Stack, *queuedwriter.QueuedWriter) {
	var env *awscdk.Environment
	if acct, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); acct != "" && region != "" {
		env = &awscdk.Environment{Account: jsii.String(acct), Region: jsii.String(region)}
	}
	props := &queuedwriter.Props{}
	name := "QueuedWriterDynamoExample"
	switch sink {
	case sinkDynamoDB:
		// 4,000 WU/s (a new on-demand table's warm throughput) ÷ 500
		// records/s per writer = 8 concurrent writers.
		props.DynamoDB = &queuedwriter.DynamoDBSink{WriteBudget: jsii.Number(4000)}
	case sinkAurora:
		name = "QueuedWriterAuroraExample"
		// Donations are ordered per donor: FIFO, high-throughput mode.
		props.Fifo = jsii.Bool(true)
		props.HighThroughputFifo = jsii.Bool(true)
		props.Aurora = &queuedwriter.AuroraSink{MinACU: jsii.Number(0.5), MaxACU: jsii.Number(4)}
	}
	stack := awscdk.NewStack(app, jsii.String(name), &awscdk.StackProps{
		Env:         env,
		Description: jsii.String("campaignkit example: QueuedDatabaseWriter with a " + sink + " sink"),
	})
	qw := queuedwriter.New(stack, jsii.String("Writes"), props)
	awscdk.NewCfnOutput(stack, jsii.String("QueueUrl"), &awscdk.CfnOutputProps{
		Value:       qw.Queue().QueueUrl(),
		Description: jsii.String("Producers send here (see ProducerEnv / GrantSend)"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("RedriveCommand"), &awscdk.CfnOutputProps{
		Value: awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("campaignkit redrive --dlq "), qw.DeadLetterQueue().QueueUrl(),
			jsii.String(" --to "), qw.Queue().QueueUrl(),
		}),
		Description: jsii.String("Moves dead-lettered writes back once their cause is fixed"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("WriterMaxConcurrency"), &awscdk.CfnOutputProps{
		Value:       jsii.String(fmt.Sprintf("%g (%s)", qw.Derived().MaxConcurrency, qw.Derived().Basis)),
		Description: jsii.String("Event-source maximum concurrency derived from the sink's budget"),
	})
	return stack, qw
}

func main() {
	list, err := sinks(os.Getenv("QUEUEDWRITER_SINK"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "examples/queuedwriter:", err)
		os.Exit(2)
	}
	app := awscdk.NewApp(nil)
	nag.Apply(app)
	for _, s := range list {
		newStack(app, s)
	}
	app.Synth(nil)
}
