package webtier

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/golambda"
	"github.com/campaignkit/campaignkit/constructs/golambda/gobuild"
	"github.com/campaignkit/campaignkit/internal/nag"
	"github.com/campaignkit/campaignkit/internal/ops"
)

// WebTier is a ScalableWebTier: a Go function, its alias, the front door on
// the alias, autoscaled provisioned concurrency, CodeDeploy releases and
// alarms. Create it with New.
type WebTier struct {
	scope      constructs.Construct
	cfg        *config
	capacity   Capacity
	fn         awslambda.Function
	artifact   *gobuild.Artifact
	role       awsiam.Role
	alias      awslambda.Alias
	logs       awslogs.LogGroup
	url        awslambda.FunctionUrl
	api        awsapigatewayv2.HttpApi
	stage      awsapigatewayv2.HttpStage
	accessLogs awslogs.LogGroup
	target     awsapplicationautoscaling.ScalableTarget
	deployment awscodedeploy.LambdaDeploymentGroup
	alarms     *Alarms
	topic      awssns.ITopic
	dashboard  awscloudwatch.Dashboard
	grants     int
}

// ScalableDimension is the Application Auto Scaling dimension of a Lambda
// alias's provisioned concurrency (service namespace "lambda", resource id
// "function:<name>:<alias>").
const ScalableDimension = "lambda:function:ProvisionedConcurrency"

// New builds the web tier under a construct named id. It panics with the
// Validate error when props are invalid (as CDK constructs do), and warns
// (cdk synth annotation) when the derived reserved concurrency exceeds what
// the default account quota allows.
func New(scope constructs.Construct, id *string, props *Props) *WebTier {
	cfg, capa, err := props.resolve()
	if err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, id)
	w := &WebTier{scope: c, cfg: cfg, capacity: capa}
	w.warnQuotas()
	w.buildFunction()
	switch cfg.frontDoor {
	case FrontDoorHTTPAPI:
		w.buildHTTPAPI()
	default:
		w.url = w.alias.AddFunctionUrl(&awslambda.FunctionUrlOptions{AuthType: awslambda.FunctionUrlAuthType_AWS_IAM})
	}
	w.buildAutoscaling()
	if cfg.alarms {
		w.buildAlarms()
	}
	w.buildDeployment()
	if cfg.dashboard {
		w.buildDashboard()
	}
	return w
}

func (w *WebTier) warnQuotas() {
	ann := awscdk.Annotations_Of(w.scope)
	if limit := DefaultAccountConcurrency - 100; w.capacity.ReservedConcurrency > limit {
		ann.AddWarningV2(jsii.String("campaignkit:webtier:reservedConcurrencyQuota"), jsii.String(fmt.Sprintf(
			"webtier: ReservedConcurrency %d exceeds %d, the most the default Lambda quota (%d per account and region, 100 kept unreserved) allows: request a concurrency quota increase before deploying",
			w.capacity.ReservedConcurrency, limit, DefaultAccountConcurrency)))
	}
	if w.cfg.frontDoor == FrontDoorHTTPAPI && w.capacity.ThrottleRateLimit > HTTPAPIAccountRPS {
		ann.AddWarningV2(jsii.String("campaignkit:webtier:httpApiQuota"), jsii.String(fmt.Sprintf(
			"webtier: the HTTP API stage rate %d rps exceeds API Gateway's default account quota of %d rps: request an increase, or use FrontDoorFunctionURL behind CloudFront (no per-account request cap)",
			w.capacity.ThrottleRateLimit, HTTPAPIAccountRPS)))
	}
}

func (w *WebTier) buildFunction() {
	cfg, c := w.cfg, w.scope
	w.logs = ops.LogGroup(c, "Logs", cfg.retention, cfg.retainLogs)
	w.role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("campaignkit web tier function: writes its own log group and X-Ray traces, nothing else"),
	})
	w.logs.GrantWrite(w.role)

	fp := &awslambda.FunctionProps{
		Description:                  jsii.String("campaignkit web tier: " + cfg.entry),
		Role:                         w.role,
		MemorySize:                   jsii.Number(cfg.memory),
		Timeout:                      awscdk.Duration_Millis(jsii.Number(float64(cfg.timeout.Milliseconds()))),
		Environment:                  cfg.env,
		ReservedConcurrentExecutions: jsii.Number(float64(w.capacity.ReservedConcurrency)),
		LogGroup:                     w.logs,
		Tracing:                      awslambda.Tracing_DISABLED,
		LoggingFormat:                awslambda.LoggingFormat_TEXT,
	}
	if cfg.tracing {
		fp.Tracing = awslambda.Tracing_ACTIVE
	}
	if cfg.jsonLogs {
		fp.LoggingFormat = awslambda.LoggingFormat_JSON
		fp.ApplicationLogLevelV2 = awslambda.ApplicationLogLevel_INFO
		fp.SystemLogLevelV2 = awslambda.SystemLogLevel_WARN
	}
	gp := &golambda.FunctionProps{Entry: jsii.String(cfg.entry), Function: fp}
	if cfg.dir != "" {
		gp.Dir = jsii.String(cfg.dir)
	}
	// Keep the embedded jsii proxy: the *golambda.Function wrapper itself
	// cannot be passed to jsii calls.
	gf := golambda.NewFunction(c, jsii.String("Function"), gp)
	w.fn, w.artifact = gf.Function, gf.Artifact
	capa := w.capacity
	w.fn.Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String("campaignkit:capacity"), map[string]any{
		"requestsPerSecond":   capa.RequestsPerSecond,
		"meanDurationMs":      capa.MeanDuration.Milliseconds(),
		"p99LatencyMs":        capa.P99Latency.Milliseconds(),
		"peakConcurrency":     capa.PeakConcurrency,
		"reservedConcurrency": capa.ReservedConcurrency,
		"provisionedMin":      capa.ProvisionedMin,
		"provisionedMax":      capa.ProvisionedMax,
		"targetUtilization":   capa.TargetUtilization,
		"frontDoor":           string(cfg.frontDoor),
	})
	nag.Suppress(w.fn,
		nag.Rule{ID: "Serverless-LambdaDLQ", Reason: "Invoked only synchronously by the Function URL / HTTP API: the caller receives the error, and a dead-letter queue applies to asynchronous invocations only."},
	)
	if cfg.tracing {
		nag.SuppressTree(w.role, nag.Rule{
			ID:        "AwsSolutions-IAM5",
			Reason:    "xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (AWS service authorization reference), so Resource must be *; the role has no other wildcard.",
			AppliesTo: []string{"Resource::*"},
		})
	}

	w.alias = awslambda.NewAlias(c, jsii.String("Alias"), &awslambda.AliasProps{
		AliasName:   jsii.String(cfg.alias),
		Version:     w.fn.CurrentVersion(),
		Description: jsii.String("Traffic entry point; provisioned concurrency is owned by Application Auto Scaling, releases by CodeDeploy"),
	})
}

// accessLogFormat is one JSON object per request ($context variables of
// HTTP APIs); requestId is required by API Gateway.
var accessLogFormat = `{` + strings.Join([]string{
	`"requestId":"$context.requestId"`,
	`"ip":"$context.identity.sourceIp"`,
	`"requestTime":"$context.requestTime"`,
	`"httpMethod":"$context.httpMethod"`,
	`"routeKey":"$context.routeKey"`,
	`"path":"$context.path"`,
	`"status":"$context.status"`,
	`"protocol":"$context.protocol"`,
	`"responseLength":"$context.responseLength"`,
	`"responseLatency":"$context.responseLatency"`,
	`"integrationLatency":"$context.integrationLatency"`,
	`"integrationStatus":"$context.integrationStatus"`,
	`"integrationError":"$context.integrationErrorMessage"`,
	`"errorMessage":"$context.error.message"`,
}, ",") + `}`

func (w *WebTier) buildHTTPAPI() {
	c := w.scope
	w.api = awsapigatewayv2.NewHttpApi(c, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("campaignkit web tier: every route goes to the Lambda alias"),
		CreateDefaultStage: jsii.Bool(false),
		DefaultIntegration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Alias"), w.alias, nil),
		DefaultAuthorizer:  w.cfg.authorizer,
	})
	if w.cfg.authorizer == nil {
		nag.SuppressTree(w.api, nag.Rule{
			ID: "AwsSolutions-APIG4",
			Reason: "Public campaign endpoint by design: its audience is anonymous visitors. Abuse is bounded by the stage throttle derived " +
				"from the capacity target and by reserved concurrency. Setting Props.HTTPAPIAuthorizer authorizes every route and drops this suppression.",
		})
	}
	w.stage = awsapigatewayv2.NewHttpStage(c, jsii.String("Stage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    w.api,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(float64(w.capacity.ThrottleRateLimit)),
			BurstLimit: jsii.Number(float64(w.capacity.ThrottleBurstLimit)),
		},
	})
	w.accessLogs = ops.LogGroup(c, "AccessLogs", w.cfg.retention, w.cfg.retainLogs)
	w.stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: w.accessLogs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})
}

func (w *WebTier) buildAutoscaling() {
	c := w.scope
	stack := awscdk.Stack_Of(c)
	// The service-linked role Application Auto Scaling creates for Lambda
	// (the same one the CDK's alias.addAutoScaling uses).
	scalingRole := awsiam.Role_FromRoleArn(c, jsii.String("ScalingRole"), stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("iam"),
		Region:       jsii.String(""),
		Resource:     jsii.String("role/aws-service-role/lambda.application-autoscaling.amazonaws.com"),
		ResourceName: jsii.String("AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency"),
	}), nil)
	w.target = awsapplicationautoscaling.NewScalableTarget(c, jsii.String("ProvisionedConcurrency"), &awsapplicationautoscaling.ScalableTargetProps{
		ServiceNamespace:  awsapplicationautoscaling.ServiceNamespace_LAMBDA,
		ScalableDimension: jsii.String(ScalableDimension),
		// alias.FunctionName() is "<function>:<alias>", taken from the alias's
		// Ref, so the target is created after the alias.
		ResourceId:  jsii.String("function:" + *w.alias.FunctionName()),
		MinCapacity: jsii.Number(float64(w.capacity.ProvisionedMin)),
		MaxCapacity: jsii.Number(float64(w.capacity.ProvisionedMax)),
		Role:        scalingRole,
	})
	w.target.ScaleToTrackMetric(jsii.String("Utilization"), &awsapplicationautoscaling.BasicTargetTrackingScalingPolicyProps{
		TargetValue:      jsii.Number(w.capacity.TargetUtilization),
		PredefinedMetric: awsapplicationautoscaling.PredefinedMetric_LAMBDA_PROVISIONED_CONCURRENCY_UTILIZATION,
	})
}

func (w *WebTier) buildDeployment() {
	c := w.scope
	// CodeDeploy's default role carries the AWS managed policy
	// AWSCodeDeployRoleForLambdaLimited (Resource "*"); this role holds only
	// what a CloudFormation-driven alias shift needs, on this function.
	role := awsiam.NewRole(c, jsii.String("DeployRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("codedeploy.amazonaws.com"), nil),
		Description: jsii.String("CodeDeploy traffic shifting for this web tier's alias only"),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"),
		Resources: jsii.Strings(*w.fn.FunctionArn(), *w.alias.FunctionArn()),
	}))
	var alarms []interfacesawscloudwatch.IAlarmRef
	if w.alarms != nil {
		arns := []*string{}
		for _, a := range w.alarms.rollback() {
			alarms = append(alarms, a)
			arns = append(arns, a.AlarmArn())
		}
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("cloudwatch:DescribeAlarms"),
			Resources: &arns,
		}))
	}
	config := w.cfg.deployment
	if config == nil {
		config = awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_5MINUTES()
	}
	w.deployment = awscodedeploy.NewLambdaDeploymentGroup(c, jsii.String("Deployment"), &awscodedeploy.LambdaDeploymentGroupProps{
		Alias:            w.alias,
		DeploymentConfig: config,
		// Immutable view: the group cannot attach its AWS managed policy.
		Role:   role.WithoutPolicyUpdates(nil),
		Alarms: &alarms,
		AutoRollback: &awscodedeploy.AutoRollbackConfig{
			FailedDeployment:  jsii.Bool(true),
			StoppedDeployment: jsii.Bool(true),
			DeploymentInAlarm: jsii.Bool(w.alarms != nil),
		},
	})
}

// Function returns the Lambda function (its $LATEST is never routed to).
func (w *WebTier) Function() awslambda.Function { return w.fn }

// Artifact describes the built bootstrap (hash, zip, size).
func (w *WebTier) Artifact() *gobuild.Artifact { return w.artifact }

// Alias returns the alias every front door targets.
func (w *WebTier) Alias() awslambda.Alias { return w.alias }

// Role returns the function's execution role, for grants to the data it uses
// (e.g. table.GrantReadData(tier.Role())).
func (w *WebTier) Role() awsiam.Role { return w.role }

// LogGroup returns the function's log group.
func (w *WebTier) LogGroup() awslogs.LogGroup { return w.logs }

// Capacity returns the capacity derived from the load target.
func (w *WebTier) Capacity() Capacity { return w.capacity }

// FrontDoor returns the configured front door.
func (w *WebTier) FrontDoor() FrontDoor { return w.cfg.frontDoor }

// FunctionURL returns the alias's Function URL (AWS_IAM auth), or nil with
// FrontDoorHTTPAPI. Use it as a CloudFront origin with origin access control,
// e.g. awscloudfrontorigins.FunctionUrlOrigin_WithOriginAccessControl.
func (w *WebTier) FunctionURL() awslambda.FunctionUrl { return w.url }

// HTTPAPI returns the HTTP API, or nil with FrontDoorFunctionURL.
func (w *WebTier) HTTPAPI() awsapigatewayv2.HttpApi { return w.api }

// Stage returns the HTTP API's $default stage, or nil with FrontDoorFunctionURL.
func (w *WebTier) Stage() awsapigatewayv2.HttpStage { return w.stage }

// Endpoint returns the front door's URL (Function URL or stage URL).
func (w *WebTier) Endpoint() *string {
	if w.url != nil {
		return w.url.Url()
	}
	return w.stage.Url()
}

// ScalableTarget returns the Application Auto Scaling target that owns the
// alias's provisioned concurrency, for scheduled warm-up/scale-down actions.
func (w *WebTier) ScalableTarget() awsapplicationautoscaling.ScalableTarget { return w.target }

// DeploymentGroup returns the CodeDeploy deployment group shifting the alias.
func (w *WebTier) DeploymentGroup() awscodedeploy.LambdaDeploymentGroup { return w.deployment }

// Alarms returns the alarms, or nil when Props.Alarms is false.
func (w *WebTier) Alarms() *Alarms { return w.alarms }

// AlarmTopic returns the topic alarms notify, or nil when Props.Alarms is false.
func (w *WebTier) AlarmTopic() awssns.ITopic { return w.topic }

// GrantInvoke lets grantee invoke the alias (lambda:InvokeFunction).
func (w *WebTier) GrantInvoke(grantee awsiam.IGrantable) awsiam.Grant {
	return w.alias.GrantInvoke(grantee)
}

// GrantInvokeURL lets grantee call the alias's Function URL with SigV4
// (lambda:InvokeFunctionUrl, plus lambda:InvokeFunction via the URL).
func (w *WebTier) GrantInvokeURL(grantee awsiam.IGrantable) awsiam.Grant {
	w.requireURL("GrantInvokeURL")
	return w.alias.GrantInvokeUrl(grantee)
}

// GrantInvokeURLToDistribution adds the resource-based permissions that let
// the CloudFront distribution distributionArn call the Function URL through
// origin access control: lambda:InvokeFunctionUrl (auth type AWS_IAM) and
// lambda:InvokeFunction via the URL, both for cloudfront.amazonaws.com with
// that SourceArn only. Not needed when the origin is built with
// FunctionUrlOrigin_WithOriginAccessControl, which adds them itself.
func (w *WebTier) GrantInvokeURLToDistribution(distributionArn *string) {
	w.requireURL("GrantInvokeURLToDistribution")
	w.grants++
	cloudfront := awsiam.NewServicePrincipal(jsii.String("cloudfront.amazonaws.com"), nil)
	w.alias.AddPermission(jsii.String(fmt.Sprintf("CloudFrontInvokeURL%d", w.grants)), &awslambda.Permission{
		Principal:           cloudfront,
		Action:              jsii.String("lambda:InvokeFunctionUrl"),
		SourceArn:           distributionArn,
		FunctionUrlAuthType: awslambda.FunctionUrlAuthType_AWS_IAM,
	})
	w.alias.AddPermission(jsii.String(fmt.Sprintf("CloudFrontInvokeViaURL%d", w.grants)), &awslambda.Permission{
		Principal:             cloudfront,
		Action:                jsii.String("lambda:InvokeFunction"),
		SourceArn:             distributionArn,
		InvokedViaFunctionUrl: jsii.Bool(true),
	})
}

func (w *WebTier) requireURL(method string) {
	if w.url == nil {
		panic(fmt.Errorf("webtier: %s needs FrontDoor = FrontDoorFunctionURL (this tier uses %s)", method, w.cfg.frontDoor))
	}
}
