package queue_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/campaignkit/campaignkit/internal/queue"
)

// TestPollerFailedBatchIsRetried: a handler error, a panic, or an unknown
// item identifier leaves the whole batch for redelivery (Lambda's rules).
func TestPollerFailedBatchIsRetried(t *testing.T) {
	tests := []struct {
		name string
		fail func(ev events.SQSEvent) (events.SQSEventResponse, error)
	}{
		{"Error", func(events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, errors.New("database down")
		}},
		{"Panic", func(events.SQSEvent) (events.SQSEventResponse, error) { panic("boom") }},
		{"UnknownItemIdentifier", func(events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "not-in-batch"}}}, nil
		}},
		{"EmptyItemIdentifier", func(events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{}}}, nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// GIVEN three messages and a handler that fails its first invocation
			c, urls := embeddedQueues(t, queue.QueueConfig{Name: "w", VisibilityTimeout: time.Second})
			url := urls["w"]
			for i := range 3 {
				send(t, c, url, strconv.Itoa(i), "", "")
			}
			var calls atomic.Int32
			second := make(chan events.SQSEvent, 1)
			h := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
				if calls.Add(1) == 1 {
					return tc.fail(ev)
				}
				second <- ev
				return events.SQSEventResponse{}, nil
			}
			// WHEN the poller runs
			p, stop := runPoller(t, c, url, h, queue.PollerOptions{BatchSize: 3, BatchWindow: 200 * time.Millisecond, MaxConcurrency: 1, WaitTime: time.Second,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			// THEN all three come back, received a second time, and are then deleted
			select {
			case ev := <-second:
				if len(ev.Records) != 3 {
					t.Fatalf("redelivered %d records, want 3", len(ev.Records))
				}
				for _, r := range ev.Records {
					if r.Attributes["ApproximateReceiveCount"] != "2" {
						t.Errorf("record %s receive count %s", r.Body, r.Attributes["ApproximateReceiveCount"])
					}
				}
			case <-time.After(10 * time.Second):
				t.Fatal("batch not redelivered")
			}
			stop()
			if s := p.Stats(); s.FailedBatches != 1 || s.Deleted != 3 || s.Retried != 3 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestPollerBoundsConcurrency(t *testing.T) {
	// GIVEN 60 messages and a slow handler
	c, urls := embeddedQueues(t, queue.QueueConfig{Name: "w"})
	url := urls["w"]
	p := queue.NewProducer(c, url)
	var envs []queue.Envelope
	for i := range 60 {
		envs = append(envs, queue.Envelope{Kind: "k", IdempotencyKey: strconv.Itoa(i), Data: []byte(`1`)})
	}
	if _, err := p.EnqueueBatch(context.Background(), envs); err != nil {
		t.Fatal(err)
	}
	var cur, peak, seen atomic.Int32
	all := make(chan struct{})
	h := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
		if seen.Add(int32(len(ev.Records))) == 60 {
			close(all)
		}
		return events.SQSEventResponse{}, nil
	}
	// WHEN a poller with MaxConcurrency 3 and batch size 2 drains them
	_, stop := runPoller(t, c, url, h, queue.PollerOptions{BatchSize: 2, MaxConcurrency: 3, WaitTime: time.Second})
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatalf("only %d of 60 handled", seen.Load())
	}
	stop()
	// THEN no more than three invocations ever overlapped, and they did overlap
	if pk := peak.Load(); pk > 3 || pk < 2 {
		t.Fatalf("peak concurrency %d, want 2..3", pk)
	}
}

func TestPollerBatchWindowCollects(t *testing.T) {
	// GIVEN 25 messages arriving over ~100 ms
	c, urls := embeddedQueues(t, queue.QueueConfig{Name: "w"})
	url := urls["w"]
	sizes := make(chan int, 10)
	h := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		sizes <- len(ev.Records)
		return events.SQSEventResponse{}, nil
	}
	// WHEN the poller has BatchSize 25 and a 1 s window
	_, stop := runPoller(t, c, url, h, queue.PollerOptions{BatchSize: 25, BatchWindow: time.Second, MaxConcurrency: 1, WaitTime: time.Second})
	for i := range 25 {
		send(t, c, url, strconv.Itoa(i), "", "")
		time.Sleep(4 * time.Millisecond)
	}
	// THEN they arrive as one invocation of 25
	select {
	case n := <-sizes:
		if n != 25 {
			t.Fatalf("first batch had %d records, want 25", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no batch")
	}
	stop()
}

func TestPollerDrainsOnShutdown(t *testing.T) {
	// GIVEN a handler in the middle of a batch
	e := openEmbedded(t, filepath.Join(t.TempDir(), "q.db"), queue.QueueConfig{Name: "w"})
	defer e.Close()
	url := queue.EmbeddedURL("w")
	send(t, e, url, "m", "", "")
	entered, release := make(chan struct{}), make(chan struct{})
	var handlerCtxErr error
	h := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		close(entered)
		<-release
		handlerCtxErr = ctx.Err()
		return events.SQSEventResponse{}, nil
	}
	p, err := queue.NewPoller(e, url, h, queue.PollerOptions{MaxConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	<-entered
	// WHEN Run's context is cancelled
	cancel()
	// THEN Run waits for the batch, whose context is not cancelled, and its deletion
	select {
	case <-done:
		t.Fatal("Run returned before the in-flight batch finished")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the drain")
	}
	if handlerCtxErr != nil {
		t.Errorf("handler context cancelled: %v", handlerCtxErr)
	}
	if e.Depth("w") != 0 || e.InFlight("w") != 0 {
		t.Fatalf("message not deleted after drain: depth %d in flight %d", e.Depth("w"), e.InFlight("w"))
	}
}

func TestPollerRecordFields(t *testing.T) {
	// GIVEN a FIFO message sent by the producer
	c, urls := embeddedQueues(t, queue.QueueConfig{Name: "w.fifo", FIFO: true})
	url := urls["w.fifo"]
	if _, err := queue.NewProducer(c, url).Enqueue(context.Background(), queue.Envelope{Kind: "vote", IdempotencyKey: "v1", GroupID: "poll", Data: []byte(`{"o":1}`)}); err != nil {
		t.Fatal(err)
	}
	got := make(chan events.SQSMessage, 1)
	_, stop := runPoller(t, c, url, func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		got <- ev.Records[0]
		return events.SQSEventResponse{}, nil
	}, queue.PollerOptions{WaitTime: time.Second})
	r := <-got
	stop()
	// THEN the record carries what a Lambda SQS record carries
	checks := map[string]bool{
		"MessageId":               r.MessageId != "",
		"ReceiptHandle":           r.ReceiptHandle != "",
		"Md5OfBody":               r.Md5OfBody == md5hex(r.Body),
		"ApproximateReceiveCount": r.Attributes["ApproximateReceiveCount"] == "1",
		"MessageGroupId":          r.Attributes["MessageGroupId"] == "poll",
		"MessageDeduplicationId":  r.Attributes["MessageDeduplicationId"] == "v1",
		"SentTimestamp":           r.Attributes["SentTimestamp"] != "",
		"IdempotencyKey":          aws.ToString(r.MessageAttributes[queue.AttrIdempotencyKey].StringValue) == "v1",
		"EventSourceARN":          r.EventSourceARN == queue.EmbeddedARN("w.fifo"),
		"EventSource":             r.EventSource == "aws:sqs",
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("record field %s wrong: %+v", name, r)
		}
	}
	if env, err := queue.DecodeEnvelope(r.Body); err != nil || env.Kind != "vote" || string(env.Data) != `{"o":1}` {
		t.Errorf("envelope %+v, %v", env, err)
	}
}

func TestPollerOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts queue.PollerOptions
		ok   bool
	}{
		{"Defaults", queue.PollerOptions{}, true},
		{"Big batch with window", queue.PollerOptions{BatchSize: 100, BatchWindow: time.Second}, true},
		{"Big batch without window", queue.PollerOptions{BatchSize: 100}, false},
		{"Negative concurrency", queue.PollerOptions{MaxConcurrency: -1}, false},
		{"Wait above 20s", queue.PollerOptions{WaitTime: 21 * time.Second}, false},
		{"Huge batch", queue.PollerOptions{BatchSize: 10001, BatchWindow: time.Second}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.opts.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok %t", err, tc.ok)
			}
		})
	}
}

// flakyReceiver fails the first receive and the first delete call.
type flakyReceiver struct {
	queue.Receiver
	mu                sync.Mutex
	receives, deletes int
}

func (f *flakyReceiver) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, o ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.mu.Lock()
	f.receives++
	n := f.receives
	f.mu.Unlock()
	if n == 1 {
		return nil, errors.New("connection reset")
	}
	return f.Receiver.ReceiveMessage(ctx, in, o...)
}

func (f *flakyReceiver) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, o ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	f.mu.Lock()
	f.deletes++
	n := f.deletes
	f.mu.Unlock()
	if n == 1 { // the first entry fails transiently
		out, err := f.Receiver.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: in.QueueUrl, Entries: in.Entries[1:]}, o...)
		if err != nil {
			return nil, err
		}
		out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: in.Entries[0].Id, Code: aws.String("InternalError"), SenderFault: false})
		return out, nil
	}
	return f.Receiver.DeleteMessageBatch(ctx, in, o...)
}

func TestPollerRetriesTransientErrors(t *testing.T) {
	// GIVEN a receiver whose first receive errors and first delete partly fails
	c, urls := embeddedQueues(t, queue.QueueConfig{Name: "w"})
	url := urls["w"]
	for i := range 3 {
		send(t, c, url, strconv.Itoa(i), "", "")
	}
	f := &flakyReceiver{Receiver: c}
	var seen atomic.Int32
	p, stop := runPoller(t, f, url, func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		seen.Add(int32(len(ev.Records)))
		return events.SQSEventResponse{}, nil
	}, queue.PollerOptions{MaxConcurrency: 1, BatchSize: 3, BatchWindow: 100 * time.Millisecond, WaitTime: time.Second, ErrorBackoff: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	deadline := time.Now().Add(5 * time.Second)
	for p.Stats().Deleted < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	// THEN all three were handled once and deleted, the failed delete retried
	if s := p.Stats(); s.Deleted != 3 || s.DeleteErrors != 0 || seen.Load() != 3 {
		t.Fatalf("stats %+v, handled %d", s, seen.Load())
	}
	e := c.(*queue.Embedded)
	if e.Depth("w")+e.InFlight("w") != 0 {
		t.Fatal("messages left on the queue")
	}
}
