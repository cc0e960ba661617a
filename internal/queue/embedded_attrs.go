package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// GetQueueAttributes reports the queue attributes Embedded knows:
// ApproximateNumberOfMessages (visible), ApproximateNumberOfMessagesNotVisible
// (in flight), ApproximateNumberOfMessagesDelayed, QueueArn,
// VisibilityTimeout, MaximumMessageSize, FifoQueue,
// ContentBasedDeduplication and RedrivePolicy. Ask for "All" or by name,
// as with SQS; the depth attributes let the same monitoring code read
// Embedded and SQS.
func (e *Embedded) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q, err := e.lookup(in.QueueUrl)
	if err != nil {
		return nil, fmt.Errorf("embedded: get queue attributes: %w", err)
	}
	if q.expire(time.Now().UnixNano()) {
		q.notify()
	}
	vis := q.cfg.VisibilityTimeout
	if vis == 0 {
		vis = DefaultVisibilityTimeout
	}
	all := map[types.QueueAttributeName]string{
		types.QueueAttributeNameApproximateNumberOfMessages:           strconv.Itoa(q.nvisible),
		types.QueueAttributeNameApproximateNumberOfMessagesNotVisible: strconv.Itoa(q.inflight),
		types.QueueAttributeNameApproximateNumberOfMessagesDelayed:    strconv.Itoa(q.delayed),
		types.QueueAttributeNameQueueArn:                              EmbeddedARN(q.cfg.Name),
		types.QueueAttributeNameVisibilityTimeout:                     strconv.Itoa(int(vis / time.Second)),
		types.QueueAttributeNameMaximumMessageSize:                    strconv.Itoa(e.maxBytes),
	}
	if q.cfg.FIFO {
		all[types.QueueAttributeNameFifoQueue] = "true"
		all[types.QueueAttributeNameContentBasedDeduplication] = strconv.FormatBool(q.cfg.ContentBasedDeduplication)
	}
	if q.cfg.DeadLetterQueue != "" {
		all[types.QueueAttributeNameRedrivePolicy] = fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, EmbeddedARN(q.cfg.DeadLetterQueue), q.cfg.MaxReceiveCount)
	}
	out := &sqs.GetQueueAttributesOutput{Attributes: map[string]string{}}
	for _, n := range in.AttributeNames {
		if n == types.QueueAttributeNameAll {
			for k, v := range all {
				out.Attributes[string(k)] = v
			}
			continue
		}
		if v, ok := all[n]; ok {
			out.Attributes[string(n)] = v
		}
	}
	return out, nil
}

// GetQueueUrl returns EmbeddedURL(name) for an existing queue, or
// types.QueueDoesNotExist.
func (e *Embedded) GetQueueUrl(_ context.Context, in *sqs.GetQueueUrlInput, _ ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	name := aws.ToString(in.QueueName)
	if _, err := e.lookup(aws.String(EmbeddedURL(name))); err != nil || name == "" {
		if err == nil {
			err = &types.QueueDoesNotExist{Message: aws.String("The specified queue does not exist.")}
		}
		return nil, fmt.Errorf("embedded: get queue url %s: %w", name, err)
	}
	return &sqs.GetQueueUrlOutput{QueueUrl: aws.String(EmbeddedURL(name))}, nil
}
