package edgesite

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/internal/nag"
	"github.com/campaignkit/campaignkit/internal/ops"
)

// newWebACL creates the CLOUDFRONT-scope web ACL: AWS managed common and
// IP-reputation rule groups, a per-IP rate-based rule, Bot Control on
// request. scope must be in us-east-1.
func newWebACL(scope constructs.Construct, id string, w *WAF) awswafv2.CfnWebACL {
	visibility := func(name string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{
			CloudWatchMetricsEnabled: jsii.Bool(true),
			SampledRequestsEnabled:   jsii.Bool(true),
			MetricName:               jsii.String(name),
		}
	}
	managed := func(priority float64, name string, configs any) *awswafv2.CfnWebACL_RuleProperty {
		return &awswafv2.CfnWebACL_RuleProperty{
			Name:     jsii.String(name),
			Priority: jsii.Number(priority),
			Statement: &awswafv2.CfnWebACL_StatementProperty{
				ManagedRuleGroupStatement: &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
					VendorName:              jsii.String("AWS"),
					Name:                    jsii.String(name),
					ManagedRuleGroupConfigs: configs,
				},
			},
			OverrideAction:   &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
			VisibilityConfig: visibility(name),
		}
	}
	rules := []any{
		// Cheapest first: known-bad IPs and floods are dropped before the
		// heavier inspections.
		managed(0, "AWSManagedRulesAmazonIpReputationList", nil),
		&awswafv2.CfnWebACL_RuleProperty{
			Name:     jsii.String("RateLimitPerIP"),
			Priority: jsii.Number(1),
			Statement: &awswafv2.CfnWebACL_StatementProperty{
				RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
					Limit:               w.RateLimit,
					AggregateKeyType:    jsii.String("IP"),
					EvaluationWindowSec: jsii.Number(300),
				},
			},
			Action:           &awswafv2.CfnWebACL_RuleActionProperty{Block: map[string]any{}},
			VisibilityConfig: visibility("RateLimitPerIP"),
		},
		managed(2, "AWSManagedRulesCommonRuleSet", nil),
	}
	if *w.BotControl {
		rules = append(rules, managed(3, "AWSManagedRulesBotControlRuleSet", []any{
			&awswafv2.CfnWebACL_ManagedRuleGroupConfigProperty{
				AwsManagedRulesBotControlRuleSet: &awswafv2.CfnWebACL_AWSManagedRulesBotControlRuleSetProperty{InspectionLevel: jsii.String("COMMON")},
			},
		}))
	}
	return awswafv2.NewCfnWebACL(scope, jsii.String(id), &awswafv2.CfnWebACLProps{
		Scope:            jsii.String("CLOUDFRONT"),
		Description:      jsii.String("campaignkit edgesite: managed common and IP-reputation rules, per-IP rate limit"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: map[string]any{}},
		VisibilityConfig: visibility(id),
		Rules:            rules,
	})
}

// addAlarms raises alarms on the 5xx error rate and the origin latency.
// CloudFront publishes its metrics in us-east-1 only, and an alarm reads
// metrics of its own region: the alarms go into the site's stack when it
// is in us-east-1, else into a us-east-1 companion stack that depends on
// it (the distribution id crosses regions). For a stack without an
// explicit region they stay in the stack with a warning.
func (s *Site) addAlarms(stack awscdk.Stack, id string, regionKnown, inUSEast1 bool, p *Props) {
	var scope constructs.Construct = s.c
	switch {
	case inUSEast1:
	case regionKnown:
		s.alarmStack = companionStack(stack, id, "Alarms", "CloudFront alarms of "+*s.Node().Path()+" (CloudFront metrics live in us-east-1)")
		scope = s.alarmStack
	default:
		awscdk.Annotations_Of(s.c).AddWarningV2(jsii.String("campaignkit:edgesite:alarmRegion"),
			jsii.String("edgesite: the stack has no explicit region; the CloudFront alarms only see data when it is deployed to us-east-1. Set Env.Region to place them in a us-east-1 companion stack."))
	}
	prefix := ""
	if s.alarmStack != nil {
		prefix = strings.ReplaceAll(unsafeID.ReplaceAllString(id, ""), "-", "")
	}
	topic := ops.AlarmTopic(scope, prefix+"AlarmTopic", p.AlarmTopic)
	metric := func(name string, stat string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:  jsii.String("AWS/CloudFront"),
			MetricName: jsii.String(name),
			// CloudFront metrics carry Region=Global next to the id; a
			// metric without it matches no data.
			DimensionsMap: &map[string]*string{"DistributionId": s.distribution.DistributionId(), "Region": jsii.String("Global")},
			Statistic:     jsii.String(stat),
			Period:        awscdk.Duration_Minutes(jsii.Number(1)),
		})
	}
	alarm := func(name, description string, m awscloudwatch.Metric, threshold float64) {
		a := awscloudwatch.NewAlarm(scope, jsii.String(prefix+name), &awscloudwatch.AlarmProps{
			Metric:             m,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(5),
			DatapointsToAlarm:  jsii.Number(3),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription:   jsii.String(description),
		})
		ops.Notify(a, topic)
		s.alarms = append(s.alarms, a)
	}
	alarm("ErrorRateAlarm", fmt.Sprintf("edgesite %s: more than %g%% of requests answered 5xx", *s.Node().Path(), *p.ErrorRateThreshold),
		metric("5xxErrorRate", "Average"), *p.ErrorRateThreshold)
	if *p.AdditionalMetrics {
		ms, _ := millis(p.OriginLatencyThreshold)
		alarm("OriginLatencyAlarm", fmt.Sprintf("edgesite %s: p90 origin latency above %gms", *s.Node().Path(), ms),
			metric("OriginLatency", "p90"), ms)
	}
}

// suppress records the cdk-nag findings the construct accepts, each with
// the reason.
func (s *Site) suppress(p *Props) {
	rules := []nag.Rule{{ID: "AwsSolutions-CFR1", Reason: "Campaign sites are meant to be reached from every country; geo restriction would be a business decision, not a security control."}}
	if *p.WAF.Disabled {
		rules = append(rules, nag.Rule{ID: "AwsSolutions-CFR2", Reason: "WAF was switched off explicitly through Props.WAF.Disabled (e.g. a preview stage); production stages keep the default web ACL."})
	}
	if p.Domain == nil {
		rules = append(rules, nag.Rule{ID: "AwsSolutions-CFR4", Reason: "Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose security policy is fixed by AWS (TLSv1) and cannot be raised; with Props.Domain the minimum is TLSv1.2_2021."})
	}
	nag.Suppress(s.distribution, rules...)
	s.suppressDeployments()
}

// suppressDeployments covers the BucketDeployment handler (a singleton
// Lambda function CDK puts at the stack root).
func (s *Site) suppressDeployments() {
	if len(s.deployments) == 0 {
		return
	}
	stack := awscdk.Stack_Of(s.c)
	token := func(v *string, pseudo string) string {
		if *awscdk.Token_IsUnresolved(v) {
			return "<AWS::" + pseudo + ">"
		}
		return *v
	}
	qualifier := "hnb659fds"
	if q, ok := stack.Node().TryGetContext(jsii.String("@aws-cdk/core:bootstrapQualifier")).(string); ok && q != "" {
		qualifier = q
	}
	assets := fmt.Sprintf("Resource::arn:<AWS::Partition>:s3:::cdk-%s-assets-%s-%s/*", qualifier, token(stack.Account(), "AccountId"), token(stack.Region(), "Region"))
	bucketID := fmt.Sprint(stack.Resolve(stack.GetLogicalId(s.bucket.Node().DefaultChild().(awscdk.CfnElement))))
	rules := []nag.Rule{
		{ID: "AwsSolutions-IAM4", Reason: "CDK's BucketDeployment handler role uses AWSLambdaBasicExecutionRole, which only allows writing its own CloudWatch logs.",
			AppliesTo: []string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}},
		{ID: "AwsSolutions-IAM5", Reason: "CDK's BucketDeployment grants read on the CDK asset bucket objects and read/write/delete on the site bucket's objects only (it syncs and prunes them); the wildcards are the object-level S3 actions on those two buckets.",
			AppliesTo: []string{"Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*", "Action::s3:DeleteObject*", "Action::s3:Abort*", assets, "Resource::<" + bucketID + ".Arn>/*"}},
		{ID: "AwsSolutions-L1", Reason: "The BucketDeployment handler's Python runtime is pinned by aws-cdk-lib together with its AWS CLI layer; it moves forward with CDK upgrades."},
		{ID: "Serverless-LambdaLatestVersion", Reason: "The BucketDeployment handler's Python runtime is pinned by aws-cdk-lib together with its AWS CLI layer; it moves forward with CDK upgrades."},
		{ID: "Serverless-LambdaDLQ", Reason: "The BucketDeployment handler is a CloudFormation custom resource invoked synchronously; a failure fails (and rolls back) the deployment, so there is nothing to dead-letter."},
		{ID: "Serverless-LambdaTracing", Reason: "The BucketDeployment handler runs only during deployments and logs to a log group with retention; X-Ray traces would add nothing."},
	}
	for _, child := range *stack.Node().Children() {
		if strings.HasPrefix(*child.Node().Id(), "Custom::CDKBucketDeployment") {
			nag.SuppressTree(child, rules...)
		}
	}
}
