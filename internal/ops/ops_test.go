package ops_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/internal/cdktest"
	"github.com/campaignkit/campaignkit/internal/ops"
)

// GIVEN no topic WHEN AlarmTopic creates one THEN its key lets CloudWatch
// publish (alarms to an aws/sns-encrypted topic are silently dropped),
// rotates, and the topic refuses non-TLS publishes.
func TestAlarmTopicCloudWatchCanPublish(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Ops")
	ops.AlarmTopic(stack, "Alarms", nil)
	tpl := cdktest.Template(stack)
	tpl.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{
		"EnableKeyRotation": true,
		"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
			"Action":    assertions.Match_ArrayWith(&[]any{"kms:Decrypt", "kms:GenerateDataKey*"}),
		})})},
	})
	tpl.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})})},
	})
	cdktest.AssertGates(t, app)
}
