// Command webtier is the smallest CDK app that deploys a campaignkit
// ScalableWebTier: the hello handler behind an IAM-authenticated Function URL
// on the "live" alias, sized for 20,000 concurrent users who each send a
// request every 10 s (2,000 rps), with autoscaled provisioned concurrency,
// canary releases, alarms and a dashboard.
//
//	cdk synth --app "go run ./examples/webtier"
//
// The stack deploys into CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION when set
// (environment-agnostic otherwise).
package main

import (
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/webtier"
	"github.com/campaignkit/campaignkit/internal/nag"
)

// newStack adds the example stack to app; main and the test share it.
func newStack(app awscdk.App) (awscdk.Stack, *webtier.WebTier) {
	var env *awscdk.Environment
	if acct, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); acct != "" && region != "" {
		env = &awscdk.Environment{Account: jsii.String(acct), Region: jsii.String(region)}
	}
	stack := awscdk.NewStack(app, jsii.String("WebTierExample"), &awscdk.StackProps{
		Env:         env,
		Description: jsii.String("campaignkit example: ScalableWebTier serving the hello handler"),
	})
	tier := webtier.New(stack, jsii.String("Web"), &webtier.Props{
		Entry:               jsii.String("github.com/campaignkit/campaignkit/lambdas/hello"),
		PeakConcurrentUsers: jsii.Number(20000),
		ThinkTime:           awscdk.Duration_Seconds(jsii.Number(10)),
		MeanDuration:        awscdk.Duration_Millis(jsii.Number(50)),
		P99Latency:          awscdk.Duration_Millis(jsii.Number(500)),
		Environment:         &map[string]*string{"CAMPAIGN": jsii.String("example")},
	})
	awscdk.NewCfnOutput(stack, jsii.String("Endpoint"), &awscdk.CfnOutputProps{
		Value:       tier.Endpoint(),
		Description: jsii.String("Function URL (AWS_IAM): put a CloudFront distribution with origin access control in front"),
	})
	return stack, tier
}

func main() {
	app := awscdk.NewApp(nil)
	nag.Apply(app)
	newStack(app)
	app.Synth(nil)
}
