// Package ops holds the operational defaults every campaignkit construct
// shares: the alarm topic (given or created, encrypted, TLS-only) and log
// groups with a retention.
package ops

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// AlarmTopic returns given when set, else creates an SNS topic encrypted
// with a customer managed key (rotated yearly) and a policy that refuses
// non-TLS publishes. The key is customer managed because CloudWatch alarms
// cannot publish to a topic encrypted with the AWS managed aws/sns key: the
// key policy must let cloudwatch.amazonaws.com use it.
func AlarmTopic(scope constructs.Construct, id string, given awssns.ITopic) awssns.ITopic {
	if given != nil {
		return given
	}
	key := awskms.NewKey(scope, jsii.String(id+"Key"), &awskms.KeyProps{
		Description:       jsii.String("encrypts the campaignkit alarm topic " + id),
		EnableKeyRotation: jsii.Bool(true),
	})
	key.GrantEncryptDecrypt(awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil))
	return awssns.NewTopic(scope, jsii.String(id), &awssns.TopicProps{
		MasterKey:  key,
		EnforceSSL: jsii.Bool(true),
	})
}

// Notify sends an alarm's ALARM and OK transitions to topic.
func Notify(alarm awscloudwatch.Alarm, topic awssns.ITopic) {
	action := awscloudwatchactions.NewSnsAction(topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
}

// LogGroup creates a log group with the given retention (default two weeks)
// that is removed with the stack unless retain is set (production stages).
func LogGroup(scope constructs.Construct, id string, retention awslogs.RetentionDays, retain bool) awslogs.LogGroup {
	if retention == "" {
		retention = awslogs.RetentionDays_TWO_WEEKS
	}
	policy := awscdk.RemovalPolicy_DESTROY
	if retain {
		policy = awscdk.RemovalPolicy_RETAIN
	}
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: policy,
	})
}
