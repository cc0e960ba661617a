// Package queuedwriter is the QueuedDatabaseWriter construct: producers
// enqueue writes on SQS and a Go writer Lambda drains them into DynamoDB or
// Aurora PostgreSQL Serverless v2 at a concurrency the database can take, so
// a traffic peak never loses a write and never drowns the database.
//
//	qw := queuedwriter.New(stack, jsii.String("Donations"), &queuedwriter.Props{
//		Production: jsii.Bool(true),
//		DynamoDB:   &queuedwriter.DynamoDBSink{WriteBudget: jsii.Number(8000)},
//	})
//	qw.GrantSend(apiFunction)            // sqs:SendMessage (+ kms with a CMK)
//	for k, v := range qw.ProducerEnv() { // QUEUE_URL, QUEUE_FIFO, ...
//		apiFunction.AddEnvironment(jsii.String(k), v, nil)
//	}
//
// # What it builds
//
//   - A queue (standard, or FIFO with optional high-throughput mode and
//     content-based or explicit deduplication), SSE (SQS-managed or a KMS
//     key) and a TLS-only queue policy. Its visibility timeout is derived:
//     6 × writer timeout + batching window, as Lambda recommends.
//   - A dead-letter queue (same FIFO-ness and key, 14 days retention) that
//     receives a message after MaxReceiveCount receives (default 5).
//   - Alarms to an SNS topic (given or created): DLQ depth > 0, and age of
//     the oldest message on the queue ≥ OldestMessageAgeAlarm (default 5 min,
//     3 of 3 minutes).
//   - The writer Lambda (golambda: arm64, provided.al2023), X-Ray active,
//     its own log group with retention, an explicit least-privilege role
//     (no managed policies), reserved concurrency, and an SQS event source
//     with BatchSize, MaxBatchingWindow, MaximumConcurrency and
//     ReportBatchItemFailures.
//   - The sink: a DynamoDB table (pk/sk strings, on-demand unless
//     WriteCapacity is set, point-in-time recovery, AWS managed or customer
//     KMS key), or an Aurora PostgreSQL Serverless v2 cluster (a writer
//     and a reader that scales with it, spread by RDS over the subnet
//     group's AZs, private subnets, storage encryption, IAM authentication, backups, generated
//     credentials in Secrets Manager rotated every 30 days) behind an RDS
//     Proxy (IAM auth required, TLS required). Without a given VPC it creates
//     one: two AZs, isolated subnets only (no NAT), flow logs to CloudWatch
//     Logs and a Secrets Manager interface endpoint. Production stages get
//     deletion protection and RETAIN; other stages are destroyed with the
//     stack.
//
// # Concurrency derived from the sink's budget
//
// The event source's MaximumConcurrency is what protects the database
// (Derived().Basis says how it was obtained):
//
//	DynamoDB: floor(WriteBudget ÷ (RecordsPerSecondPerWriter × WriteUnitsPerRecord))
//	          defaults 4,000 WU/s ÷ (500 records/s × 1 WU) = 8
//	Aurora:   floor(MaxACU × 180 connections/ACU × MaxConnectionsPercent × 0.5) ÷ 1 connection per writer
//	          defaults 4 × 180 × 50% × 0.5 = 180
//
// clamped to Lambda's 2..1000. The writer's reserved concurrency defaults to
// MaxConcurrency + max(2, 10%) and must never be below it: a throttled
// writer returns messages to the queue, and after MaxReceiveCount they are
// dead-lettered although nothing was wrong with them. On a FIFO queue the
// effective concurrency is also bounded by the number of active message
// groups. The ScheduledScaleDown construct changes MaximumConcurrency
// through EventSourceMapping() / CfnEventSourceMapping(). The numbers are
// also written to the event source mapping's template metadata under
// "campaignkit:queuedwriter" (sinkBudget, sinkBudgetUnit, maxConcurrency,
// reservedConcurrency, basis) for the capacity planner. The proxy's
// connection borrow timeout is half the function timeout, so an exhausted
// pool fails records (retried via the queue) instead of timing out the batch.
//
// # Writer environment contract
//
// Both sinks:
//
//	QUEUE_URL                   URL of the queue being drained
//	QUEUE_FIFO                  "true" or "false"
//	QUEUE_CONTENT_BASED_DEDUP   "true" or "false"
//	SINK                        "dynamodb" or "postgres"
//	PK_NAME, SK_NAME            key attribute / column names ("pk", "sk")
//
// DynamoDB:
//
//	TABLE_NAME                  the table
//
// Aurora PostgreSQL (connect through the proxy with an IAM auth token as
// the password; rds-db:connect for DB_USER is granted, the proxy refuses
// passwords and plain-text connections):
//
//	PROXY_ENDPOINT, DB_PORT     proxy host name and port (5432)
//	DB_NAME, DB_USER            database and user ("campaign", "campaignkit")
//	DB_IAM_AUTH                 "true"
//	DB_SECRET_ARN               the cluster credentials' secret (read is granted)
//	DATABASE_URL                postgres://DB_USER@PROXY_ENDPOINT:5432/DB_NAME?sslmode=require (no password)
//	DB_MAX_CONNS                "1": one connection per execution environment,
//	                            which is what the connection budget assumes
//
// Props.Environment adds keys of your own; the construct's keys win.
//
// # Redrive
//
// When the DLQ alarm fires, find and fix the cause (the writer's logs name
// each failed record), then move the messages back:
//
//	campaignkit redrive --dlq <dlq url> --to <queue url> [--max N] [--dry-run]
//
// It receives from the DLQ, sends each message to the queue with the same
// body, attributes and FIFO group id (a fresh deduplication id derived from
// the original message id), and deletes it from the DLQ only after the send
// succeeded, so a crash can duplicate a write (the writer is idempotent) but
// never lose one. SQS's native redrive (console "Start DLQ redrive", or the
// StartMessageMoveTask API / `aws sqs start-message-move-task`) does the
// same server-side; campaignkit redrive also works against emulators and
// lets you stop after N messages or look first with --dry-run.
package queuedwriter
