package loadgen_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/internal/cdktest"
	"github.com/campaignkit/campaignkit/loadtests/loadgen"
)

// One test function: a CDK test binary costs ~30 s to link and 4 s to start.
func TestLoadGenerator(t *testing.T) {
	// GIVEN a stack WHEN a LoadGenerator with defaults is added
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "LoadGen")
	g := loadgen.New(stack, jsii.String("LoadGenerator"), nil)
	if g.Bucket() == nil || g.Function() == nil || g.StateMachine() == nil || g.AlarmTopic() == nil {
		t.Fatal("accessor returned nil")
	}
	tpl := cdktest.Template(stack)

	t.Run("results bucket is private, encrypted, TLS-only and expires results", func(t *testing.T) {
		tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
				map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}}}},
			"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
			"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"ExpirationInDays": 30, "Status": "Enabled"})})},
		})
		tpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}})})},
		})
	})

	t.Run("worker is an arm64 Go function with 4 GB, 15 min, reserved for all workers", func(t *testing.T) {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Runtime": "provided.al2023", "Handler": "bootstrap", "Architectures": []any{"arm64"},
			"MemorySize": 4096, "Timeout": 900, "ReservedConcurrentExecutions": 40,
			"TracingConfig": map[string]any{"Mode": "Active"},
		})
		// it may only put objects into the results bucket: no read, no delete
		policies := cdktest.Resources(t, tpl, "AWS::IAM::Policy")
		var actions []string
		for id, p := range policies {
			if !strings.Contains(id, "WorkerRole") {
				continue
			}
			for _, st := range p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				switch a := st.(map[string]any)["Action"].(type) {
				case string:
					actions = append(actions, a)
				case []any:
					for _, x := range a {
						actions = append(actions, x.(string))
					}
				}
			}
		}
		for _, a := range actions {
			if strings.HasPrefix(a, "s3:") && a != "s3:PutObject" || strings.Contains(a, "*") {
				t.Errorf("worker role has %s; want only s3:PutObject, logs and X-Ray", a)
			}
		}
		tpl.ResourceCountIs(jsii.String("AWS::IAM::ManagedPolicy"), jsii.Number(0))
	})

	t.Run("state machine fans out with a Map state, logs everything and traces", func(t *testing.T) {
		def := assertions.NewCapture(nil)
		tpl.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
			"DefinitionString":     def,
			"TracingConfiguration": map[string]any{"Enabled": true},
			"LoggingConfiguration": assertions.Match_ObjectLike(&map[string]any{"Level": "ALL", "IncludeExecutionData": true}),
		})
		s := fmtJSON(def.AsObject())
		for _, want := range []string{`"Type":"Map"`, `"ItemsPath":"$.workers"`, `"MaxConcurrency":40`, `"worker.$":"$$.Map.Item.Value"`, `"base.$":"$.base"`} {
			if !strings.Contains(s, want) {
				t.Errorf("definition lacks %s:\n%s", want, s)
			}
		}
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"MetricName": "ExecutionsFailed", "AlarmActions": assertions.Match_AnyValue(),
		})
		tpl.HasOutput(jsii.String("*"), map[string]any{"Description": "campaignkit loadtest distributed -state-machine"})
	})

	t.Run("props are validated with one message per problem", func(t *testing.T) {
		tests := []struct {
			props loadgen.Props
			want  string
		}{
			{loadgen.Props{MaxWorkers: jsii.Number(0)}, "loadgen: MaxWorkers (0) must be a whole number in [1, 1000]"},
			{loadgen.Props{MemoryMB: jsii.Number(1024)}, "less than one vCPU"},
			{loadgen.Props{TimeoutMinutes: jsii.Number(30)}, "Lambda's maximum is 15"},
			{loadgen.Props{MaxWorkers: jsii.Number(2.5), ResultsRetentionDays: jsii.Number(0)}, "ResultsRetentionDays (0)"},
		}
		for _, tt := range tests {
			msg := cdktest.Recover(func() { loadgen.New(stack, jsii.String("Bad"), &tt.props) })
			if !strings.Contains(msg, tt.want) {
				t.Errorf("panic %q, want %q", msg, tt.want)
			}
		}
	})

	// THEN the template passes cfn-lint and cdk-nag (AwsSolutions + Serverless)
	rep := cdktest.AssertGates(t, app)
	for _, w := range rep.LintWarnings {
		t.Logf("cfn-lint warning: %s", w)
	}
}
