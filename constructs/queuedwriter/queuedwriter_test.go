package queuedwriter_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/queuedwriter"
	"github.com/campaignkit/campaignkit/internal/cdktest"
	"github.com/campaignkit/campaignkit/internal/nag"
)

// writerEntry is the writer package the tests build: the real writer.
const writerEntry = queuedwriter.DefaultWriterEntry

var (
	absent = assertions.Match_Absent()
	anyVal = assertions.Match_AnyValue()
)

func like(m map[string]any) assertions.Matcher { return assertions.Match_ObjectLike(&m) }
func arrWith(v ...any) assertions.Matcher      { return assertions.Match_ArrayWith(&v) }

// TLS-only queue policy statement, as EnforceSSL writes it.
var tlsOnly = like(map[string]any{
	"PolicyDocument": like(map[string]any{
		"Statement": arrWith(like(map[string]any{
			"Effect":    "Deny",
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})),
	}),
})

func TestQueuedWriter(t *testing.T) {
	app := cdktest.NewApp(t)

	// GIVEN a stack, WHEN a DynamoDB writer is added with the defaults.
	dynStack := cdktest.NewStack(app, "QueuedWriterDynamo")
	props := &queuedwriter.Props{WriterEntry: jsii.String(writerEntry), DynamoDB: &queuedwriter.DynamoDBSink{}}
	dyn := queuedwriter.New(dynStack, jsii.String("Donations"), props)
	producer := awsiam.NewRole(dynStack, jsii.String("Producer"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	})
	nag.Suppress(producer, nag.Rule{ID: "AwsSolutions-IAM5", Reason: "test fixture: producer role only receives GrantSend"})
	dyn.GrantSend(producer)

	// GIVEN a production stack with a customer key, FIFO high throughput.
	prodStack := cdktest.NewStack(app, "QueuedWriterProdFifo")
	key := awskms.NewKey(prodStack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	prod := queuedwriter.New(prodStack, jsii.String("Votes"), &queuedwriter.Props{
		WriterEntry:               jsii.String(writerEntry),
		Production:                jsii.Bool(true),
		Fifo:                      jsii.Bool(true),
		HighThroughputFifo:        jsii.Bool(true),
		ContentBasedDeduplication: jsii.Bool(true),
		EncryptionKey:             key,
		MaxReceiveCount:           jsii.Number(3),
		Timeout:                   awscdk.Duration_Seconds(jsii.Number(20)),
		DynamoDB: &queuedwriter.DynamoDBSink{
			EncryptionKey: key, WriteCapacity: jsii.Number(1000), RecordsPerSecondPerWriter: jsii.Number(100),
		},
	})
	prodProducer := awsiam.NewRole(prodStack, jsii.String("Producer"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	})
	prod.GrantSend(prodProducer)

	// GIVEN a stack, WHEN an Aurora writer is added.
	aurStack := cdktest.NewStack(app, "QueuedWriterAurora")
	aur := queuedwriter.New(aurStack, jsii.String("Orders"), &queuedwriter.Props{
		WriterEntry: jsii.String(writerEntry),
		Aurora:      &queuedwriter.AuroraSink{MinACU: jsii.Number(0.5), MaxACU: jsii.Number(8)},
	})

	// GIVEN a production stack with its own VPC (private subnets with NAT).
	givenStack := cdktest.NewStack(app, "QueuedWriterAuroraGivenVpc")
	vpc := awsec2.NewVpc(givenStack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs: jsii.Number(2), NatGateways: jsii.Number(1), RestrictDefaultSecurityGroup: jsii.Bool(false),
		FlowLogs: &map[string]*awsec2.FlowLogOptions{"all": {}},
	})
	given := queuedwriter.New(givenStack, jsii.String("Orders"), &queuedwriter.Props{
		WriterEntry: jsii.String(writerEntry),
		Production:  jsii.Bool(true),
		Aurora:      &queuedwriter.AuroraSink{Vpc: vpc, ConnectionBudget: jsii.Number(40)},
	})

	t.Run("props are not changed", func(t *testing.T) {
		if props.MaxConcurrency != nil || props.BatchSize != nil || props.Timeout != nil {
			t.Fatal("New wrote defaults into the caller's props")
		}
	})

	t.Run("dynamodb defaults", func(t *testing.T) {
		tpl := cdktest.Template(dynStack)
		d := dyn.Derived()
		want := queuedwriter.Derived{Fifo: false, BatchSize: 100, MaxBatchingWindowSeconds: 1, TimeoutSeconds: 30,
			VisibilityTimeoutSeconds: 181, SinkBudget: 4000, SinkBudgetUnit: "write units/s",
			MaxConcurrency: 8, ReservedConcurrency: 10, MaxReceiveCount: 5}
		want.Basis = d.Basis
		if d != want {
			t.Errorf("Derived = %+v, want %+v", d, want)
		}
		if !strings.Contains(d.Basis, "4000 WU/s") {
			t.Errorf("Basis %q does not explain the budget", d.Basis)
		}
		tpl.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(2))
		// THEN the queue: SSE-SQS, derived visibility, DLQ after 5 receives.
		tpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"SqsManagedSseEnabled":   true,
			"VisibilityTimeout":      181,
			"MessageRetentionPeriod": 4 * 86400,
			"RedrivePolicy":          like(map[string]any{"maxReceiveCount": 5, "deadLetterTargetArn": anyVal}),
			"FifoQueue":              absent,
		})
		// THEN the DLQ keeps messages 14 days, encrypted, no DLQ of its own.
		tpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"SqsManagedSseEnabled":   true,
			"MessageRetentionPeriod": 14 * 86400,
			"RedrivePolicy":          absent,
		})
		// THEN both queues refuse plain HTTP.
		if n := len(cdktest.Resources(t, tpl, "AWS::SQS::QueuePolicy")); n != 2 {
			t.Errorf("queue policies = %d, want 2", n)
		}
		tpl.AllResourcesProperties(jsii.String("AWS::SQS::QueuePolicy"), tlsOnly)
		// THEN the event source: batch, window, derived concurrency, partial failures.
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			"BatchSize":                      100,
			"MaximumBatchingWindowInSeconds": 1,
			"ScalingConfig":                  map[string]any{"MaximumConcurrency": 8},
			"FunctionResponseTypes":          []string{"ReportBatchItemFailures"},
		})
		// THEN the writer: reserved ≥ max concurrency, X-Ray, own log group, env.
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"ReservedConcurrentExecutions": 10,
			"Timeout":                      30,
			"MemorySize":                   256,
			"TracingConfig":                map[string]any{"Mode": "Active"},
			"LoggingConfig":                like(map[string]any{"LogGroup": anyVal}),
			"Environment": map[string]any{"Variables": like(map[string]any{
				"TABLE_NAME": anyVal, "QUEUE_URL": anyVal, "QUEUE_FIFO": "false", "SINK": "dynamodb", "PK_NAME": "pk", "SK_NAME": "sk",
			})},
		})
		tpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 14})
		// THEN the role carries no managed policy.
		for id, r := range cdktest.Resources(t, tpl, "AWS::IAM::Role") {
			if props, _ := r["Properties"].(map[string]any); props["ManagedPolicyArns"] != nil {
				t.Errorf("role %s has managed policies %v", id, props["ManagedPolicyArns"])
			}
		}
		// THEN the table: pk/sk, on-demand, PITR, encrypted, destroyed outside production.
		tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"DeletionPolicy": "Delete",
			"Properties": like(map[string]any{
				"KeySchema": []any{
					map[string]any{"AttributeName": "pk", "KeyType": "HASH"},
					map[string]any{"AttributeName": "sk", "KeyType": "RANGE"},
				},
				"BillingMode":                      "PAY_PER_REQUEST",
				"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
				"SSESpecification":                 map[string]any{"SSEEnabled": true},
				"DeletionProtectionEnabled":        false,
			}),
		})
		// THEN two alarms to the topic: DLQ depth > 0, oldest message ≥ 300 s.
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"MetricName": "ApproximateNumberOfMessagesVisible", "Namespace": "AWS/SQS",
			"Threshold": 0, "ComparisonOperator": "GreaterThanThreshold", "Statistic": "Maximum",
			"AlarmActions": []any{map[string]any{"Ref": anyVal}}, "OKActions": []any{map[string]any{"Ref": anyVal}},
		})
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"MetricName": "ApproximateAgeOfOldestMessage", "Threshold": 300,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold", "AlarmActions": []any{map[string]any{"Ref": anyVal}},
		})
		if n := len(dyn.Alarms()); n != 2 {
			t.Errorf("Alarms() = %d, want 2", n)
		}
		// THEN GrantSend gives the producer sqs:SendMessage only.
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
			"Roles": []any{map[string]any{"Ref": anyVal}},
			"PolicyDocument": like(map[string]any{"Statement": []any{
				map[string]any{"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": anyVal},
			}}),
		})
		env := dyn.ProducerEnv()
		if env["QUEUE_URL"] == nil || *env["QUEUE_FIFO"] != "false" {
			t.Errorf("ProducerEnv = %v", env)
		}
		if dyn.Table() == nil || dyn.Cluster() != nil || dyn.Proxy() != nil || dyn.Vpc() != nil {
			t.Error("DynamoDB writer: Table() must be set, Cluster/Proxy/Vpc nil")
		}
		if dyn.EventSourceMapping() == nil || dyn.CfnEventSourceMapping() == nil || dyn.Function() == nil {
			t.Error("accessors returned nil")
		}
	})

	t.Run("production fifo with customer key", func(t *testing.T) {
		tpl := cdktest.Template(prodStack)
		d := prod.Derived()
		// 1000 WCU ÷ 100 records/s = 10 writers; FIFO: batch 10, no window.
		if d.MaxConcurrency != 10 || d.ReservedConcurrency != 12 || d.BatchSize != 10 ||
			d.MaxBatchingWindowSeconds != 0 || d.VisibilityTimeoutSeconds != 120 || !d.Fifo {
			t.Errorf("Derived = %+v", d)
		}
		tpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"FifoQueue":                 true,
			"ContentBasedDeduplication": true,
			"DeduplicationScope":        "messageGroup",
			"FifoThroughputLimit":       "perMessageGroupId",
			"KmsMasterKeyId":            anyVal,
			"VisibilityTimeout":         120,
			"RedrivePolicy":             like(map[string]any{"maxReceiveCount": 3}),
		})
		tpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"FifoQueue": true, "KmsMasterKeyId": anyVal, "MessageRetentionPeriod": 14 * 86400, "RedrivePolicy": absent,
		})
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			"BatchSize":                      10,
			"MaximumBatchingWindowInSeconds": absent,
			"ScalingConfig":                  map[string]any{"MaximumConcurrency": 10},
			"FunctionResponseTypes":          []string{"ReportBatchItemFailures"},
		})
		tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"DeletionPolicy":      "Retain",
			"UpdateReplacePolicy": "Retain",
			"Properties": like(map[string]any{
				"BillingMode":               absent,
				"ProvisionedThroughput":     map[string]any{"WriteCapacityUnits": 1000, "ReadCapacityUnits": 5},
				"DeletionProtectionEnabled": true,
				"SSESpecification":          map[string]any{"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": anyVal},
			}),
		})
		tpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{"DeletionPolicy": "Retain"})
		// THEN the producer may encrypt for the queue's key.
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
			"PolicyDocument": like(map[string]any{"Statement": arrWith(
				like(map[string]any{"Action": []any{"kms:GenerateDataKey", "kms:Decrypt"}}),
			)}),
		})
		if *prod.ProducerEnv()["QUEUE_FIFO"] != "true" || *prod.ProducerEnv()["QUEUE_CONTENT_BASED_DEDUP"] != "true" {
			t.Errorf("ProducerEnv = %v", prod.ProducerEnv())
		}
	})

	t.Run("aurora", func(t *testing.T) {
		tpl := cdktest.Template(aurStack)
		d := aur.Derived()
		// 8 ACU × 180 × 50% × 0.5 = 360 connections, one per writer.
		if d.SinkBudget != 360 || d.MaxConcurrency != 360 || d.ReservedConcurrency != 396 || d.SinkBudgetUnit != "connections" {
			t.Errorf("Derived = %+v", d)
		}
		tpl.HasResource(jsii.String("AWS::RDS::DBCluster"), map[string]any{
			"DeletionPolicy": "Delete",
			"Properties": like(map[string]any{
				"Engine":                           "aurora-postgresql",
				"ServerlessV2ScalingConfiguration": map[string]any{"MinCapacity": 0.5, "MaxCapacity": 8},
				"StorageEncrypted":                 true,
				"EnableIAMDatabaseAuthentication":  true,
				"DeletionProtection":               false,
				"BackupRetentionPeriod":            7,
				"DatabaseName":                     "campaign",
				"MasterUsername":                   "campaignkit",
			}),
		})
		// THEN writer + reader, both serverless v2, the reader scales with the writer.
		tpl.ResourceCountIs(jsii.String("AWS::RDS::DBInstance"), jsii.Number(2))
		tpl.AllResourcesProperties(jsii.String("AWS::RDS::DBInstance"), like(map[string]any{
			"DBInstanceClass": "db.serverless", "PubliclyAccessible": false,
		}))
		tpl.HasResourceProperties(jsii.String("AWS::RDS::DBInstance"), map[string]any{"PromotionTier": 1})
		// THEN the proxy requires IAM auth and TLS.
		tpl.HasResourceProperties(jsii.String("AWS::RDS::DBProxy"), map[string]any{
			"EngineFamily": "POSTGRESQL",
			"RequireTLS":   true,
			"Auth":         arrWith(like(map[string]any{"IAMAuth": "REQUIRED", "AuthScheme": "SECRETS"})),
		})
		tpl.HasResourceProperties(jsii.String("AWS::RDS::DBProxyTargetGroup"), map[string]any{
			"ConnectionPoolConfigurationInfo": like(map[string]any{"ConnectionBorrowTimeout": 15}),
		})
		tpl.HasResourceProperties(jsii.String("AWS::RDS::DBProxyTargetGroup"), map[string]any{
			"ConnectionPoolConfigurationInfo": like(map[string]any{"MaxConnectionsPercent": 50}),
		})
		// THEN the credentials are a generated, rotated secret.
		tpl.ResourceCountIs(jsii.String("AWS::SecretsManager::Secret"), jsii.Number(1))
		tpl.HasResourceProperties(jsii.String("AWS::SecretsManager::RotationSchedule"), map[string]any{
			"RotationRules": map[string]any{"ScheduleExpression": "rate(30 days)"},
		})
		// THEN the created VPC has flow logs and only isolated subnets.
		tpl.ResourceCountIs(jsii.String("AWS::EC2::FlowLog"), jsii.Number(1))
		tpl.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(0))
		tpl.ResourceCountIs(jsii.String("AWS::EC2::InternetGateway"), jsii.Number(0))
		// THEN the writer runs in the VPC, may connect to the proxy, gets the DB env.
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"VpcConfig":                    like(map[string]any{"SecurityGroupIds": anyVal, "SubnetIds": anyVal}),
			"ReservedConcurrentExecutions": 396,
			"Environment": map[string]any{"Variables": like(map[string]any{
				"PROXY_ENDPOINT": anyVal, "DB_SECRET_ARN": anyVal, "DB_NAME": "campaign", "DB_USER": "campaignkit",
				"DB_IAM_AUTH": "true", "DB_MAX_CONNS": "1", "DATABASE_URL": anyVal, "QUEUE_URL": anyVal, "SINK": "postgres",
			})},
		})
		tpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]any{
			"FromPort": 5432, "ToPort": 5432, "Description": "campaignkit queued writer to RDS Proxy",
		})
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
			"PolicyDocument": like(map[string]any{"Statement": arrWith(like(map[string]any{"Action": "rds-db:connect"}))}),
		})
		tpl.HasResource(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			"Properties": like(map[string]any{"ScalingConfig": map[string]any{"MaximumConcurrency": 360}}),
			"Metadata": like(map[string]any{queuedwriter.MetadataKey: like(map[string]any{
				"sinkBudget": 360, "sinkBudgetUnit": "connections", "maxConcurrency": 360, "reservedConcurrency": 396,
				"basis": assertions.Match_StringLikeRegexp(jsii.String("8 ACU")),
			})}),
		})
		if aur.Table() != nil || aur.Cluster() == nil || aur.Proxy() == nil || aur.Vpc() == nil {
			t.Error("Aurora writer: Table() must be nil, Cluster/Proxy/Vpc set")
		}
	})

	t.Run("aurora production in a given vpc", func(t *testing.T) {
		tpl := cdktest.Template(givenStack)
		if d := given.Derived(); d.MaxConcurrency != 40 || d.ReservedConcurrency != 44 {
			t.Errorf("Derived = %+v, want 40 / 44 from ConnectionBudget 40", d)
		}
		if given.Vpc() != vpc {
			t.Error("Vpc() is not the given VPC")
		}
		tpl.HasResource(jsii.String("AWS::RDS::DBCluster"), map[string]any{
			"DeletionPolicy": "Retain",
			"Properties":     like(map[string]any{"DeletionProtection": true}),
		})
		// THEN no VPC, endpoint or flow log of our own; HTTPS egress for AWS APIs via NAT.
		tpl.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(1))
		tpl.ResourceCountIs(jsii.String("AWS::EC2::VPCEndpoint"), jsii.Number(0))
		tpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroup"), map[string]any{
			"GroupDescription":    assertions.Match_StringLikeRegexp(jsii.String("queued writer")),
			"SecurityGroupEgress": arrWith(like(map[string]any{"CidrIp": "0.0.0.0/0", "FromPort": 443, "ToPort": 443})),
		})
	})

	// THEN every stack passes cfn-lint and cdk-nag.
	rep := cdktest.AssertGates(t, app)
	if rep.Suppressed == 0 {
		t.Error("expected reasoned suppressions (X-Ray Resource::*, DLQ without DLQ)")
	}
}

func TestValidate(t *testing.T) {
	dynamo := func() *queuedwriter.Props { return &queuedwriter.Props{DynamoDB: &queuedwriter.DynamoDBSink{}} }
	aurora := func(a *queuedwriter.AuroraSink) *queuedwriter.Props { return &queuedwriter.Props{Aurora: a} }
	sec := func(s float64) awscdk.Duration { return awscdk.Duration_Seconds(jsii.Number(s)) }
	cases := []struct {
		name  string
		props *queuedwriter.Props
		want  string // substring of the one message; "" means valid
	}{
		{"dynamodb defaults", dynamo(), ""},
		{"pre-warmed table", &queuedwriter.Props{DynamoDB: &queuedwriter.DynamoDBSink{WarmWriteUnitsPerSecond: jsii.Number(8000)}}, ""},
		{"warm writes below a new table's", &queuedwriter.Props{DynamoDB: &queuedwriter.DynamoDBSink{WarmWriteUnitsPerSecond: jsii.Number(1000)}}, "WarmWriteUnitsPerSecond (1000) must be within 4,000..40,000"},
		{"warm reads above the quota", &queuedwriter.Props{DynamoDB: &queuedwriter.DynamoDBSink{WarmReadUnitsPerSecond: jsii.Number(50000)}}, "WarmReadUnitsPerSecond (50000) must be within 12,000..40,000"},
		{"warm on provisioned", &queuedwriter.Props{DynamoDB: &queuedwriter.DynamoDBSink{WriteCapacity: jsii.Number(100), WriteBudget: jsii.Number(100), WarmWriteUnitsPerSecond: jsii.Number(8000)}}, "apply to on-demand tables"},
		{"aurora defaults", aurora(&queuedwriter.AuroraSink{}), ""},
		{"no sink", &queuedwriter.Props{}, "no sink: set exactly one of DynamoDB or Aurora"},
		{"both sinks", &queuedwriter.Props{DynamoDB: &queuedwriter.DynamoDBSink{}, Aurora: &queuedwriter.AuroraSink{}}, "both DynamoDB and Aurora are set"},
		{"max above reserved", func() *queuedwriter.Props {
			p := dynamo()
			p.MaxConcurrency, p.ReservedConcurrency = jsii.Number(50), jsii.Number(20)
			return p
		}(), "MaxConcurrency (50) must be ≤ ReservedConcurrency (20)"},
		{"derived above reserved", func() *queuedwriter.Props {
			p := dynamo()
			p.ReservedConcurrency = jsii.Number(5) // derived 8
			return p
		}(), "MaxConcurrency (8) must be ≤ ReservedConcurrency (5)"},
		{"max concurrency below 2", func() *queuedwriter.Props { p := dynamo(); p.MaxConcurrency = jsii.Number(1); return p }(), "MaxConcurrency (1) must be a whole number in 2..1000"},
		{"max concurrency above 1000", func() *queuedwriter.Props {
			p := dynamo()
			p.MaxConcurrency, p.ReservedConcurrency = jsii.Number(1001), jsii.Number(2000)
			return p
		}(), "MaxConcurrency (1001) must be a whole number in 2..1000"},
		{"fifo batch above 10", func() *queuedwriter.Props {
			p := dynamo()
			p.Fifo, p.BatchSize = jsii.Bool(true), jsii.Number(11)
			return p
		}(), "BatchSize (11) must be ≤ 10 on a FIFO queue"},
		{"batch above 10000", func() *queuedwriter.Props { p := dynamo(); p.BatchSize = jsii.Number(10001); return p }(), "BatchSize (10001) must be ≤ 10,000"},
		{"batch zero", func() *queuedwriter.Props { p := dynamo(); p.BatchSize = jsii.Number(0); return p }(), "BatchSize (0) must be at least 1"},
		{"window above 300", func() *queuedwriter.Props { p := dynamo(); p.MaxBatchingWindow = sec(301); return p }(), "MaxBatchingWindow (301 s) must be between 0 and 300 s"},
		{"window on fifo", func() *queuedwriter.Props {
			p := dynamo()
			p.Fifo, p.MaxBatchingWindow = jsii.Bool(true), sec(5)
			return p
		}(), "MaxBatchingWindow (5 s) is not supported on a FIFO queue"},
		{"big batch without window", func() *queuedwriter.Props {
			p := dynamo()
			p.BatchSize, p.MaxBatchingWindow = jsii.Number(50), sec(0)
			return p
		}(), "BatchSize (50) above 10 needs MaxBatchingWindow ≥ 1 s"},
		{"high throughput without fifo", func() *queuedwriter.Props { p := dynamo(); p.HighThroughputFifo = jsii.Bool(true); return p }(), "HighThroughputFifo needs Fifo"},
		{"content dedup without fifo", func() *queuedwriter.Props { p := dynamo(); p.ContentBasedDeduplication = jsii.Bool(true); return p }(), "ContentBasedDeduplication applies to FIFO queues only"},
		{"timeout above 900", func() *queuedwriter.Props { p := dynamo(); p.Timeout = sec(901); return p }(), "Timeout (901 s) must be between 1 s and 900 s"},
		{"max receive count 0", func() *queuedwriter.Props { p := dynamo(); p.MaxReceiveCount = jsii.Number(0); return p }(), "MaxReceiveCount (0) must be a whole number in 1..1000"},
		{"retention above 14 days", func() *queuedwriter.Props {
			p := dynamo()
			p.RetentionPeriod = awscdk.Duration_Days(jsii.Number(15))
			return p
		}(), "RetentionPeriod (1.296e+06 s) must be between 60 s and 14 days"},
		{"negative alarm age", func() *queuedwriter.Props { p := dynamo(); p.OldestMessageAgeAlarm = sec(0); return p }(), "OldestMessageAgeAlarm (0 s) must be positive"},
		{"empty entry", func() *queuedwriter.Props { p := dynamo(); p.WriterEntry = jsii.String(""); return p }(), "WriterEntry is empty"},
		{"write budget 0", &queuedwriter.Props{DynamoDB: &queuedwriter.DynamoDBSink{WriteBudget: jsii.Number(0)}}, "DynamoDB.WriteBudget (0) must be positive"},
		{"budget above provisioned", &queuedwriter.Props{DynamoDB: &queuedwriter.DynamoDBSink{WriteCapacity: jsii.Number(100), WriteBudget: jsii.Number(200)}}, "DynamoDB.WriteBudget (200) must be ≤ WriteCapacity (100)"},
		{"records per writer 0", &queuedwriter.Props{DynamoDB: &queuedwriter.DynamoDBSink{RecordsPerSecondPerWriter: jsii.Number(0)}}, "DynamoDB.RecordsPerSecondPerWriter (0) must be positive"},
		{"min above max acu", aurora(&queuedwriter.AuroraSink{MinACU: jsii.Number(8), MaxACU: jsii.Number(4)}), "Aurora.MinACU (8) must be ≤ MaxACU (4)"},
		{"acu not half step", aurora(&queuedwriter.AuroraSink{MaxACU: jsii.Number(4.25)}), "Aurora.MaxACU (4.25) must be in 0..256 in steps of 0.5"},
		{"acu above 256", aurora(&queuedwriter.AuroraSink{MaxACU: jsii.Number(300)}), "Aurora.MaxACU (300) must be in 0..256 in steps of 0.5"},
		{"min acu negative", aurora(&queuedwriter.AuroraSink{MinACU: jsii.Number(-1)}), "Aurora.MinACU (-1) must be in 0..256 in steps of 0.5"},
		{"max acu below 1", aurora(&queuedwriter.AuroraSink{MinACU: jsii.Number(0), MaxACU: jsii.Number(0.5)}), "Aurora.MaxACU (0.5) must be at least 1"},
		{"proxy percent above 100", aurora(&queuedwriter.AuroraSink{MaxConnectionsPercent: jsii.Number(101)}), "Aurora.MaxConnectionsPercent (101) must be in 1..100"},
		{"empty database name", aurora(&queuedwriter.AuroraSink{DatabaseName: jsii.String("")}), "Aurora.DatabaseName is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("valid props rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want %q", c.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || !strings.HasPrefix(msg, "queuedwriter: ") {
				t.Fatalf("error %q, want it to contain %q", msg, c.want)
			}
			if n := strings.Count(msg, "\n") + 1; n != 1 {
				t.Errorf("want exactly one message, got %d:\n%s", n, msg)
			}
		})
	}

	// Several problems are all reported, one line each.
	err := (&queuedwriter.Props{HighThroughputFifo: jsii.Bool(true), BatchSize: jsii.Number(20000)}).Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("want three messages, got %v", err)
	}
	// New panics with the same message.
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Bad"), nil)
	msg := cdktest.Recover(func() { queuedwriter.New(stack, jsii.String("W"), &queuedwriter.Props{}) })
	if !strings.Contains(msg, "no sink") {
		t.Errorf("New panic = %q", msg)
	}
	// Derive exposes the numbers without building.
	d, err := (&queuedwriter.Props{DynamoDB: &queuedwriter.DynamoDBSink{WriteBudget: jsii.Number(40000)}}).Derive()
	if err != nil || d.MaxConcurrency != 80 || d.ReservedConcurrency != 88 {
		t.Errorf("Derive = %+v, %v", d, err)
	}
	d, _ = (&queuedwriter.Props{DynamoDB: &queuedwriter.DynamoDBSink{WriteBudget: jsii.Number(100)}}).Derive()
	if d.MaxConcurrency != 2 {
		t.Errorf("tiny budget: MaxConcurrency = %g, want the floor 2", d.MaxConcurrency)
	}
}
