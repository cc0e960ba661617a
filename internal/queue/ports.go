package queue

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Sender is the port producers use to put messages on a queue. Its methods
// copy (*sqs.Client) signatures, so the SDK client is the AWS adapter and
// *Embedded the local one.
type Sender interface {
	// SendMessage delivers one message to the queue named by in.QueueUrl.
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	// SendMessageBatch delivers up to ten messages; per-entry failures are
	// reported in the output's Failed list, not as an error.
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Receiver is the port consumers (the Poller) use to take messages off a
// queue and acknowledge them. Its methods copy (*sqs.Client) signatures.
type Receiver interface {
	// ReceiveMessage returns up to ten visible messages and hides them for the
	// visibility timeout.
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	// DeleteMessage acknowledges one received message by its receipt handle.
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	// DeleteMessageBatch acknowledges up to ten received messages.
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	// ChangeMessageVisibility extends or shortens one message's visibility timeout.
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	// ChangeMessageVisibilityBatch changes the visibility timeout of up to ten messages.
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

// Client is both ports: what a process that produces and consumes needs.
// *sqs.Client and *Embedded satisfy it.
type Client interface {
	Sender
	Receiver
}

var (
	_ Sender   = (*sqs.Client)(nil)
	_ Receiver = (*sqs.Client)(nil)
	_ Client   = (*sqs.Client)(nil)
	_ Client   = (*Embedded)(nil)
)
