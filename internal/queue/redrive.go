package queue

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Redrive moves messages from a dead-letter queue back to a source queue
// (typically after fixing the bug that poisoned them): it receives from
// fromURL, re-sends body and message attributes to toURL and deletes each
// message from fromURL only after its send succeeded, so a failure midway
// duplicates at most, never loses. max bounds the number moved (0: until
// fromURL looks empty). For a FIFO target the MessageGroupId is kept and
// the MessageDeduplicationId is fresh (the original would still be inside
// the five-minute window); consumers dedupe by idempotency key. Works with
// *sqs.Client and *Embedded alike; it returns how many were moved.
func Redrive(ctx context.Context, c Client, fromURL, toURL string, max int) (int, error) {
	fifo := strings.HasSuffix(toURL, ".fifo")
	moved := 0
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	for max == 0 || moved < max {
		n := int32(maxBatchEntries)
		if max > 0 {
			n = int32(min(maxBatchEntries, max-moved))
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(fromURL), MaxNumberOfMessages: n, WaitTimeSeconds: 1, VisibilityTimeout: 60,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameMessageGroupId},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return moved, fmt.Errorf("redrive %s: receive: %w", fromURL, err)
		}
		if len(out.Messages) == 0 {
			return moved, nil
		}
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(toURL)}
		for i, m := range out.Messages {
			e := types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: m.Body, MessageAttributes: m.MessageAttributes}
			if fifo {
				g := m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]
				if g == "" {
					g = aws.ToString(m.MessageId)
				}
				e.MessageGroupId = aws.String(g)
				e.MessageDeduplicationId = aws.String("redrive-" + stamp + "-" + aws.ToString(m.MessageId))
			}
			in.Entries = append(in.Entries, e)
		}
		sent, err := c.SendMessageBatch(ctx, in)
		if err != nil {
			return moved, fmt.Errorf("redrive %s to %s: send: %w", fromURL, toURL, err)
		}
		var del []types.DeleteMessageBatchRequestEntry
		for _, ok := range sent.Successful {
			i, err := strconv.Atoi(aws.ToString(ok.Id))
			if err != nil || i < 0 || i >= len(out.Messages) {
				continue
			}
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: ok.Id, ReceiptHandle: out.Messages[i].ReceiptHandle})
		}
		if len(del) > 0 {
			d, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(fromURL), Entries: del})
			if err != nil {
				return moved, fmt.Errorf("redrive %s: delete: %w", fromURL, err)
			}
			moved += len(d.Successful)
		}
		if len(sent.Failed) > 0 {
			f := sent.Failed[0]
			return moved, fmt.Errorf("redrive %s to %s: %d messages not sent (first: %s: %s); they stay in the dead-letter queue", fromURL, toURL, len(sent.Failed), aws.ToString(f.Code), aws.ToString(f.Message))
		}
	}
	return moved, nil
}
