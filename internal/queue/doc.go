// Package queue is the queue side of the campaignkit runtime: ports that copy
// the aws-sdk-go-v2 SQS client's signatures (so *sqs.Client is the AWS
// adapter as-is), a producer helper that enqueues idempotent JSON envelopes,
// an embedded, bbolt-persisted queue with SQS semantics for local runs and
// tests, and a poller that feeds batches to a Lambda-style SQS handler.
//
// The same writer handler, func(ctx, events.SQSEvent) (events.SQSEventResponse,
// error), runs on Lambda (behind an SQS event source) and locally (behind a
// Poller over the Embedded queue or a real SQS endpoint).
package queue
