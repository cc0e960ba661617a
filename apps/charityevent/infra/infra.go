// Package infra is the charity event's CDK app: one campaign file becomes a
// stack (plus EdgeCachedSite's us-east-1 companions when the campaign runs
// elsewhere) composing all four campaignkit constructs — the edge in front,
// the web tier behind /api/*, the queued writer into DynamoDB, and the
// calendar that warms up and scales down capacity.
package infra

import (
	"fmt"
	"math"
	"os"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/apps/charityevent/config"
	"github.com/campaignkit/campaignkit/apps/charityevent/domain"
	"github.com/campaignkit/campaignkit/constructs/edgesite"
	"github.com/campaignkit/campaignkit/constructs/queuedwriter"
	"github.com/campaignkit/campaignkit/constructs/scaledown"
	"github.com/campaignkit/campaignkit/constructs/webtier"
	"github.com/campaignkit/campaignkit/internal/nag"
	"github.com/campaignkit/campaignkit/internal/ops"
)

// Go main packages of the campaign's two functions.
const (
	APIEntry    = "github.com/campaignkit/campaignkit/lambdas/charityevent/api"
	WriterEntry = "github.com/campaignkit/campaignkit/lambdas/charityevent/writer"
)

// Props configure the campaign app.
type Props struct {
	// Campaign is the loaded campaign file. Required.
	Campaign *config.Campaign
	// SiteDir is the folder deployed to the site bucket. Required.
	SiteDir string
	// Now is "today" for the calendar (actions in the past are skipped with
	// a warning). Default time.Now.
	Now func() time.Time
}

// Campaign is the synthesized campaign: its stack and the constructs in it.
type Campaign struct {
	Stack    awscdk.Stack
	Web      *webtier.WebTier
	Writer   *queuedwriter.QueuedWriter
	Site     *edgesite.Site
	Schedule *scaledown.Schedule
	Topic    awssns.ITopic
}

// StackName is "<campaign>-<stage>", so campaigns and stages coexist.
func StackName(c *config.Campaign) string { return c.Name + "-" + c.Stage }

// maxLevel is the highest Max any phase, window or the default gives target.
func maxLevel(c *config.Campaign, target string) float64 {
	m := c.Calendar.Default[target].Max
	for _, p := range c.Calendar.Phases {
		if l, ok := p.Levels[target]; ok && l.Max > m {
			m = l.Max
		}
		for _, w := range p.Windows {
			if l, ok := w.Levels[target]; ok && l.Max > m {
				m = l.Max
			}
		}
	}
	return m
}

// New adds the campaign's stack to app.
func New(app awscdk.App, props Props) *Campaign {
	c := props.Campaign
	if c == nil {
		panic(fmt.Errorf("charityevent: Props.Campaign is required"))
	}
	if st, err := os.Stat(props.SiteDir); err != nil || !st.IsDir() {
		panic(fmt.Errorf("charityevent: Props.SiteDir %q is not a folder; point it at apps/charityevent/site/public", props.SiteDir))
	}
	account := c.Account
	if account == "" {
		account = os.Getenv("CDK_DEFAULT_ACCOUNT")
	}
	env := &awscdk.Environment{Region: jsii.String(c.Region)}
	if account != "" {
		env.Account = jsii.String(account)
	}
	stack := awscdk.NewStack(app, jsii.String(StackName(c)), &awscdk.StackProps{
		Env:                   env,
		Description:           jsii.String(fmt.Sprintf("campaignkit charity event %q, stage %s", c.Name, c.Stage)),
		CrossRegionReferences: jsii.Bool(c.Region != "us-east-1"),
		TerminationProtection: jsii.Bool(c.Production()),
	})
	out := &Campaign{Stack: stack}
	out.Topic = alarmTopic(stack, c)

	out.Writer = queuedwriter.New(stack, jsii.String("Writes"), &queuedwriter.Props{
		Production:     jsii.Bool(c.Production()),
		WriterEntry:    jsii.String(WriterEntry),
		AlarmTopic:     out.Topic,
		MaxConcurrency: jsii.Number(maxLevel(c, config.TargetWriter)),
		DynamoDB: &queuedwriter.DynamoDBSink{
			// Pre-warm for the peak write rate: each accepted write costs two
			// write units (item + transaction), with 20 % headroom, never
			// below a new table's 4,000 (loadtest plan checks this).
			WarmWriteUnitsPerSecond: jsii.Number(math.Max(4000, math.Ceil(c.Capacity.RequestsPerSecond()*c.Capacity.WriteShare*2*1.2))),
		},
	})

	secret := awssecretsmanager.NewSecret(stack, jsii.String("PaymentWebhookSecret"), &awssecretsmanager.SecretProps{
		Description: jsii.String("HMAC key shared with the payment provider to sign webhooks"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength: jsii.Number(48), ExcludePunctuation: jsii.Bool(true),
		},
	})
	nag.Suppress(secret, nag.Rule{ID: "AwsSolutions-SMG4", Reason: "The webhook signing key is issued to the payment provider and rotated by re-keying it there and here together; an automatic rotation Lambda would silently break signature verification."})

	settings := c.Settings()
	web := webtier.New(stack, jsii.String("Web"), &webtier.Props{
		Entry:               jsii.String(APIEntry),
		PeakConcurrentUsers: jsii.Number(float64(c.Capacity.PeakConcurrentUsers)),
		ThinkTime:           awscdk.Duration_Millis(jsii.Number(float64(c.Capacity.ThinkTime.D.Milliseconds()))),
		MeanDuration:        awscdk.Duration_Millis(jsii.Number(float64(c.Capacity.MeanDuration.D.Milliseconds()))),
		P99Latency:          awscdk.Duration_Millis(jsii.Number(float64(c.Capacity.P99Latency.D.Milliseconds()))),
		ProvisionedMax:      jsii.Number(maxLevel(c, config.TargetWeb)),
		RetainLogs:          jsii.Bool(c.Production()),
		AlarmTopic:          out.Topic,
		Environment: &map[string]*string{
			domain.SettingsEnv:           jsii.String(settings.JSON()),
			"TABLE_NAME":                 out.Writer.Table().TableName(),
			"QUEUE_URL":                  out.Writer.Queue().QueueUrl(),
			"PAYMENT_WEBHOOK_SECRET_ARN": secret.SecretArn(),
		},
	})
	out.Web = web
	out.Writer.GrantSend(web.Function())
	out.Writer.Table().GrantReadData(web.Function())
	secret.GrantRead(web.Function(), nil)

	var domainProps *edgesite.Domain
	if d := c.Domain; d != nil {
		domainProps = &edgesite.Domain{
			Name: jsii.String(d.Name),
			HostedZone: awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
				HostedZoneId: jsii.String(d.ZoneID), ZoneName: jsii.String(d.HostedZone),
			}),
		}
	}
	out.Site = edgesite.New(stack, jsii.String("Site"), &edgesite.Props{
		SiteDir:         jsii.String(props.SiteDir),
		API:             &edgesite.APIOrigin{FunctionURL: web.FunctionURL()},
		MicroCachePaths: domain.HotPaths,
		Domain:          domainProps,
		WAF:             &edgesite.WAF{RateLimit: jsii.Number(float64(c.WAFRateLimit))},
	})
	web.GrantInvokeURLToDistribution(out.Site.Distribution().DistributionArn())

	cal := c.Calendar
	out.Schedule = scaledown.New(stack, jsii.String("Calendar"), &scaledown.Props{
		Calendar: &cal,
		Targets: []scaledown.Target{
			scaledown.ProvisionedConcurrency(config.TargetWeb, web.ScalableTarget()),
			scaledown.WriterConcurrency(config.TargetWriter, out.Writer.EventSourceMapping()),
		},
		AlarmTopic: out.Topic,
		Now:        props.Now,
	})

	// Cost-allocation and ownership tags on every resource of the campaign's
	// stacks (the main one and the site's us-east-1 companions).
	for _, st := range []awscdk.Stack{stack, out.Site.GlobalStack(), out.Site.AlarmStack()} {
		if st != nil {
			tag(st, c)
		}
	}

	for k, v := range map[string]*string{
		"SiteURL":     out.Site.URL(),
		"APIEndpoint": web.Endpoint(),
		"QueueURL":    out.Writer.Queue().QueueUrl(),
		"TableName":   out.Writer.Table().TableName(),
	} {
		awscdk.NewCfnOutput(stack, jsii.String(k), &awscdk.CfnOutputProps{Value: v})
	}
	return out
}

// tag puts the campaign's cost-allocation tags on everything in scope.
func tag(scope constructs.IConstruct, c *config.Campaign) {
	for _, kv := range [][2]string{{"campaign", c.Name}, {"stage", c.Stage}, {"cost-center", c.CostCenter}, {"app", "campaignkit"}, {"campaign-kind", config.Kind}} {
		// Dashboards are left out: the CloudFormation schema cfn-lint checks
		// against does not accept Tags on AWS::CloudWatch::Dashboard.
		awscdk.Tags_Of(scope).Add(jsii.String(kv[0]), jsii.String(kv[1]), &awscdk.TagProps{
			ExcludeResourceTypes: jsii.Strings("AWS::CloudWatch::Dashboard"),
		})
	}
}

func alarmTopic(scope constructs.Construct, c *config.Campaign) awssns.ITopic {
	t := ops.AlarmTopic(scope, "Alarms", nil)
	if c.AlarmEmail != "" {
		// Undeliverable notifications (a bouncing mailbox) land here instead of vanishing.
		dlq := awssqs.NewQueue(scope, jsii.String("AlarmEmailDLQ"), &awssqs.QueueProps{
			Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
			EnforceSSL:      jsii.Bool(true),
			RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		})
		nag.Suppress(dlq, nag.Rule{ID: "AwsSolutions-SQS3", Reason: "This queue is itself the dead-letter queue of the alarm e-mail subscription."},
			nag.Rule{ID: "Serverless-SQSRedrivePolicy", Reason: "This queue is itself the dead-letter queue of the alarm e-mail subscription."})
		t.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(c.AlarmEmail), &awssnssubscriptions.EmailSubscriptionProps{DeadLetterQueue: dlq}))
	}
	return t
}
