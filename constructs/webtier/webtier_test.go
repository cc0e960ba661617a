package webtier_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/webtier"
	"github.com/campaignkit/campaignkit/internal/cdktest"
)

const hello = "github.com/campaignkit/campaignkit/lambdas/hello"

func secs(s float64) awscdk.Duration { return awscdk.Duration_Seconds(jsii.Number(s)) }
func ms(m float64) awscdk.Duration   { return awscdk.Duration_Millis(jsii.Number(m)) }

// usersProps is the worked example of the design: 20,000 users, one request
// every 10 s, 50 ms mean → 2,000 rps, 100 concurrent executions.
func usersProps() *webtier.Props {
	return &webtier.Props{
		Entry:               jsii.String(hello),
		PeakConcurrentUsers: jsii.Number(20000),
		ThinkTime:           secs(10),
		MeanDuration:        ms(50),
		P99Latency:          ms(500),
	}
}

// Both front doors in one app (one synth, one gate run): everything the
// issue's acceptance pins, then cfn-lint 0 errors and cdk-nag 0 unsuppressed.
func TestWebTierTemplates(t *testing.T) {
	// GIVEN an app with one stack per front door
	app := cdktest.NewApp(t)
	urlStack := cdktest.NewStack(app, "URLTier")
	apiStack := cdktest.NewStack(app, "APITier")

	// WHEN the tiers are added (the URL one granted to a distribution)
	urlTier := webtier.New(urlStack, jsii.String("Web"), usersProps())
	urlTier.GrantInvokeURLToDistribution(jsii.String("arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"))
	apiProps := usersProps()
	apiProps.PeakConcurrentUsers = nil
	apiProps.ThinkTime = nil
	apiProps.PeakRequestsPerSecond = jsii.Number(3000)
	apiProps.FrontDoor = webtier.FrontDoorHTTPAPI
	apiProps.DeploymentConfig = awscodedeploy.LambdaDeploymentConfig_LINEAR_10PERCENT_EVERY_1MINUTE()
	apiTier := webtier.New(apiStack, jsii.String("Web"), apiProps)

	// THEN the derived capacity follows Little's law
	want := webtier.Capacity{RequestsPerSecond: 2000, PeakConcurrency: 100, ReservedConcurrency: 120, ProvisionedMin: 10, ProvisionedMax: 100}
	if got := urlTier.Capacity(); got.RequestsPerSecond != want.RequestsPerSecond || got.PeakConcurrency != want.PeakConcurrency ||
		got.ReservedConcurrency != want.ReservedConcurrency || got.ProvisionedMin != want.ProvisionedMin || got.ProvisionedMax != want.ProvisionedMax {
		t.Errorf("URL tier capacity = %+v, want %+v", got, want)
	}
	apiCap := apiTier.Capacity() // 3,000 rps × 50 ms = 150; ×1.2 = 180; rate 3,600
	if apiCap.PeakConcurrency != 150 || apiCap.ReservedConcurrency != 180 || apiCap.ProvisionedMin != 15 ||
		apiCap.ThrottleRateLimit != 3600 || apiCap.ThrottleBurstLimit != 3600 {
		t.Errorf("API tier capacity = %+v", apiCap)
	}
	if urlTier.FunctionURL() == nil || urlTier.HTTPAPI() != nil || apiTier.FunctionURL() != nil || apiTier.HTTPAPI() == nil {
		t.Error("front door accessors do not match the mode")
	}

	for _, tc := range []struct {
		name  string
		stack awscdk.Stack
		capa  webtier.Capacity
	}{{"url", urlStack, urlTier.Capacity()}, {"api", apiStack, apiCap}} {
		tpl := cdktest.Template(tc.stack)
		t.Run(tc.name+"/function", func(t *testing.T) {
			tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
				"Architectures":                []string{"arm64"},
				"Runtime":                      "provided.al2023",
				"Handler":                      "bootstrap",
				"MemorySize":                   512,
				"Timeout":                      10,
				"ReservedConcurrentExecutions": tc.capa.ReservedConcurrency,
				"TracingConfig":                map[string]any{"Mode": "Active"},
				"LoggingConfig": map[string]any{
					"LogFormat": "JSON",
					"LogGroup":  map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^WebLogs"))},
				},
			})
			// Every log group (function logs, HTTP API access logs) has a retention.
			for id, lg := range cdktest.Resources(t, tpl, "AWS::Logs::LogGroup") {
				if props, _ := lg["Properties"].(map[string]any); props["RetentionInDays"] != float64(14) {
					t.Errorf("log group %s retention = %v, want 14 days", id, props["RetentionInDays"])
				}
			}
			// The alias never owns provisioned concurrency; the scalable target does.
			tpl.HasResourceProperties(jsii.String("AWS::Lambda::Alias"), map[string]any{
				"Name":                         "live",
				"ProvisionedConcurrencyConfig": assertions.Match_Absent(),
			})
			fns := cdktest.Resources(t, tpl, "AWS::Lambda::Function")
			for _, fn := range fns {
				reserved := fn["Properties"].(map[string]any)["ReservedConcurrentExecutions"].(float64)
				if int(reserved) < tc.capa.ProvisionedMax {
					t.Errorf("reserved %v < provisioned max %d", reserved, tc.capa.ProvisionedMax)
				}
			}
		})
		t.Run(tc.name+"/autoscaling", func(t *testing.T) {
			alias := assertions.NewCapture(nil)
			tpl.HasResourceProperties(jsii.String("AWS::ApplicationAutoScaling::ScalableTarget"), map[string]any{
				"ServiceNamespace":  "lambda",
				"ScalableDimension": "lambda:function:ProvisionedConcurrency",
				"MinCapacity":       tc.capa.ProvisionedMin,
				"MaxCapacity":       tc.capa.ProvisionedMax,
				"ResourceId": map[string]any{"Fn::Join": []any{"", []any{
					"function:",
					map[string]any{"Fn::Select": []any{6, map[string]any{"Fn::Split": []any{":", map[string]any{"Ref": alias}}}}},
					":live",
				}}},
			})
			if !strings.HasPrefix(*alias.AsString(), "WebAlias") {
				t.Errorf("scalable target resource id refers to %s, want the alias", *alias.AsString())
			}
			tpl.HasResourceProperties(jsii.String("AWS::ApplicationAutoScaling::ScalingPolicy"), map[string]any{
				"PolicyType": "TargetTrackingScaling",
				"TargetTrackingScalingPolicyConfiguration": map[string]any{
					"PredefinedMetricSpecification": map[string]any{"PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"},
					"TargetValue":                   0.7,
				},
			})
		})
		t.Run(tc.name+"/release-and-alarms", func(t *testing.T) {
			tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(4))
			errAlarm := alarmID(t, tpl, func(p map[string]any) bool {
				return strings.Contains(jsonOf(p["Metrics"]), "FILL(errors, 0) / invocations")
			})
			p99Alarm := alarmID(t, tpl, func(p map[string]any) bool { return p["ExtendedStatistic"] == "p99" && p["Threshold"] == float64(500) })
			alarmID(t, tpl, func(p map[string]any) bool { return p["MetricName"] == "Throttles" && p["Threshold"] == float64(1) })
			spill := alarmID(t, tpl, func(p map[string]any) bool { return p["MetricName"] == "ProvisionedConcurrencySpilloverInvocations" })
			tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
				"MetricName": "ProvisionedConcurrencySpilloverInvocations",
				"Dimensions": assertions.Match_ArrayWith(&[]any{map[string]any{"Name": "Resource", "Value": assertions.Match_AnyValue()}}),
			})
			_ = spill
			// Every alarm notifies the topic on ALARM and OK.
			for id, a := range cdktest.Resources(t, tpl, "AWS::CloudWatch::Alarm") {
				p := a["Properties"].(map[string]any)
				if !strings.Contains(jsonOf(p["AlarmActions"]), "WebAlarmTopic") || !strings.Contains(jsonOf(p["OKActions"]), "WebAlarmTopic") {
					t.Errorf("alarm %s does not notify the alarm topic", id)
				}
			}
			config := "CodeDeployDefault.LambdaCanary10Percent5Minutes"
			if tc.name == "api" {
				config = "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
			}
			tpl.HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), map[string]any{
				"DeploymentConfigName": config,
				"AlarmConfiguration": map[string]any{"Enabled": true, "Alarms": []any{
					map[string]any{"Name": map[string]any{"Ref": errAlarm}},
					map[string]any{"Name": map[string]any{"Ref": p99Alarm}},
				}},
				"AutoRollbackConfiguration": map[string]any{
					"Enabled": true,
					"Events":  assertions.Match_ArrayWith(&[]any{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"}),
				},
			})
			tpl.HasResource(jsii.String("AWS::Lambda::Alias"), map[string]any{
				"UpdatePolicy": map[string]any{"CodeDeployLambdaAliasUpdate": assertions.Match_AnyValue()},
			})
			tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1))
			tpl.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(1))
		})
		t.Run(tc.name+"/least-privilege", func(t *testing.T) {
			for id, r := range cdktest.Resources(t, tpl, "AWS::IAM::Role") {
				if mp := r["Properties"].(map[string]any)["ManagedPolicyArns"]; mp != nil {
					t.Errorf("role %s has managed policies %v", id, mp)
				}
			}
			for id, p := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
				doc := p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)
				for _, s := range doc["Statement"].([]any) {
					st := s.(map[string]any)
					if strings.Contains(jsonOf(st["Action"]), "*") {
						t.Errorf("policy %s has a wildcard action: %v", id, st["Action"])
					}
					if st["Resource"] == "*" && !strings.Contains(jsonOf(st["Action"]), "xray:") {
						t.Errorf("policy %s grants %v on *", id, st["Action"])
					}
				}
			}
		})
	}

	urlTpl := cdktest.Template(urlStack)
	t.Run("url/front-door", func(t *testing.T) {
		urlTpl.HasResourceProperties(jsii.String("AWS::Lambda::Url"), map[string]any{
			"AuthType":          "AWS_IAM",
			"Qualifier":         "live",
			"TargetFunctionArn": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^WebFunction")), "Arn"}},
		})
		for _, perm := range []map[string]any{
			{"Action": "lambda:InvokeFunctionUrl", "FunctionUrlAuthType": "AWS_IAM"},
			{"Action": "lambda:InvokeFunction", "InvokedViaFunctionUrl": true},
		} {
			perm["Principal"] = "cloudfront.amazonaws.com"
			perm["SourceArn"] = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"
			perm["FunctionName"] = map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^WebAlias"))}
			urlTpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), perm)
		}
		urlTpl.HasResource(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Metadata": map[string]any{"campaignkit:capacity": map[string]any{
				"requestsPerSecond": 2000, "peakConcurrency": 100, "reservedConcurrency": 120,
				"provisionedMin": 10, "provisionedMax": 100, "frontDoor": "FunctionURL",
			}},
		})
	})
	apiTpl := cdktest.Template(apiStack)
	t.Run("api/front-door", func(t *testing.T) {
		apiTpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Integration"), map[string]any{
			"IntegrationType":      "AWS_PROXY",
			"IntegrationUri":       map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^WebAlias"))},
			"PayloadFormatVersion": "2.0",
		})
		apiTpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{"RouteKey": "$default"})
		apiTpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"StageName":  "$default",
			"AutoDeploy": true,
			"DefaultRouteSettings": map[string]any{
				"ThrottlingRateLimit":  3600,
				"ThrottlingBurstLimit": 3600,
			},
			"AccessLogSettings": map[string]any{
				"DestinationArn": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^WebAccessLogs")), "Arn"}},
				"Format":         assertions.Match_StringLikeRegexp(jsii.String(`^\{"requestId":"\$context.requestId".*\}$`)),
			},
		})
		apiTpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
			"Action":       "lambda:InvokeFunction",
			"Principal":    "apigateway.amazonaws.com",
			"FunctionName": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^WebAlias"))},
		})
		apiTpl.ResourceCountIs(jsii.String("AWS::Lambda::Url"), jsii.Number(0))
	})

	// AND the gates pass on both templates.
	cdktest.AssertGates(t, app)
}

func alarmID(t *testing.T, tpl assertions.Template, match func(props map[string]any) bool) string {
	t.Helper()
	var ids []string
	for id, a := range cdktest.Resources(t, tpl, "AWS::CloudWatch::Alarm") {
		if match(a["Properties"].(map[string]any)) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("want exactly one matching alarm, got %v", ids)
	}
	return ids[0]
}
