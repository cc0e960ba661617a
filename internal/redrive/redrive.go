// Package redrive moves messages from a dead-letter queue back to the queue
// they came from, without ever losing one: a message is deleted from the DLQ
// only after SQS accepted it on the target queue. It backs `campaignkit
// redrive`, the documented recovery step of the QueuedDatabaseWriter.
package redrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQS is the part of the SQS API redrive uses; *sqs.Client satisfies it.
type SQS interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

var _ SQS = (*sqs.Client)(nil)

// Options say what to move.
type Options struct {
	// DLQ is the URL of the dead-letter queue to drain. Required.
	DLQ string
	// Target is the URL of the queue to move messages to. Required.
	Target string
	// Max is the most messages to move; 0 moves all.
	Max int
	// DryRun lists what would move without sending or deleting anything
	// (messages are only received, and reappear after VisibilityTimeout).
	DryRun bool
	// VisibilityTimeout hides received messages while they are moved, in
	// seconds. Default: 30.
	VisibilityTimeout int32
	// WaitTime is the long-poll wait of each receive, in seconds; an empty
	// long poll ends the run. Default: 2.
	WaitTime int32
	// Progress receives one line per batch. Default: none.
	Progress io.Writer
}

// Result counts what happened.
type Result struct {
	// Received is the number of distinct DLQ messages seen.
	Received int
	// Moved were sent to the target and deleted from the DLQ.
	Moved int
	// Failed could not be sent and stay in the DLQ.
	Failed int
	// Undeleted were sent but their delete failed: they reappear in the DLQ
	// and a later run sends them again (the writer is idempotent; on FIFO
	// the deduplication id makes a resend within 5 minutes a no-op).
	Undeleted int
}

// ErrIncomplete is returned (wrapped) when some messages could not be moved.
var ErrIncomplete = errors.New("redrive incomplete")

// DedupPrefix starts the deduplication id of a message redriven to a FIFO
// queue; the rest is the DLQ message id, so resending the same DLQ message
// within SQS's 5-minute window is deduplicated.
const DedupPrefix = "redrive-"

// Run moves messages from opts.DLQ to opts.Target: receive up to 10, send
// them with the same body, message attributes and message group id, then
// delete from the DLQ exactly those the target accepted.
func Run(ctx context.Context, client SQS, opts Options) (Result, error) {
	var res Result
	if opts.DLQ == "" || opts.Target == "" {
		return res, errors.New("redrive: both the DLQ and the target queue URL are required")
	}
	if opts.DLQ == opts.Target {
		return res, errors.New("redrive: the DLQ and the target are the same queue")
	}
	if opts.Max < 0 {
		return res, fmt.Errorf("redrive: max (%d) must be ≥ 0", opts.Max)
	}
	dlqFIFO, targetFIFO := isFIFO(opts.DLQ), isFIFO(opts.Target)
	if dlqFIFO != targetFIFO {
		return res, fmt.Errorf("redrive: the DLQ (FIFO %t) and the target (FIFO %t) must both be FIFO or both standard", dlqFIFO, targetFIFO)
	}
	if opts.VisibilityTimeout <= 0 {
		opts.VisibilityTimeout = 30
	}
	if opts.WaitTime < 0 || opts.WaitTime > 20 {
		return res, fmt.Errorf("redrive: wait time (%d s) must be in 0..20", opts.WaitTime)
	}
	if opts.WaitTime == 0 {
		opts.WaitTime = 2
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}

	depth, err := approximateDepth(ctx, client, opts.DLQ)
	if err != nil {
		return res, err
	}
	if _, err := approximateDepth(ctx, client, opts.Target); err != nil {
		return res, err
	}
	verb := "moving"
	if opts.DryRun {
		verb = "dry run: listing"
	}
	fmt.Fprintf(progress, "%s messages from %s to %s (about %d in the DLQ", verb, opts.DLQ, opts.Target, depth)
	if opts.Max > 0 {
		fmt.Fprintf(progress, ", at most %d", opts.Max)
	}
	fmt.Fprintln(progress, ")")

	seen := map[string]bool{}
	var firstErr error
	for opts.Max == 0 || res.Received < opts.Max {
		n := int32(10)
		if opts.Max > 0 && opts.Max-res.Received < 10 {
			n = int32(opts.Max - res.Received)
		}
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(opts.DLQ),
			MaxNumberOfMessages:         n,
			VisibilityTimeout:           opts.VisibilityTimeout,
			WaitTimeSeconds:             opts.WaitTime,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameMessageGroupId, types.MessageSystemAttributeNameAWSTraceHeader},
		})
		if err != nil {
			return res, fmt.Errorf("redrive: receive from %s: %w", opts.DLQ, err)
		}
		var batch []types.Message
		for _, m := range out.Messages {
			id := aws.ToString(m.MessageId)
			if seen[id] {
				continue // a message we failed on, visible again
			}
			seen[id] = true
			batch = append(batch, m)
		}
		if len(batch) == 0 {
			break // empty long poll (or only messages already handled)
		}
		res.Received += len(batch)
		if opts.DryRun {
			for _, m := range batch {
				fmt.Fprintf(progress, "  would move %s%s (%d bytes)\n", aws.ToString(m.MessageId), groupNote(m), len(aws.ToString(m.Body)))
			}
			continue
		}
		moved, failed, undeleted, err := move(ctx, client, opts.DLQ, opts.Target, targetFIFO, batch)
		res.Moved += moved
		res.Failed += failed
		res.Undeleted += undeleted
		if err != nil && firstErr == nil {
			firstErr = err
		}
		fmt.Fprintf(progress, "moved %d (total %d moved, %d failed, %d not deleted)\n", moved, res.Moved, res.Failed, res.Undeleted)
	}
	if opts.DryRun {
		fmt.Fprintf(progress, "dry run: %d message(s) would move; nothing was sent or deleted\n", res.Received)
		return res, nil
	}
	fmt.Fprintf(progress, "done: %d moved, %d failed (left in the DLQ), %d sent but not deleted\n", res.Moved, res.Failed, res.Undeleted)
	if res.Failed > 0 || res.Undeleted > 0 {
		return res, fmt.Errorf("redrive: %w: %d failed, %d not deleted: %w", ErrIncomplete, res.Failed, res.Undeleted, firstErr)
	}
	return res, nil
}

// move sends batch to target and deletes from dlq what the target accepted.
func move(ctx context.Context, client SQS, dlq, target string, fifo bool, batch []types.Message) (moved, failed, undeleted int, err error) {
	entries := make([]types.SendMessageBatchRequestEntry, 0, len(batch))
	byEntry := map[string]types.Message{}
	for i, m := range batch {
		id := "m" + strconv.Itoa(i)
		e := types.SendMessageBatchRequestEntry{
			Id:                aws.String(id),
			MessageBody:       m.Body,
			MessageAttributes: m.MessageAttributes,
		}
		if h, ok := m.Attributes[string(types.MessageSystemAttributeNameAWSTraceHeader)]; ok {
			e.MessageSystemAttributes = map[string]types.MessageSystemAttributeValue{
				string(types.MessageSystemAttributeNameForSendsAWSTraceHeader): {DataType: aws.String("String"), StringValue: aws.String(h)},
			}
		}
		if fifo {
			g, ok := m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]
			if !ok {
				return 0, len(batch), 0, fmt.Errorf("redrive: FIFO message %s has no message group id", aws.ToString(m.MessageId))
			}
			e.MessageGroupId = aws.String(g)
			e.MessageDeduplicationId = aws.String(DedupPrefix + aws.ToString(m.MessageId))
		}
		entries = append(entries, e)
		byEntry[id] = m
	}
	out, sendErr := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(target), Entries: entries})
	if sendErr != nil {
		return 0, len(batch), 0, fmt.Errorf("redrive: send %d message(s) to %s: %w", len(batch), target, sendErr)
	}
	var errs []error
	for _, f := range out.Failed {
		failed++
		errs = append(errs, fmt.Errorf("send %s: %s %s", aws.ToString(byEntry[aws.ToString(f.Id)].MessageId), aws.ToString(f.Code), aws.ToString(f.Message)))
	}
	if fifo && len(out.Failed) > 0 {
		// Later messages of a group must not overtake a failed one.
		return 0, len(batch), 0, fmt.Errorf("redrive: FIFO batch not deleted because %d send(s) failed (the sent ones are deduplicated on retry): %w", len(out.Failed), errors.Join(errs...))
	}
	del := make([]types.DeleteMessageBatchRequestEntry, 0, len(out.Successful))
	for _, s := range out.Successful {
		m := byEntry[aws.ToString(s.Id)]
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: s.Id, ReceiptHandle: m.ReceiptHandle})
	}
	if len(del) > 0 {
		dout, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(dlq), Entries: del})
		if err != nil {
			undeleted += len(del)
			errs = append(errs, fmt.Errorf("delete %d message(s) from %s: %w", len(del), dlq, err))
		} else {
			moved += len(dout.Successful)
			for _, f := range dout.Failed {
				undeleted++
				errs = append(errs, fmt.Errorf("delete %s: %s %s", aws.ToString(byEntry[aws.ToString(f.Id)].MessageId), aws.ToString(f.Code), aws.ToString(f.Message)))
			}
		}
	}
	if len(errs) > 0 {
		return moved, failed, undeleted, fmt.Errorf("redrive: %w", errors.Join(errs...))
	}
	return moved, failed, undeleted, nil
}

func approximateDepth(ctx context.Context, client SQS, url string) (int, error) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		return 0, fmt.Errorf("redrive: queue %s: %w", url, err)
	}
	n, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	return n, nil
}

func isFIFO(url string) bool { return strings.HasSuffix(url, ".fifo") }

func groupNote(m types.Message) string {
	if g, ok := m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]; ok {
		return " group " + g
	}
	return ""
}
