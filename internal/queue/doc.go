// Package queue is the queue side of the campaignkit runtime: ports that copy
// the aws-sdk-go-v2 SQS client's signatures, a producer of idempotent JSON
// envelopes, an embedded SQS-compatible queue persisted in bbolt for local
// runs and tests, and a poller that feeds batches to a Lambda SQS handler.
//
// # Ports and adapters
//
// Sender (SendMessage, SendMessageBatch) and Receiver (ReceiveMessage,
// DeleteMessage(Batch), ChangeMessageVisibility(Batch)) have the SDK's
// signatures: *sqs.Client is the AWS adapter as-is, *Embedded the local one.
// Client is both.
//
// # Producing
//
// NewProducer(sender, queueURL).Enqueue(ctx, Envelope{Kind, IdempotencyKey,
// GroupID, Data}) writes the JSON envelope {"kind", "idempotencyKey",
// "groupId", "enqueuedAt", "data"} as the body, the key and kind as message
// attributes (AttrIdempotencyKey, AttrKind) and, for FIFO queues (URL ending
// in ".fifo"), MessageGroupId (GroupID, default the key) and
// MessageDeduplicationId (the key). Consumers decode with DecodeEnvelope and
// make writes idempotent on the key.
//
// # Embedded queue
//
// OpenEmbedded(path, EmbeddedOptions{Queues: ...}) opens one bbolt file
// holding any number of named queues. Queue URLs are EmbeddedURL(name) =
// "http://127.0.0.1/queue/<name>" (only the last path segment matters; the
// host is never contacted) and ARNs EmbeddedARN(name) =
// "arn:aws:sqs:local:000000000000:<name>". SendMessage returns only after
// the message is committed and fsynced; concurrent senders share commits
// (group commit), so a SIGKILL never loses an acknowledged message and
// throughput grows with the number of concurrent senders.
//
// # Consuming
//
// NewPoller(receiver, queueURL, handler, PollerOptions{...}).Run(ctx) runs
// a func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
// with Lambda's event source rules (batch size and window, maximum
// concurrency, partial batch responses, whole-batch retry on error or
// panic) until ctx is cancelled, then drains. Dead-lettered messages go
// back with internal/redrive (`campaignkit redrive`), on SQS and Embedded.
package queue
