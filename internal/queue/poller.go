package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Handler is a Lambda SQS handler: the writer function's handler runs
// unchanged under lambda.Start and under a Poller. It returns the ids
// (MessageId) of the records that failed in BatchItemFailures; every other
// record is deleted. An error, a panic, or an empty or unknown item
// identifier fails the whole batch (nothing is deleted). As on Lambda, a
// FIFO handler must report a failed record and every later record of the
// same message group, or the group's order breaks.
type Handler func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error)

// PollerOptions configures a Poller like a Lambda SQS event source mapping.
type PollerOptions struct {
	// BatchSize is the most records per handler invocation, 1-10000.
	// Default 10. Above 10 it needs a BatchWindow (as on Lambda).
	BatchSize int
	// BatchWindow is how long to keep collecting once a first message is in
	// hand, until BatchSize is reached. Default 0: hand over what one receive
	// returns (up to ten messages).
	BatchWindow time.Duration
	// MaxConcurrency bounds concurrent handler invocations (the event source
	// mapping's maximum concurrency). Default 2, Lambda's minimum.
	MaxConcurrency int
	// VisibilityTimeout, when set, overrides the queue's for each receive
	// (whole seconds, rounded up). Default 0: the queue's.
	VisibilityTimeout time.Duration
	// HandlerTimeout is the deadline of each invocation's context. Default:
	// VisibilityTimeout when set, otherwise none.
	HandlerTimeout time.Duration
	// WaitTime is the long-poll wait of a receive while the batch is empty,
	// whole seconds up to 20. Default 20 s.
	WaitTime time.Duration
	// ErrorBackoff is the pause after a failed receive. Default 1 s.
	ErrorBackoff time.Duration
	// EventSourceARN is put on every record. Default: derived from the queue
	// URL (EmbeddedARN for embedded URLs, arn:aws:sqs:<region>:<account>:<name>
	// for SQS URLs).
	EventSourceARN string
	// AWSRegion is put on every record and used to derive the ARN of
	// non-AWS endpoints (moto). Default: from the URL, else "us-east-1".
	AWSRegion string
	// Logger receives receive, handler and delete errors. Default slog.Default().
	Logger *slog.Logger
}

// Validate reports the first problem with o, naming the field and the fix.
func (o PollerOptions) Validate() error {
	switch {
	case o.BatchSize < 0 || o.BatchSize > 10000:
		return fmt.Errorf("queue: PollerOptions.BatchSize (%d) must be between 1 and 10000 (0 = 10)", o.BatchSize)
	case o.BatchSize > 10 && o.BatchWindow <= 0:
		return fmt.Errorf("queue: PollerOptions.BatchSize (%d) above 10 needs a BatchWindow > 0", o.BatchSize)
	case o.BatchWindow < 0 || o.BatchWindow > 5*time.Minute:
		return fmt.Errorf("queue: PollerOptions.BatchWindow (%s) must be between 0 and 5m", o.BatchWindow)
	case o.MaxConcurrency < 0 || o.MaxConcurrency > 1000:
		return fmt.Errorf("queue: PollerOptions.MaxConcurrency (%d) must be between 1 and 1000 (0 = 2)", o.MaxConcurrency)
	case o.VisibilityTimeout < 0 || o.VisibilityTimeout > 12*time.Hour:
		return fmt.Errorf("queue: PollerOptions.VisibilityTimeout (%s) must be between 0 and 12h", o.VisibilityTimeout)
	case o.WaitTime < 0 || o.WaitTime > 20*time.Second:
		return fmt.Errorf("queue: PollerOptions.WaitTime (%s) must be between 0 and 20s", o.WaitTime)
	case o.HandlerTimeout < 0 || o.ErrorBackoff < 0:
		return fmt.Errorf("queue: PollerOptions.HandlerTimeout and ErrorBackoff must not be negative")
	}
	return nil
}

// PollerStats counts what a Poller did since it was made.
type PollerStats struct {
	// Received counts messages received.
	Received int64
	// Deleted counts messages deleted after the handler succeeded for them.
	Deleted int64
	// Retried counts messages left on the queue for redelivery (reported
	// failed, or in a failed batch).
	Retried int64
	// Batches counts handler invocations.
	Batches int64
	// FailedBatches counts invocations that returned an error, panicked or
	// reported an unknown item identifier.
	FailedBatches int64
	// DeleteErrors counts messages whose deletion failed (they will be
	// redelivered).
	DeleteErrors int64
}

// Poller feeds a queue's messages to a Handler the way Lambda's SQS event
// source does: batches of up to BatchSize within BatchWindow, at most
// MaxConcurrency invocations at once, partial batch responses (only the
// reported records stay for redelivery), whole-batch retry on error or
// panic. It works with any Receiver: *Embedded or *sqs.Client.
type Poller struct {
	recv    Receiver
	url     string
	handler Handler
	opts    PollerOptions
	log     *slog.Logger

	received, deleted, retried, batches, failedBatches, deleteErrors atomic.Int64
}

// NewPoller returns a Poller of queueURL; start it with Run.
func NewPoller(recv Receiver, queueURL string, handler Handler, opts PollerOptions) (*Poller, error) {
	if recv == nil || handler == nil || queueURL == "" {
		return nil, errors.New("queue: NewPoller needs a Receiver, a queue URL and a Handler")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = 10
	}
	if opts.MaxConcurrency == 0 {
		opts.MaxConcurrency = 2
	}
	if opts.WaitTime == 0 {
		opts.WaitTime = 20 * time.Second
	}
	if opts.ErrorBackoff == 0 {
		opts.ErrorBackoff = time.Second
	}
	if opts.HandlerTimeout == 0 {
		opts.HandlerTimeout = opts.VisibilityTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	arn, region := sourceARN(queueURL, opts.AWSRegion)
	if opts.EventSourceARN == "" {
		opts.EventSourceARN = arn
	}
	if opts.AWSRegion == "" {
		opts.AWSRegion = region
	}
	return &Poller{recv: recv, url: queueURL, handler: handler, opts: opts, log: opts.Logger.With("queue", queueURL)}, nil
}

// sourceARN derives a queue's ARN and region from its URL.
func sourceARN(queueURL, region string) (arn, reg string) {
	name := queueName(queueURL)
	if strings.HasPrefix(queueURL, EmbeddedURLPrefix) {
		if region == "" {
			region = "local"
		}
		return EmbeddedARN(name), region
	}
	account := "000000000000"
	if u, err := url.Parse(queueURL); err == nil {
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		if len(parts) == 2 {
			account = parts[0]
		}
		if h := strings.Split(u.Hostname(), "."); region == "" && len(h) >= 3 && h[0] == "sqs" {
			region = h[1]
		}
	}
	if region == "" {
		region = "us-east-1"
	}
	return "arn:aws:sqs:" + region + ":" + account + ":" + name, region
}

// Stats returns the counters so far.
func (p *Poller) Stats() PollerStats {
	return PollerStats{
		Received: p.received.Load(), Deleted: p.deleted.Load(), Retried: p.retried.Load(),
		Batches: p.batches.Load(), FailedBatches: p.failedBatches.Load(), DeleteErrors: p.deleteErrors.Load(),
	}
}

// Run polls until ctx is cancelled, then stops receiving, lets the
// batches in hand finish (handlers and deletes run on a context that is
// not cancelled with ctx) and returns nil. Call it once. Against SQS, a
// long poll cut short by the cancellation may leave messages invisible
// until their visibility timeout; they are redelivered, not lost.
func (p *Poller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range p.opts.MaxConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.worker(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// worker is one of MaxConcurrency loops: collect a batch, invoke, ack.
func (p *Poller) worker(ctx context.Context) {
	for ctx.Err() == nil {
		msgs := p.collect(ctx)
		if len(msgs) > 0 {
			p.process(context.WithoutCancel(ctx), msgs)
		}
	}
}

// collect receives until BatchSize messages or, once one is in hand, until
// BatchWindow has passed. Messages received before ctx ends are returned.
func (p *Poller) collect(ctx context.Context) []types.Message {
	var (
		msgs []types.Message
		end  time.Time
	)
	for len(msgs) < p.opts.BatchSize && ctx.Err() == nil {
		wait := p.opts.WaitTime
		if len(msgs) > 0 {
			wait = time.Until(end)
			if wait <= 0 {
				break
			}
		}
		in := &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.url),
			MaxNumberOfMessages:         int32(min(10, p.opts.BatchSize-len(msgs))),
			WaitTimeSeconds:             int32(wait / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		}
		if v := p.opts.VisibilityTimeout; v > 0 {
			in.VisibilityTimeout = int32((v + time.Second - 1) / time.Second)
		}
		out, err := p.recv.ReceiveMessage(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			p.log.Error("receive failed", "err", err)
			sleep(ctx, p.opts.ErrorBackoff)
			continue
		}
		if len(out.Messages) > 0 {
			if len(msgs) == 0 {
				end = time.Now().Add(p.opts.BatchWindow)
			}
			msgs = append(msgs, out.Messages...)
			p.received.Add(int64(len(out.Messages)))
		}
		if len(msgs) == 0 {
			if in.WaitTimeSeconds == 0 { // sub-second long poll: don't spin
				sleep(ctx, min(wait, 20*time.Millisecond))
			}
			continue
		}
		if p.opts.BatchWindow <= 0 {
			break
		}
		if len(out.Messages) == 0 && in.WaitTimeSeconds == 0 {
			sleep(ctx, min(time.Until(end), 10*time.Millisecond))
		}
	}
	return msgs
}

// sleep pauses for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// process invokes the handler on msgs and deletes what succeeded.
func (p *Poller) process(ctx context.Context, msgs []types.Message) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, m := range msgs {
		ev.Records[i] = p.toEvent(m)
	}
	p.batches.Add(1)
	resp, err := p.invoke(ctx, ev)
	if err != nil {
		p.failedBatches.Add(1)
		p.retried.Add(int64(len(msgs)))
		p.log.Error("handler failed; batch left for redelivery", "records", len(msgs), "err", err)
		return
	}
	failed := make(map[string]bool, len(resp.BatchItemFailures))
	ids := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		ids[aws.ToString(m.MessageId)] = true
	}
	for _, f := range resp.BatchItemFailures {
		if !ids[f.ItemIdentifier] {
			// Lambda treats an empty or unknown identifier as a failure of the whole batch.
			p.failedBatches.Add(1)
			p.retried.Add(int64(len(msgs)))
			p.log.Error("handler reported an unknown item identifier; batch left for redelivery", "itemIdentifier", f.ItemIdentifier)
			return
		}
		failed[f.ItemIdentifier] = true
	}
	p.retried.Add(int64(len(failed)))
	var del []types.DeleteMessageBatchRequestEntry
	for _, m := range msgs {
		if !failed[aws.ToString(m.MessageId)] {
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(len(del))), ReceiptHandle: m.ReceiptHandle})
		}
	}
	for len(del) > 0 {
		n := min(len(del), maxBatchEntries)
		p.deleteChunk(ctx, del[:n])
		del = del[n:]
	}
}

// invoke calls the handler, turning a panic into an error.
func (p *Poller) invoke(ctx context.Context, ev events.SQSEvent) (resp events.SQSEventResponse, err error) {
	if p.opts.HandlerTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.opts.HandlerTimeout)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return p.handler(ctx, ev)
}

// deleteChunk deletes up to ten messages, retrying transient failures a
// few times; what still fails is counted and will be redelivered.
func (p *Poller) deleteChunk(ctx context.Context, entries []types.DeleteMessageBatchRequestEntry) {
	for attempt := 0; ; attempt++ {
		for i := range entries { // ids must be 0..n-1 of this chunk
			entries[i].Id = aws.String(fmt.Sprint(i))
		}
		out, err := p.recv.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.url), Entries: entries})
		var retry []types.DeleteMessageBatchRequestEntry
		if err != nil {
			retry = entries
		} else {
			p.deleted.Add(int64(len(out.Successful)))
			for _, f := range out.Failed {
				var i int
				if _, err := fmt.Sscan(aws.ToString(f.Id), &i); err != nil || i < 0 || i >= len(entries) {
					continue
				}
				if f.SenderFault { // e.g. invalid receipt handle: retrying will not help
					p.deleteErrors.Add(1)
					p.log.Error("delete failed", "code", aws.ToString(f.Code), "message", aws.ToString(f.Message))
					continue
				}
				retry = append(retry, entries[i])
			}
		}
		if len(retry) == 0 {
			return
		}
		if attempt == 2 {
			p.deleteErrors.Add(int64(len(retry)))
			p.log.Error("delete failed; messages will be redelivered", "messages", len(retry), "err", err)
			return
		}
		entries = retry
		sleep(ctx, time.Duration(attempt+1)*100*time.Millisecond)
	}
}

// toEvent converts a received SDK message to the Lambda record.
func (p *Poller) toEvent(m types.Message) events.SQSMessage {
	r := events.SQSMessage{
		MessageId:              aws.ToString(m.MessageId),
		ReceiptHandle:          aws.ToString(m.ReceiptHandle),
		Body:                   aws.ToString(m.Body),
		Md5OfBody:              aws.ToString(m.MD5OfBody),
		Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
		Attributes:             make(map[string]string, len(m.Attributes)),
		MessageAttributes:      make(map[string]events.SQSMessageAttribute, len(m.MessageAttributes)),
		EventSourceARN:         p.opts.EventSourceARN,
		EventSource:            "aws:sqs",
		AWSRegion:              p.opts.AWSRegion,
	}
	for k, v := range m.Attributes {
		r.Attributes[k] = v
	}
	for k, v := range m.MessageAttributes {
		r.MessageAttributes[k] = events.SQSMessageAttribute{
			DataType:         aws.ToString(v.DataType),
			StringValue:      v.StringValue,
			BinaryValue:      v.BinaryValue,
			StringListValues: v.StringListValues,
			BinaryListValues: v.BinaryListValues,
		}
	}
	return r
}
