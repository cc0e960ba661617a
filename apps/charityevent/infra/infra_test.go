package infra_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/apps/charityevent/config"
	"github.com/campaignkit/campaignkit/apps/charityevent/infra"
	"github.com/campaignkit/campaignkit/internal/cdktest"
)

func load(t *testing.T, file string) *config.Campaign {
	t.Helper()
	c, err := config.Load("../../../campaigns/" + file)
	if err != nil {
		t.Fatal(err)
	}
	c.Account = "123456789012"
	return c
}

var planningDay = func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }

// GIVEN the bundled test and prod campaigns WHEN synthesized THEN the
// composition is wired as designed and both pass the quality gates.
func TestComposition(t *testing.T) {
	app := cdktest.NewApp(t)
	test := infra.New(app, infra.Props{Campaign: load(t, "charity-week-test.yaml"), SiteDir: "../site/public", Now: planningDay})
	prod := infra.New(app, infra.Props{Campaign: load(t, "charity-week.yaml"), SiteDir: "../site/public", Now: planningDay})

	if got := *test.Stack.StackName(); got != "charity-week-test" {
		t.Errorf("stack name %q", got)
	}
	if got := *prod.Stack.StackName(); got != "charity-week-prod" {
		t.Errorf("stack name %q", got)
	}
	tpl := cdktest.Template(test.Stack)

	// The API sits behind the edge: /api/* (and micro-cached hot paths) go
	// to the web tier's Function URL, which targets the alias.
	dist := cdktest.Resources(t, tpl, "AWS::CloudFront::Distribution")
	if len(dist) != 1 {
		t.Fatalf("%d distributions", len(dist))
	}
	for _, d := range dist {
		raw, _ := json.Marshal(d)
		for _, p := range []string{`"/api/*"`, `"/api/totals"`, `"/api/charities"`} {
			if !strings.Contains(string(raw), `"PathPattern":`+p) {
				t.Errorf("no cache behavior %s", p)
			}
		}
		if !strings.Contains(string(raw), "WebAliasFunctionUrl") {
			t.Error("the API origin is not the web tier's Function URL")
		}
	}
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Url"), map[string]any{
		"AuthType":  "AWS_IAM",
		"Qualifier": "live", // the alias, never $LATEST
	})
	// Capacity: 500,000 users / 15 s × 20 ms → 667 concurrent; the calendar's peak (700) is the PC ceiling.
	if c := test.Web.Capacity(); c.RequestsPerSecond < 33_000 || c.ProvisionedMax != 700 || c.ReservedConcurrency < 700 {
		t.Errorf("derived capacity %+v", c)
	}
	// The web tier can enqueue and read, with the wiring in its environment.
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
			"QUEUE_URL":         map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("WritesQueue"))},
			"TABLE_NAME":        map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("WritesTable"))},
			"CAMPAIGN_SETTINGS": assertions.Match_StringLikeRegexp(jsii.String(`"kinderkanker"`)),
		})},
	})
	// The writer drains the queue with the calendar's peak concurrency.
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
		"ScalingConfig":         map[string]any{"MaximumConcurrency": 20},
		"FunctionResponseTypes": []string{"ReportBatchItemFailures"},
		"EventSourceArn":        map[string]any{"Fn::GetAtt": assertions.Match_ArrayWith(&[]any{assertions.Match_StringLikeRegexp(jsii.String("WritesQueue"))})},
	})
	// The calendar drives provisioned concurrency (Brussels time) and writer concurrency (Scheduler).
	tpl.HasResourceProperties(jsii.String("AWS::ApplicationAutoScaling::ScalableTarget"), map[string]any{
		"ScalableDimension": "lambda:function:ProvisionedConcurrency",
		"ScheduledActions": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Timezone":             "Europe/Brussels",
			"ScalableTargetAction": map[string]any{"MinCapacity": 400, "MaxCapacity": 700},
		})}),
	})
	tpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
		"ScheduleExpressionTimezone": "Europe/Brussels",
		"Target": assertions.Match_ObjectLike(&map[string]any{
			"Arn": "arn:aws:scheduler:::aws-sdk:lambda:updateEventSourceMapping",
		}),
	})
	peakWriter := false
	for _, r := range cdktest.Resources(t, tpl, "AWS::Scheduler::Schedule") {
		raw, _ := json.Marshal(r)
		peakWriter = peakWriter || strings.Contains(string(raw), `\"MaximumConcurrency\":20`)
	}
	if !peakWriter {
		t.Error("no schedule sets the writer's MaximumConcurrency to the event-week level (20)")
	}
	// Cost allocation tags on everything taggable.
	for _, typ := range []string{"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Lambda::Function", "AWS::S3::Bucket", "AWS::CloudFront::Distribution"} {
		for id, r := range cdktest.Resources(t, tpl, typ) {
			// CDK's cross-region export handlers are raw CfnResources created
			// after aspects run; they cannot carry tags (noted in the README).
			if strings.HasPrefix(id, "CustomCrossRegionExport") {
				continue
			}
			raw, _ := json.Marshal(r["Properties"])
			for _, tag := range []string{`{"Key":"campaign","Value":"charity-week"}`, `{"Key":"stage","Value":"test"}`, `{"Key":"cost-center","Value":"charity-week-2026"}`} {
				if !strings.Contains(string(raw), tag) {
					t.Errorf("%s %s lacks tag %s", typ, id, tag)
				}
			}
		}
	}
	// The table is pre-warmed for the peak write rate (33,333.3 rps × 10 % × 2 WRU × 1.2, rounded up).
	tpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
		"WarmThroughput": map[string]any{"WriteUnitsPerSecond": 8001, "ReadUnitsPerSecond": 12000},
	})
	// Production keeps its data; test does not.
	prodTpl := cdktest.Template(prod.Stack)
	prodTpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{"DeletionPolicy": "Retain"})
	tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{"DeletionPolicy": "Delete"})

	cdktest.AssertGates(t, app)
}
