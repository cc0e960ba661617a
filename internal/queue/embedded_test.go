package queue_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/campaignkit/campaignkit/internal/queue"
)

func openEmbedded(t *testing.T, path string, cfgs ...queue.QueueConfig) *queue.Embedded {
	t.Helper()
	e, err := queue.OpenEmbedded(path, queue.EmbeddedOptions{Queues: cfgs})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEmbeddedPersistsAcrossRestart: GIVEN stored, in-flight, deleted,
// dead-lettered and deduplicated messages, WHEN the queue is closed and
// reopened (without repeating the config), THEN unacknowledged messages
// survive, in-flight ones are visible again with their receive counts, and
// deletions, dead-letter moves and dedup ids are kept.
func TestEmbeddedPersistsAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	cfgs := []queue.QueueConfig{
		{Name: "dlq"},
		{Name: "work", MaxReceiveCount: 2, DeadLetterQueue: "dlq"},
		{Name: "f.fifo", FIFO: true},
	}
	e := openEmbedded(t, path, cfgs...)
	work, dlq, fifo := queue.EmbeddedURL("work"), queue.EmbeddedURL("dlq"), queue.EmbeddedURL("f.fifo")
	for _, b := range []string{"a", "b", "c", "d", "e"} {
		send(t, e, work, b, "", "")
	}
	send(t, e, fifo, "f1", "g", "dedup-1")
	got := receive(t, e, work, 3, 0) // a, b, c in flight
	if strings.Join(bodies(got), ",") != "a,b,c" {
		t.Fatalf("received %v", bodies(got))
	}
	del(t, e, work, got[0]) // a deleted
	// c fails twice: the third receive dead-letters it and returns d instead
	back := func(m types.Message) {
		if _, err := e.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(work), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	back(got[2])
	c := receive(t, e, work, 1, 0)
	if len(c) != 1 || aws.ToString(c[0].Body) != "c" || c[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("second receive of c: %v", c)
	}
	back(c[0])
	if got := receive(t, e, work, 1, 0); len(got) != 1 || aws.ToString(got[0].Body) != "d" {
		t.Fatalf("after dead-lettering c received %v, want d", bodies(got))
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e = openEmbedded(t, path)
	defer e.Close()
	if d, f := e.Depth("work"), e.InFlight("work"); d != 3 || f != 0 {
		t.Fatalf("after restart depth %d in flight %d, want 3 and 0", d, f)
	}
	if d := e.Depth("dlq"); d != 1 {
		t.Fatalf("dlq depth %d, want 1", d)
	}
	counts := map[string]string{}
	for _, m := range receive(t, e, work, 10, 0) {
		counts[aws.ToString(m.Body)] = m.Attributes["ApproximateReceiveCount"]
	}
	if want := map[string]string{"b": "2", "d": "2", "e": "1"}; !equalMaps(counts, want) {
		t.Errorf("receive counts after restart %v, want %v", counts, want)
	}
	if got := receive(t, e, dlq, 10, 0); len(got) != 1 || aws.ToString(got[0].Body) != "c" {
		t.Errorf("dlq holds %v, want c", bodies(got))
	}
	// the dedup window survives the restart
	send(t, e, fifo, "f1 again", "g", "dedup-1")
	if got := receive(t, e, fifo, 10, 0); len(got) != 1 || aws.ToString(got[0].Body) != "f1" {
		t.Errorf("fifo holds %v, want only f1", bodies(got))
	}
	// sequence numbers keep increasing: a new message goes after the old ones
	send(t, e, fifo, "f2", "h", "dedup-2")
	if got := receive(t, e, fifo, 10, 0); len(got) != 1 || aws.ToString(got[0].Body) != "f2" {
		t.Errorf("received %v, want f2", bodies(got))
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestEmbeddedSecondOpenFails(t *testing.T) {
	// GIVEN an open queue file WHEN another opener tries it THEN it fails after the timeout
	path := filepath.Join(t.TempDir(), "q.db")
	e := openEmbedded(t, path, queue.QueueConfig{Name: "w"})
	defer e.Close()
	if _, err := queue.OpenEmbedded(path, queue.EmbeddedOptions{OpenTimeout: 50 * time.Millisecond}); err == nil {
		t.Fatal("second open succeeded")
	}
}

func TestQueueConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfgs []queue.QueueConfig
		want string // substring of the error; "" = valid
	}{
		{"Valid", []queue.QueueConfig{{Name: "d"}, {Name: "w", MaxReceiveCount: 3, DeadLetterQueue: "d"}}, ""},
		{"EmptyName", []queue.QueueConfig{{}}, "Name"},
		{"BadChars", []queue.QueueConfig{{Name: "a b"}}, "letters"},
		{"FIFOWithoutSuffix", []queue.QueueConfig{{Name: "x", FIFO: true}}, ".fifo"},
		{"SuffixWithoutFIFO", []queue.QueueConfig{{Name: "x.fifo"}}, ".fifo"},
		{"DLQWithoutCount", []queue.QueueConfig{{Name: "d"}, {Name: "w", DeadLetterQueue: "d"}}, "MaxReceiveCount"},
		{"UndeclaredDLQ", []queue.QueueConfig{{Name: "w", MaxReceiveCount: 3, DeadLetterQueue: "nope"}}, "not declared"},
		{"DLQOfOtherType", []queue.QueueConfig{{Name: "d"}, {Name: "w.fifo", FIFO: true, MaxReceiveCount: 3, DeadLetterQueue: "d"}}, "same type"},
		{"ContentDedupOnStandard", []queue.QueueConfig{{Name: "w", ContentBasedDeduplication: true}}, "FIFO"},
		{"NegativeVisibility", []queue.QueueConfig{{Name: "w", VisibilityTimeout: -1}}, "VisibilityTimeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := queue.OpenEmbedded(filepath.Join(t.TempDir(), "q.db"), queue.EmbeddedOptions{Queues: tc.cfgs})
			if err == nil {
				e.Close()
			}
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestEmbeddedLongPollWakesOnSend(t *testing.T) {
	// GIVEN a receiver long-polling an empty queue
	e := openEmbedded(t, filepath.Join(t.TempDir(), "q.db"), queue.QueueConfig{Name: "w"})
	defer e.Close()
	url := queue.EmbeddedURL("w")
	got := make(chan []types.Message)
	go func() { got <- receive(t, e, url, 10, 10) }()
	time.Sleep(50 * time.Millisecond)
	// WHEN a message is sent
	start := time.Now()
	send(t, e, url, "hello", "", "")
	// THEN the receive returns it at once, not after the wait time
	select {
	case ms := <-got:
		if len(ms) != 1 || time.Since(start) > 2*time.Second {
			t.Fatalf("got %v after %s", bodies(ms), time.Since(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll did not wake")
	}
}

func TestEmbeddedReceiveHonoursContext(t *testing.T) {
	// GIVEN a long poll WHEN its context is cancelled THEN it returns promptly, taking nothing
	e := openEmbedded(t, filepath.Join(t.TempDir(), "q.db"), queue.QueueConfig{Name: "w"})
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := e.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue.EmbeddedURL("w")), WaitTimeSeconds: 20})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestEmbeddedDelaySeconds(t *testing.T) {
	// GIVEN a message sent with DelaySeconds 1
	e := openEmbedded(t, filepath.Join(t.TempDir(), "q.db"), queue.QueueConfig{Name: "w"})
	defer e.Close()
	url := queue.EmbeddedURL("w")
	if _, err := e.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("later"), DelaySeconds: 1}); err != nil {
		t.Fatal(err)
	}
	// THEN it is invisible at first and a long poll gets it once the delay ends
	if e.Delayed("w") != 1 || len(receive(t, e, url, 1, 0)) != 0 {
		t.Fatal("delayed message visible at once")
	}
	if got := receive(t, e, url, 1, 3); len(got) != 1 {
		t.Fatal("delayed message never arrived")
	}
}

func TestEmbeddedReceiptHandles(t *testing.T) {
	e := openEmbedded(t, filepath.Join(t.TempDir(), "q.db"), queue.QueueConfig{Name: "w", VisibilityTimeout: 30 * time.Second})
	defer e.Close()
	url := queue.EmbeddedURL("w")
	ctx := context.Background()
	send(t, e, url, "m", "", "")
	first := receive(t, e, url, 1, 0)[0]
	if _, err := e.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: first.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	second := receive(t, e, url, 1, 0)[0]
	tests := []struct {
		name string
		call func() error
		want any // pointer to the SDK error type; nil = success
	}{
		{"MalformedHandleDelete", func() error {
			_, err := e.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("nonsense")})
			return err
		}, new(*types.ReceiptHandleIsInvalid)},
		{"StaleHandleDeleteIsNoop", func() error {
			_, err := e.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first.ReceiptHandle})
			return err
		}, nil},
		{"StaleHandleChangeVisibility", func() error {
			_, err := e.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 5})
			return err
		}, new(*types.MessageNotInflight)},
		{"UnknownQueue", func() error {
			_, err := e.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue.EmbeddedURL("nope"))})
			return err
		}, new(*types.QueueDoesNotExist)},
		{"EmptyBatch", func() error {
			_, err := e.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url)})
			return err
		}, new(*types.EmptyBatchRequest)},
		{"DuplicateBatchIDs", func() error {
			_, err := e.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
				{Id: aws.String("x"), ReceiptHandle: second.ReceiptHandle}, {Id: aws.String("x"), ReceiptHandle: second.ReceiptHandle}}})
			return err
		}, new(*types.BatchEntryIdsNotDistinct)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			switch want := tc.want.(type) {
			case nil:
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
			case **types.ReceiptHandleIsInvalid:
				if !errors.As(err, want) {
					t.Fatalf("err = %v", err)
				}
			case **types.MessageNotInflight:
				if !errors.As(err, want) {
					t.Fatalf("err = %v", err)
				}
			case **types.QueueDoesNotExist:
				if !errors.As(err, want) {
					t.Fatalf("err = %v", err)
				}
			case **types.EmptyBatchRequest:
				if !errors.As(err, want) {
					t.Fatalf("err = %v", err)
				}
			case **types.BatchEntryIdsNotDistinct:
				if !errors.As(err, want) {
					t.Fatalf("err = %v", err)
				}
			}
		})
	}
	// the stale delete did not delete the redelivered message
	if e.InFlight("w") != 1 {
		t.Fatalf("in flight %d, want 1", e.InFlight("w"))
	}
	del(t, e, url, second)
	if e.InFlight("w") != 0 || e.Depth("w") != 0 {
		t.Fatal("message not deleted")
	}
}

func TestEmbeddedClose(t *testing.T) {
	// GIVEN a long poll on an open queue WHEN the queue closes THEN the poll and later calls fail with ErrClosed
	e := openEmbedded(t, filepath.Join(t.TempDir(), "q.db"), queue.QueueConfig{Name: "w"})
	errc := make(chan error)
	go func() {
		_, err := e.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue.EmbeddedURL("w")), WaitTimeSeconds: 20})
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("long poll err = %v", err)
	}
	if _, err := e.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(queue.EmbeddedURL("w")), MessageBody: aws.String("x")}); !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("send after close err = %v", err)
	}
}

func TestEmbeddedLongPollWakesWhenFIFOGroupUnlocks(t *testing.T) {
	// GIVEN a FIFO group whose head is in flight and a receiver long-polling
	e := openEmbedded(t, filepath.Join(t.TempDir(), "q.db"), queue.QueueConfig{Name: "w.fifo", FIFO: true})
	defer e.Close()
	url := queue.EmbeddedURL("w.fifo")
	send(t, e, url, "1", "g", "1")
	send(t, e, url, "2", "g", "2")
	head := receive(t, e, url, 1, 0)[0]
	got := make(chan []types.Message)
	go func() { got <- receive(t, e, url, 10, 10) }()
	time.Sleep(50 * time.Millisecond)
	// WHEN the head is deleted
	start := time.Now()
	del(t, e, url, head)
	// THEN the receiver gets the next message of the group at once
	select {
	case ms := <-got:
		if len(ms) != 1 || aws.ToString(ms[0].Body) != "2" || time.Since(start) > 2*time.Second {
			t.Fatalf("got %v after %s", bodies(ms), time.Since(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll did not wake when the group unlocked")
	}
}

func TestEmbeddedQueueAttributesAndURL(t *testing.T) {
	// GIVEN a FIFO queue with a DLQ and one message
	e := openEmbedded(t, filepath.Join(t.TempDir(), "q.db"),
		queue.QueueConfig{Name: "d.fifo", FIFO: true},
		queue.QueueConfig{Name: "w.fifo", FIFO: true, VisibilityTimeout: 45 * time.Second, MaxReceiveCount: 4, DeadLetterQueue: "d.fifo"})
	defer e.Close()
	ctx := context.Background()
	// WHEN its URL and attributes are asked for
	u, err := e.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("w.fifo")})
	if err != nil || aws.ToString(u.QueueUrl) != "http://127.0.0.1/queue/w.fifo" {
		t.Fatalf("GetQueueUrl = %v, %v", u, err)
	}
	if _, err := e.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")}); !errors.As(err, new(*types.QueueDoesNotExist)) {
		t.Fatalf("GetQueueUrl(nope) err = %v", err)
	}
	send(t, e, aws.ToString(u.QueueUrl), "m", "g", "1")
	out, err := e.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	// THEN they describe the queue as SQS would
	want := map[string]string{
		"ApproximateNumberOfMessages":           "1",
		"ApproximateNumberOfMessagesNotVisible": "0",
		"ApproximateNumberOfMessagesDelayed":    "0",
		"QueueArn":                              "arn:aws:sqs:local:000000000000:w.fifo",
		"VisibilityTimeout":                     "45",
		"MaximumMessageSize":                    "262144",
		"FifoQueue":                             "true",
		"ContentBasedDeduplication":             "false",
		"RedrivePolicy":                         `{"deadLetterTargetArn":"arn:aws:sqs:local:000000000000:d.fifo","maxReceiveCount":4}`,
	}
	if !equalMaps(out.Attributes, want) {
		t.Fatalf("attributes %v\nwant %v", out.Attributes, want)
	}
}
