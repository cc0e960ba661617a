// Command edgesite is the smallest CDK app with a campaignkit
// EdgeCachedSite: the static site in ./site and a Go API (lambdas/hello
// behind an IAM Function URL) served from one custom domain through
// CloudFront, with WAF, from a stack outside us-east-1. The construct adds
// the us-east-1 companion stacks (certificate and web ACL; alarms) itself.
//
//	cdk synth --app "go run ./examples/edgesite"
//	cdk deploy --all --app "go run ./examples/edgesite"
//
// Optional environment: CDK_DEFAULT_ACCOUNT, EDGESITE_REGION (eu-west-1),
// EDGESITE_DOMAIN (give.example.org), EDGESITE_ZONE_ID and EDGESITE_ZONE_NAME
// (the Route 53 zone of the domain; example.org).
package main

import (
	"os"
	"path/filepath"
	"runtime"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/edgesite"
	"github.com/campaignkit/campaignkit/constructs/golambda"
	"github.com/campaignkit/campaignkit/internal/nag"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// siteDir finds ./site next to this file, from the repository root (cdk
// synth) or from this folder (go test).
func siteDir() string {
	for _, d := range []string{"examples/edgesite/site", "site"} {
		if _, err := os.Stat(filepath.Join(d, "index.html")); err == nil {
			return d
		}
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "site")
}

// newStack adds the example stack to app; main and the test share it.
func newStack(app awscdk.App) (awscdk.Stack, *edgesite.Site) {
	stack := awscdk.NewStack(app, jsii.String("EdgeSiteExample"), &awscdk.StackProps{
		// The us-east-1 companion stacks (certificate, web ACL, alarms)
		// are wired with cross-region references, which need an explicit
		// account and region.
		Env: &awscdk.Environment{
			Account: jsii.String(env("CDK_DEFAULT_ACCOUNT", "111111111111")),
			Region:  jsii.String(env("EDGESITE_REGION", "eu-west-1")),
		},
	})

	// The API: stands in for a ScalableWebTier (any Function URL works).
	api := golambda.NewFunction(stack, jsii.String("Api"), &golambda.FunctionProps{
		Entry: jsii.String("github.com/campaignkit/campaignkit/lambdas/hello"),
		Function: &awslambda.FunctionProps{
			MemorySize: jsii.Number(256),
			Timeout:    awscdk.Duration_Seconds(jsii.Number(5)),
			LogGroup: awslogs.NewLogGroup(stack, jsii.String("ApiLogs"), &awslogs.LogGroupProps{
				Retention:     awslogs.RetentionDays_TWO_WEEKS,
				RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
			}),
		},
	})
	nag.SuppressTree(api.Function,
		nag.Rule{ID: "AwsSolutions-IAM4", Reason: "AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs.",
			AppliesTo: []string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}},
		nag.Rule{ID: "Serverless-LambdaDLQ", Reason: "Invoked synchronously through CloudFront; the caller sees errors, there is no async event to dead-letter."},
		nag.Rule{ID: "Serverless-LambdaTracing", Reason: "Example API; the 5xx and origin-latency alarms on the distribution cover it, X-Ray is opt-in in the web tier."},
	)
	url := api.AddFunctionUrl(&awslambda.FunctionUrlOptions{AuthType: awslambda.FunctionUrlAuthType_AWS_IAM})

	zone := awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String(env("EDGESITE_ZONE_ID", "Z0123456789EXAMPLE")),
		ZoneName:     jsii.String(env("EDGESITE_ZONE_NAME", "example.org")),
	})
	site := edgesite.New(stack, jsii.String("Site"), &edgesite.Props{
		SiteDir:         jsii.String(siteDir()),
		API:             &edgesite.APIOrigin{FunctionURL: url},
		MicroCachePaths: []string{"/api/hello"},
		Domain:          &edgesite.Domain{Name: jsii.String(env("EDGESITE_DOMAIN", "give.example.org")), HostedZone: zone},
		WAF:             &edgesite.WAF{RateLimit: jsii.Number(3000)},
	})
	awscdk.NewCfnOutput(stack, jsii.String("URL"), &awscdk.CfnOutputProps{Value: site.URL()})
	awscdk.NewCfnOutput(stack, jsii.String("DistributionDomainName"), &awscdk.CfnOutputProps{Value: site.DistributionDomainName()})
	return stack, site
}

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{
		// Cross-region values stay "strong": the producer stack cannot drop
		// an export (certificate, web ACL, distribution id) still in use.
		"@aws-cdk/core:defaultCrossStackReferences": "strong",
	}})
	nag.Apply(app)
	newStack(app)
	app.Synth(nil)
}
