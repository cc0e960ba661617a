package webtier_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/webtier"
	"github.com/campaignkit/campaignkit/internal/cdktest"
)

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Each bad prop gives its own message naming the prop and the fix; the
// constructor panics with the same error. Derivations are pinned without
// synthesizing.
func TestValidateAndPlan(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(p *webtier.Props)
		want string
	}{
		{"missing entry", func(p *webtier.Props) { p.Entry = nil }, "Entry is required"},
		{"users and rps", func(p *webtier.Props) { p.PeakRequestsPerSecond = jsii.Number(10) }, "not both"},
		{"no target", func(p *webtier.Props) { p.PeakConcurrentUsers, p.ThinkTime = nil, nil }, "a load target is required"},
		{"think time zero", func(p *webtier.Props) { p.ThinkTime = secs(0) }, "ThinkTime (0s) must be > 0"},
		{"users without think", func(p *webtier.Props) { p.ThinkTime = nil }, "PeakConcurrentUsers needs ThinkTime"},
		{"think without users", func(p *webtier.Props) { p.PeakConcurrentUsers = nil }, "ThinkTime is set but PeakConcurrentUsers is not"},
		{"users zero", func(p *webtier.Props) { p.PeakConcurrentUsers = jsii.Number(0) }, "PeakConcurrentUsers (0) must be > 0"},
		{"rps zero", func(p *webtier.Props) {
			p.PeakConcurrentUsers, p.ThinkTime, p.PeakRequestsPerSecond = nil, nil, jsii.Number(0)
		}, "PeakRequestsPerSecond (0) must be > 0"},
		{"memory low", func(p *webtier.Props) { p.MemorySize = jsii.Number(64) }, "MemorySize (64) must be a whole number of MB between 128 and 10240"},
		{"memory high", func(p *webtier.Props) { p.MemorySize = jsii.Number(10241) }, "MemorySize (10241)"},
		{"p99 below mean", func(p *webtier.Props) { p.P99Latency = ms(20) }, "P99Latency SLO (20ms) must be ≥ MeanDuration (50ms)"},
		{"p99 above timeout", func(p *webtier.Props) { p.P99Latency = secs(10) }, "P99Latency SLO (10s) must be below Timeout (10s)"},
		{"mean zero", func(p *webtier.Props) { p.MeanDuration = ms(0) }, "MeanDuration (0s) must be > 0"},
		{"reserved below provisioned max", func(p *webtier.Props) { p.ReservedConcurrency = jsii.Number(50) }, "ReservedConcurrency (50) must be ≥ ProvisionedMax (100)"},
		{"reserved below explicit max", func(p *webtier.Props) {
			p.ReservedConcurrency, p.ProvisionedMax = jsii.Number(150), jsii.Number(200)
		}, "ReservedConcurrency (150) must be ≥ ProvisionedMax (200)"},
		{"min above max", func(p *webtier.Props) { p.ProvisionedMin, p.ProvisionedMax = jsii.Number(20), jsii.Number(10) }, "ProvisionedMin (20) must be ≤ ProvisionedMax (10)"},
		{"utilization zero", func(p *webtier.Props) { p.TargetUtilization = jsii.Number(0) }, "TargetUtilization (0) must be in (0, 1)"},
		{"utilization one", func(p *webtier.Props) { p.TargetUtilization = jsii.Number(1) }, "TargetUtilization (1) must be in (0, 1)"},
		{"headroom below one", func(p *webtier.Props) { p.Headroom = jsii.Number(0.9) }, "Headroom (0.9) must be ≥ 1"},
		{"floor zero", func(p *webtier.Props) { p.ProvisionedFloor = jsii.Number(0) }, "ProvisionedFloor (0) must be in (0, 1]"},
		{"fractional reserved", func(p *webtier.Props) { p.ReservedConcurrency = jsii.Number(120.5) }, "ReservedConcurrency (120.5) must be a whole number"},
		{"error rate", func(p *webtier.Props) { p.ErrorRatePercent = jsii.Number(0) }, "ErrorRatePercent (0) must be in (0, 100]"},
		{"authorizer on a Function URL", func(p *webtier.Props) { p.HTTPAPIAuthorizer = awsapigatewayv2authorizers.NewHttpIamAuthorizer() }, "HTTPAPIAuthorizer needs FrontDoor = FrontDoorHTTPAPI"},
		{"unknown front door", func(p *webtier.Props) { p.FrontDoor = "ALB" }, `FrontDoor "ALB" is unknown`},
		{"fractional timeout", func(p *webtier.Props) { p.Timeout = ms(1500) }, "Timeout (1.5s) must be a whole number of seconds"},
		{"http api timeout", func(p *webtier.Props) {
			p.FrontDoor, p.Timeout = webtier.FrontDoorHTTPAPI, secs(60)
		}, "Timeout (1m0s) must be ≤ 30s with FrontDoorHTTPAPI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := usersProps()
			tc.edit(p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "webtier: ") {
				t.Errorf("message %q does not name the construct", err)
			}
		})
	}
	if err := (*webtier.Props)(nil).Validate(); err == nil || !strings.Contains(err.Error(), "Entry is required") {
		t.Errorf("nil props: %v", err)
	}
	if err := usersProps().Validate(); err != nil {
		t.Fatalf("valid props rejected: %v", err)
	}

	// The constructor panics with the Validate error.
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Bad")
	bad := usersProps()
	bad.ReservedConcurrency = jsii.Number(50)
	if msg := cdktest.Recover(func() { webtier.New(stack, jsii.String("Web"), bad) }); !strings.Contains(msg, "ReservedConcurrency (50) must be ≥ ProvisionedMax (100)") {
		t.Errorf("New panicked with %q", msg)
	}

	// Derivations (Little's law) and overrides.
	for _, tc := range []struct {
		name                              string
		edit                              func(p *webtier.Props)
		rps                               float64
		peak, reserved, pmin, pmax, burst int
	}{
		// DESIGN.md's worked example: 2,000,000 users / 10 s, 20 ms → 200,000 rps, 4,000 concurrent.
		{"design example", func(p *webtier.Props) {
			p.PeakConcurrentUsers, p.MeanDuration, p.P99Latency = jsii.Number(2_000_000), ms(20), ms(200)
			p.FrontDoor = webtier.FrontDoorHTTPAPI
		}, 200_000, 4000, 4800, 400, 4000, 5000},
		{"rps target, floor at least 1", func(p *webtier.Props) {
			p.PeakConcurrentUsers, p.ThinkTime, p.PeakRequestsPerSecond = nil, nil, jsii.Number(7)
			p.MeanDuration = ms(100)
		}, 7, 1, 2, 1, 1, 0},
		{"lower max keeps derived reserved", func(p *webtier.Props) { p.ProvisionedMax = jsii.Number(50) }, 2000, 100, 120, 5, 50, 0},
		{"higher max lifts reserved", func(p *webtier.Props) { p.ProvisionedMax = jsii.Number(200) }, 2000, 100, 200, 20, 200, 0},
		{"explicit everything", func(p *webtier.Props) {
			p.ReservedConcurrency, p.ProvisionedMin, p.ProvisionedMax = jsii.Number(300), jsii.Number(0), jsii.Number(250)
		}, 2000, 100, 300, 0, 250, 0},
		{"headroom and floor", func(p *webtier.Props) { p.Headroom, p.ProvisionedFloor = jsii.Number(1.5), jsii.Number(0.25) }, 2000, 100, 150, 25, 100, 0},
	} {
		t.Run("plan/"+tc.name, func(t *testing.T) {
			p := usersProps()
			tc.edit(p)
			c, err := p.Plan()
			if err != nil {
				t.Fatal(err)
			}
			if c.RequestsPerSecond != tc.rps || c.PeakConcurrency != tc.peak || c.ReservedConcurrency != tc.reserved ||
				c.ProvisionedMin != tc.pmin || c.ProvisionedMax != tc.pmax || c.ThrottleBurstLimit != tc.burst {
				t.Errorf("Plan() = %+v, want rps %g peak %d reserved %d min %d max %d burst %d", c, tc.rps, tc.peak, tc.reserved, tc.pmin, tc.pmax, tc.burst)
			}
		})
	}
}

// Switches turn features off; a quota-sized target warns instead of failing;
// two apps built from the same source reference the same asset.
func TestSwitchesWarningsAndAssetHash(t *testing.T) {
	// GIVEN a tier with every optional feature off and a target beyond the default quota
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Lean")
	p := usersProps()
	p.PeakConcurrentUsers = jsii.Number(2_000_000) // 200,000 rps × 50 ms = 10,000 concurrent
	p.Tracing, p.JSONLogs, p.Alarms, p.Dashboard = jsii.Bool(false), jsii.Bool(false), jsii.Bool(false), jsii.Bool(false)
	p.FrontDoor = webtier.FrontDoorHTTPAPI
	p.HTTPAPIAuthorizer = awsapigatewayv2authorizers.NewHttpIamAuthorizer()
	tier := webtier.New(stack, jsii.String("Web"), p)

	// THEN nothing optional is created, rollback still covers failed deploys
	tpl := cdktest.Template(stack)
	tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(0))
	tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(0))
	tpl.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(0))
	tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{"RouteKey": "$default", "AuthorizationType": "AWS_IAM"})
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"TracingConfig": assertions.Match_Absent(),
		"LoggingConfig": map[string]any{"LogFormat": "Text"},
	})
	tpl.HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), map[string]any{
		"AlarmConfiguration":        assertions.Match_Absent(),
		"AutoRollbackConfiguration": map[string]any{"Enabled": true, "Events": []any{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"}},
	})
	if tier.Alarms() != nil || tier.Dashboard() != nil || tier.AlarmTopic() != nil {
		t.Error("switched-off features are still exposed")
	}
	if msg := cdktest.Recover(func() {
		tier.GrantInvokeURLToDistribution(jsii.String("arn:aws:cloudfront::123456789012:distribution/X"))
	}); !strings.Contains(msg, "needs FrontDoor = FrontDoorFunctionURL") {
		t.Errorf("URL grant on an HTTP API tier: %q", msg)
	}
	// AND the quotas are warnings, not errors
	ann := assertions.Annotations_FromStack(stack)
	ann.HasWarning(jsii.String("/Lean/Web"), assertions.Match_StringLikeRegexp(jsii.String("ReservedConcurrency 12000 exceeds 900.*quota increase")))
	ann.HasWarning(jsii.String("/Lean/Web"), assertions.Match_StringLikeRegexp(jsii.String("stage rate 240000 rps exceeds .* 10000 rps")))

	// GIVEN two separate apps WHEN each builds the same handler THEN the asset key matches.
	keys := make([]string, 2)
	for i := range keys {
		a := cdktest.NewApp(t)
		s := cdktest.NewStack(a, "Twin")
		webtier.New(s, jsii.String("Web"), usersProps())
		for _, fn := range cdktest.Resources(t, cdktest.Template(s), "AWS::Lambda::Function") {
			keys[i] = fn["Properties"].(map[string]any)["Code"].(map[string]any)["S3Key"].(string)
		}
	}
	if keys[0] == "" || keys[0] != keys[1] {
		t.Errorf("asset keys differ across synths: %q vs %q", keys[0], keys[1])
	}
	t.Logf("asset %s, bootstrap %d bytes", keys[0], tier.Artifact().BinarySize)
}
