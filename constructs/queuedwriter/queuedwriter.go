package queuedwriter

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/golambda"
	"github.com/campaignkit/campaignkit/internal/nag"
	"github.com/campaignkit/campaignkit/internal/ops"
)

// Environment keys the construct sets on the writer (and, for producers,
// returns from ProducerEnv). See the package documentation.
const (
	EnvQueueURL          = "QUEUE_URL"
	EnvQueueFIFO         = "QUEUE_FIFO"
	EnvQueueContentDedup = "QUEUE_CONTENT_BASED_DEDUP"
	EnvSink              = "SINK"
	EnvTableName         = "TABLE_NAME"
	EnvProxyEndpoint     = "PROXY_ENDPOINT"
	EnvDBSecretARN       = "DB_SECRET_ARN"
	EnvDBName            = "DB_NAME"
	EnvDBUser            = "DB_USER"
	EnvDBPort            = "DB_PORT"
	EnvDBIAMAuth         = "DB_IAM_AUTH"
	EnvDBMaxConns        = "DB_MAX_CONNS"
	EnvDatabaseURL       = "DATABASE_URL"
	EnvPKName            = "PK_NAME"
	EnvSKName            = "SK_NAME"
	SinkDynamoDB         = "dynamodb"
	SinkPostgres         = "postgres"
	// MetadataKey names the event source mapping's template metadata that
	// records the sink budget and how MaxConcurrency was derived.
	MetadataKey          = "campaignkit:queuedwriter"
	postgresPort         = 5432
	alarmPeriodSeconds   = 60
	oldestAgeEvalPeriods = 3
)

// QueuedWriter is an SQS queue (with DLQ and alarms) drained by a writer
// Lambda with bounded concurrency into DynamoDB or Aurora PostgreSQL.
type QueuedWriter struct {
	construct constructs.Construct
	queue     awssqs.Queue
	dlq       awssqs.Queue
	fn        *golambda.Function
	role      awsiam.Role
	esm       awslambda.EventSourceMapping
	table     awsdynamodb.Table
	cluster   awsrds.DatabaseCluster
	proxy     awsrds.DatabaseProxy
	vpc       awsec2.IVpc
	topic     awssns.ITopic
	alarms    []awscloudwatch.Alarm
	derived   Derived
	r         *resolved
}

// New creates the queue, DLQ, alarms, writer function, event source mapping
// and the sink. It panics with the Validate error on invalid props.
func New(scope constructs.Construct, id *string, props *Props) *QueuedWriter {
	r, err := props.resolve()
	if err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, id)
	q := &QueuedWriter{construct: c, derived: r.derived, r: r}
	q.topic = ops.AlarmTopic(c, "AlarmTopic", r.AlarmTopic)
	q.newQueues(r)
	q.newRole()
	env := map[string]*string{}
	if r.Environment != nil {
		for k, v := range *r.Environment {
			env[k] = v
		}
	}
	for k, v := range q.ProducerEnv() {
		env[k] = v
	}
	env[EnvPKName], env[EnvSKName] = jsii.String("pk"), jsii.String("sk")
	var vpcProps *vpcPlacement
	if r.DynamoDB != nil {
		q.newTable(r)
		env[EnvSink] = jsii.String(SinkDynamoDB)
		env[EnvTableName] = q.table.TableName()
	} else {
		vpcProps = q.newAurora(r)
		env[EnvSink] = jsii.String(SinkPostgres)
		env[EnvProxyEndpoint] = q.proxy.Endpoint()
		env[EnvDBSecretARN] = q.cluster.Secret().SecretArn()
		env[EnvDBName] = jsii.String(r.dbName)
		env[EnvDBUser] = jsii.String(DefaultDatabaseUser)
		env[EnvDBPort] = jsii.String(strconv.Itoa(postgresPort))
		env[EnvDBIAMAuth] = jsii.String("true")
		env[EnvDBMaxConns] = jsii.String(strconv.Itoa(ConnectionsPerWriter))
		// No password: the proxy requires an IAM auth token as the password
		// (rds-db:connect is granted); the writer adds it per connection.
		env[EnvDatabaseURL] = awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("postgres://" + DefaultDatabaseUser + "@"), q.proxy.Endpoint(),
			jsii.String(fmt.Sprintf(":%d/%s?sslmode=require", postgresPort, r.dbName)),
		})
	}
	q.newFunction(r, env, vpcProps)
	if r.Aurora != nil {
		q.wireAurora()
	}
	q.newAlarms(r)
	return q
}

func (q *QueuedWriter) newQueues(r *resolved) {
	enc := awssqs.QueueEncryption_SQS_MANAGED
	if r.EncryptionKey != nil {
		enc = awssqs.QueueEncryption_KMS
	}
	var fifo *bool
	if r.fifo {
		fifo = jsii.Bool(true)
	}
	q.dlq = awssqs.NewQueue(q.construct, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Fifo:                fifo,
		Encryption:          enc,
		EncryptionMasterKey: r.EncryptionKey,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(DeadLetterRetentionDays)),
	})
	nag.Suppress(q.dlq,
		nag.Rule{ID: "AwsSolutions-SQS3", Reason: "This queue is the dead-letter queue of the writer queue; a DLQ of a DLQ would only hide failures. Its depth is alarmed and `campaignkit redrive` moves messages back."},
		nag.Rule{ID: "Serverless-SQSRedrivePolicy", Reason: "This queue is the dead-letter queue of the writer queue; a DLQ of a DLQ would only hide failures. Its depth is alarmed and `campaignkit redrive` moves messages back."},
	)
	props := &awssqs.QueueProps{
		Fifo:                fifo,
		Encryption:          enc,
		EncryptionMasterKey: r.EncryptionKey,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     dur(r.retentionSeconds),
		VisibilityTimeout:   dur(r.derived.VisibilityTimeoutSeconds),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           q.dlq,
			MaxReceiveCount: jsii.Number(r.derived.MaxReceiveCount),
		},
	}
	if r.fifo {
		props.ContentBasedDeduplication = jsii.Bool(r.contentDedup)
	}
	if r.highThroughput {
		props.DeduplicationScope = awssqs.DeduplicationScope_MESSAGE_GROUP
		props.FifoThroughputLimit = awssqs.FifoThroughputLimit_PER_MESSAGE_GROUP_ID
	}
	q.queue = awssqs.NewQueue(q.construct, jsii.String("Queue"), props)
}

// newRole creates the writer's execution role; every permission is added
// explicitly below (no managed policies).
func (q *QueuedWriter) newRole() {
	q.role = awsiam.NewRole(q.construct, jsii.String("WriterRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("campaignkit queued writer: consume the queue, write the sink, log, trace"),
	})
	// ReceiveMessage, DeleteMessage, ChangeMessageVisibility,
	// GetQueueAttributes, GetQueueUrl (+ kms:Decrypt with a CMK): what the
	// event source mapping does with the function's role.
	q.queue.GrantConsumeMessages(q.role)
}

func (q *QueuedWriter) newFunction(r *resolved, env map[string]*string, vpc *vpcPlacement) {
	logs := ops.LogGroup(q.construct, "WriterLogs", r.LogRetention, r.production)
	logs.GrantWrite(q.role) // logs:CreateLogStream, logs:PutLogEvents on this group only
	fp := &awslambda.FunctionProps{
		Description:                  jsii.String("campaignkit queued writer: drains the queue into the sink"),
		Role:                         q.role,
		Timeout:                      dur(r.derived.TimeoutSeconds),
		MemorySize:                   jsii.Number(r.memory),
		ReservedConcurrentExecutions: jsii.Number(r.derived.ReservedConcurrency),
		Tracing:                      awslambda.Tracing_ACTIVE,
		LogGroup:                     logs,
		Environment:                  &env,
	}
	if vpc != nil {
		fp.Vpc = vpc.vpc
		fp.VpcSubnets = vpc.subnets
		fp.SecurityGroups = &[]awsec2.ISecurityGroup{vpc.writerSG}
	}
	q.fn = golambda.NewFunction(q.construct, jsii.String("Writer"), &golambda.FunctionProps{Entry: jsii.String(r.entry), Function: fp})
	nag.Suppress(q.fn.Function,
		nag.Rule{ID: "Serverless-LambdaDLQ", Reason: "The writer is invoked synchronously by its SQS event source mapping, never asynchronously; failed records return to the queue and move to the queue's dead-letter queue after MaxReceiveCount."},
	)
	// X-Ray's PutTraceSegments/PutTelemetryRecords do not support
	// resource-level permissions; CDK adds them for Tracing ACTIVE.
	reason := "X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions (AWS requires Resource \"*\"); the actions themselves are named, not wildcarded."
	if vpc != nil {
		reason += " Likewise the EC2 network-interface actions Lambda needs to attach the function to its VPC (ec2:Describe* cannot be scoped; AWS's own AWSLambdaVPCAccessExecutionRole uses Resource \"*\")."
	}
	nag.SuppressTree(q.role, nag.Rule{ID: "AwsSolutions-IAM5", Reason: reason, AppliesTo: []string{"Resource::*"}})

	window := dur(r.derived.MaxBatchingWindowSeconds)
	if r.derived.MaxBatchingWindowSeconds == 0 {
		window = nil
	}
	q.esm = awslambda.NewEventSourceMapping(q.construct, jsii.String("EventSource"), &awslambda.EventSourceMappingProps{
		Target:                  q.fn.Function,
		EventSourceArn:          q.queue.QueueArn(),
		BatchSize:               jsii.Number(r.derived.BatchSize),
		MaxBatchingWindow:       window,
		MaxConcurrency:          jsii.Number(r.derived.MaxConcurrency),
		ReportBatchItemFailures: jsii.Bool(true),
	})
	nag.Suppress(q.esm, nag.Rule{ID: "Serverless-LambdaEventSourceMappingDestination", Reason: "SQS event source mappings do not support on-failure destinations (only stream and Kafka sources do); the queue's redrive policy moves a record to the dead-letter queue after MaxReceiveCount receives, and DLQ depth > 0 raises an alarm."})
	// The capacity planner reads these back from the template.
	d := r.derived
	q.CfnEventSourceMapping().AddMetadata(jsii.String(MetadataKey), map[string]any{
		"sinkBudget": d.SinkBudget, "sinkBudgetUnit": d.SinkBudgetUnit, "maxConcurrency": d.MaxConcurrency,
		"reservedConcurrency": d.ReservedConcurrency, "basis": d.Basis,
	})
	// The mapping is validated against the role's permissions at creation.
	q.esm.Node().AddDependency(q.role)
}

func (q *QueuedWriter) newAlarms(r *resolved) {
	dlqDepth := awscloudwatch.NewAlarm(q.construct, jsii.String("DeadLetterDepthAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("Writes are in the dead-letter queue: inspect them, fix the cause, then `campaignkit redrive --dlq <dlq url> --to <queue url>`."),
		Metric: q.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: dur(alarmPeriodSeconds), Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(0),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	oldest := awscloudwatch.NewAlarm(q.construct, jsii.String("OldestMessageAgeAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(fmt.Sprintf("The oldest queued write is older than %g s: the writer is falling behind (sink budget, throttling or errors).", r.oldestAgeSeconds)),
		Metric: q.queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{
			Period: dur(alarmPeriodSeconds), Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(r.oldestAgeSeconds),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(oldestAgeEvalPeriods),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	q.alarms = []awscloudwatch.Alarm{dlqDepth, oldest}
	for _, a := range q.alarms {
		ops.Notify(a, q.topic)
	}
}

// GrantSend lets grantee send messages to the queue (sqs:SendMessage, which
// also covers SendMessageBatch; kms:GenerateDataKey and kms:Decrypt on the
// customer managed key when there is one).
func (q *QueuedWriter) GrantSend(grantee awsiam.IGrantable) awsiam.Grant {
	g := q.queue.Grant(grantee, jsii.String("sqs:SendMessage"))
	if k := q.r.EncryptionKey; k != nil {
		k.Grant(grantee, jsii.String("kms:GenerateDataKey"), jsii.String("kms:Decrypt"))
	}
	return g
}

// ProducerEnv returns the environment a producer needs: QUEUE_URL,
// QUEUE_FIFO ("true"/"false") and QUEUE_CONTENT_BASED_DEDUP.
func (q *QueuedWriter) ProducerEnv() map[string]*string {
	return map[string]*string{
		EnvQueueURL:          q.queue.QueueUrl(),
		EnvQueueFIFO:         jsii.String(strconv.FormatBool(q.r.fifo)),
		EnvQueueContentDedup: jsii.String(strconv.FormatBool(q.r.contentDedup)),
	}
}

// Queue is the queue producers send to.
func (q *QueuedWriter) Queue() awssqs.Queue { return q.queue }

// DeadLetterQueue receives messages received MaxReceiveCount times.
func (q *QueuedWriter) DeadLetterQueue() awssqs.Queue { return q.dlq }

// Function is the writer Lambda.
func (q *QueuedWriter) Function() *golambda.Function { return q.fn }

// Role is the writer's execution role.
func (q *QueuedWriter) Role() awsiam.Role { return q.role }

// EventSourceMapping is the SQS → writer mapping; its ScalingConfig
// (MaximumConcurrency) is what scheduled scale-down adjusts.
func (q *QueuedWriter) EventSourceMapping() awslambda.EventSourceMapping { return q.esm }

// CfnEventSourceMapping is the L1 resource behind EventSourceMapping, for
// escape hatches such as overriding ScalingConfig.MaximumConcurrency.
func (q *QueuedWriter) CfnEventSourceMapping() awslambda.CfnEventSourceMapping {
	return q.esm.Node().DefaultChild().(awslambda.CfnEventSourceMapping)
}

// Table is the DynamoDB sink, nil with Aurora.
func (q *QueuedWriter) Table() awsdynamodb.Table { return q.table }

// Cluster is the Aurora sink, nil with DynamoDB.
func (q *QueuedWriter) Cluster() awsrds.DatabaseCluster { return q.cluster }

// Proxy is the RDS Proxy in front of the cluster, nil with DynamoDB.
func (q *QueuedWriter) Proxy() awsrds.DatabaseProxy { return q.proxy }

// Vpc holds the Aurora sink and the writer, nil with DynamoDB.
func (q *QueuedWriter) Vpc() awsec2.IVpc { return q.vpc }

// AlarmTopic receives the alarms.
func (q *QueuedWriter) AlarmTopic() awssns.ITopic { return q.topic }

// Alarms are the DLQ depth and oldest-message-age alarms, in that order.
func (q *QueuedWriter) Alarms() []awscloudwatch.Alarm { return q.alarms }

// Derived returns the numbers derived from the props.
func (q *QueuedWriter) Derived() Derived { return q.derived }
