package queue_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/campaignkit/campaignkit/internal/queue"
	"github.com/campaignkit/campaignkit/internal/redrive"
)

// newQueues makes fresh, empty queues for one test and returns the client
// and each queue's URL by its declared name.
type newQueues func(t *testing.T, cfgs ...queue.QueueConfig) (queue.Client, map[string]string)

// embeddedQueues opens an embedded queue in a temp dir.
func embeddedQueues(t *testing.T, cfgs ...queue.QueueConfig) (queue.Client, map[string]string) {
	t.Helper()
	e, err := queue.OpenEmbedded(filepath.Join(t.TempDir(), "queue.db"), queue.EmbeddedOptions{Queues: cfgs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	urls := map[string]string{}
	for _, c := range cfgs {
		urls[c.Name] = queue.EmbeddedURL(c.Name)
	}
	return e, urls
}

var motoQueueSeq atomic.Int64

// motoQueues creates uniquely named queues on the shared moto_server.
func motoQueues(t *testing.T, cfgs ...queue.QueueConfig) (queue.Client, map[string]string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	c := sqs.NewFromConfig(cfg)
	n := motoQueueSeq.Add(1)
	urls, arns := map[string]string{}, map[string]string{}
	for _, qc := range cfgs { // DLQs are declared before their sources
		name := strings.TrimSuffix(qc.Name, ".fifo") + "-" + strconv.FormatInt(n, 10)
		attrs := map[string]string{}
		if qc.FIFO {
			name += ".fifo"
			attrs["FifoQueue"] = "true"
		}
		if qc.ContentBasedDeduplication {
			attrs["ContentBasedDeduplication"] = "true"
		}
		if qc.VisibilityTimeout > 0 {
			attrs["VisibilityTimeout"] = strconv.Itoa(int(qc.VisibilityTimeout / time.Second))
		}
		if qc.MaxReceiveCount > 0 {
			attrs["RedrivePolicy"] = fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, arns[qc.DeadLetterQueue], qc.MaxReceiveCount)
		}
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			t.Fatalf("create moto queue %s: %v", name, err)
		}
		a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		urls[qc.Name], arns[qc.Name] = aws.ToString(out.QueueUrl), a.Attributes["QueueArn"]
	}
	return c, urls
}

// TestContract runs one suite against the embedded queue and moto's SQS:
// both must behave the same for everything the runtime relies on.
func TestContract(t *testing.T) {
	backends := []struct {
		name string
		new  newQueues
	}{
		{"embedded", embeddedQueues},
		{"moto", motoQueues},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			runContract(t, b.new)
		})
	}
}

// runContract is the shared suite.
func runContract(t *testing.T, newQ newQueues) {
	tests := []struct {
		name string
		run  func(t *testing.T, newQ newQueues)
	}{
		{"SendReceiveDelete", contractSendReceiveDelete},
		{"VisibilityTimeoutRedelivers", contractVisibilityTimeout},
		{"ChangeMessageVisibility", contractChangeVisibility},
		{"ProducerBatchAndEnvelope", contractProducerBatch},
		{"PollerPartialBatchFailure", contractPartialFailure},
		{"PoisonMessageDeadLettered", contractPoison},
		{"FIFOGroupOrdering", contractFIFOOrdering},
		{"FIFODeduplication", contractFIFODedup},
		{"Redrive", contractRedrive},
		{"Errors", contractErrors},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newQ)
		})
	}
}

// receive performs one ReceiveMessage asking for all attributes.
func receive(t *testing.T, c queue.Receiver, url string, max int32, wait int32) []types.Message {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: max, WaitTimeSeconds: wait,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return out.Messages
}

// receiveN receives until n messages arrived (or the deadline passes).
func receiveN(t *testing.T, c queue.Receiver, url string, n int, within time.Duration) []types.Message {
	t.Helper()
	var got []types.Message
	end := time.Now().Add(within)
	for len(got) < n && time.Now().Before(end) {
		got = append(got, receive(t, c, url, int32(min(10, n-len(got))), 1)...)
	}
	if len(got) != n {
		t.Fatalf("received %d messages, want %d", len(got), n)
	}
	return got
}

// send sends one message, with optional FIFO group and dedup id.
func send(t *testing.T, c queue.Sender, url, body, group, dedup string) string {
	t.Helper()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}
	if group != "" {
		in.MessageGroupId = aws.String(group)
	}
	if dedup != "" {
		in.MessageDeduplicationId = aws.String(dedup)
	}
	out, err := c.SendMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("send %s: %v", body, err)
	}
	return aws.ToString(out.MessageId)
}

func del(t *testing.T, c queue.Receiver, url string, m types.Message) {
	t.Helper()
	if _, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatalf("delete: %v", err)
	}
}

func bodies(ms []types.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}

func contractSendReceiveDelete(t *testing.T, newQ newQueues) {
	// GIVEN a standard queue with three messages, one with attributes
	c, urls := newQ(t, queue.QueueConfig{Name: "basic"})
	url := urls["basic"]
	ids := map[string]string{}
	for _, b := range []string{"a", "b"} {
		ids[b] = send(t, c, url, b, "", "")
	}
	out, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("c"),
		MessageAttributes: map[string]types.MessageAttributeValue{"Kind": {DataType: aws.String("String"), StringValue: aws.String("vote")}}})
	if err != nil {
		t.Fatal(err)
	}
	ids["c"] = aws.ToString(out.MessageId)
	// WHEN all are received
	got := receiveN(t, c, url, 3, 10*time.Second)
	// THEN each arrives once with its id, receive count 1 and attributes
	sort.Slice(got, func(i, j int) bool { return aws.ToString(got[i].Body) < aws.ToString(got[j].Body) })
	if b := strings.Join(bodies(got), ","); b != "a,b,c" {
		t.Fatalf("bodies %s, want a,b,c", b)
	}
	for _, m := range got {
		if aws.ToString(m.MessageId) != ids[aws.ToString(m.Body)] {
			t.Errorf("message %s: id %s, want %s", aws.ToString(m.Body), aws.ToString(m.MessageId), ids[aws.ToString(m.Body)])
		}
		if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SentTimestamp"] == "" {
			t.Errorf("message %s: attributes %v", aws.ToString(m.Body), m.Attributes)
		}
		if aws.ToString(m.MD5OfBody) != md5hex(aws.ToString(m.Body)) {
			t.Errorf("message %s: MD5OfBody %s", aws.ToString(m.Body), aws.ToString(m.MD5OfBody))
		}
	}
	if v := got[2].MessageAttributes["Kind"]; aws.ToString(v.StringValue) != "vote" || aws.ToString(v.DataType) != "String" {
		t.Errorf("message attribute Kind = %+v", v)
	}
	// AND nothing is visible while they are in flight; deleted ones never return
	if extra := receive(t, c, url, 10, 0); len(extra) != 0 {
		t.Fatalf("in-flight messages visible: %v", bodies(extra))
	}
	if vis, inflight := depth(t, c, url); vis != 0 || inflight != 3 {
		t.Fatalf("depth %d visible, %d in flight; want 0, 3", vis, inflight)
	}
	_, err = c.DeleteMessageBatch(context.Background(), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("0"), ReceiptHandle: got[0].ReceiptHandle}, {Id: aws.String("1"), ReceiptHandle: got[1].ReceiptHandle}}})
	if err != nil {
		t.Fatal(err)
	}
	del(t, c, url, got[2])
	del(t, c, url, got[2]) // deleting twice is harmless
	if extra := receive(t, c, url, 10, 0); len(extra) != 0 {
		t.Fatalf("deleted messages came back: %v", bodies(extra))
	}
	if vis, inflight := depth(t, c, url); vis != 0 || inflight != 0 {
		t.Fatalf("depth %d visible, %d in flight after deleting all", vis, inflight)
	}
}

// attributer is what depth needs; *sqs.Client and *queue.Embedded have it.
type attributer interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// depth reads ApproximateNumberOfMessages(NotVisible) through GetQueueAttributes.
func depth(t *testing.T, c queue.Client, url string) (visible, inflight int) {
	t.Helper()
	out, err := c.(attributer).GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	visible, _ = strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	inflight, _ = strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return visible, inflight
}

func contractVisibilityTimeout(t *testing.T, newQ newQueues) {
	// GIVEN a queue with a 1 s visibility timeout and a received message
	c, urls := newQ(t, queue.QueueConfig{Name: "vis", VisibilityTimeout: time.Second})
	url := urls["vis"]
	id := send(t, c, url, "m", "", "")
	first := receiveN(t, c, url, 1, 5*time.Second)[0]
	// WHEN it is not deleted before the timeout
	time.Sleep(1100 * time.Millisecond)
	// THEN it is redelivered with the same id and receive count 2
	again := receiveN(t, c, url, 1, 5*time.Second)[0]
	if aws.ToString(again.MessageId) != id || again.Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("redelivered %s count %s, want %s count 2", aws.ToString(again.MessageId), again.Attributes["ApproximateReceiveCount"], id)
	}
	if aws.ToString(again.ReceiptHandle) == aws.ToString(first.ReceiptHandle) {
		t.Error("redelivery reused the receipt handle")
	}
	del(t, c, url, again)
}

func contractChangeVisibility(t *testing.T, newQ newQueues) {
	// GIVEN a received message with a long visibility timeout
	c, urls := newQ(t, queue.QueueConfig{Name: "chg", VisibilityTimeout: 30 * time.Second})
	url := urls["chg"]
	send(t, c, url, "m", "", "")
	m := receiveN(t, c, url, 1, 5*time.Second)[0]
	// WHEN its visibility is set to 0
	if _, err := c.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	// THEN it is visible at once, received a second time
	again := receiveN(t, c, url, 1, 5*time.Second)[0]
	if again.Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("receive count %s, want 2", again.Attributes["ApproximateReceiveCount"])
	}
	// AND extending it via the batch call keeps it hidden
	out, err := c.ChangeMessageVisibilityBatch(context.Background(), &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("x"), ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 60}}})
	if err != nil || len(out.Successful) != 1 {
		t.Fatalf("change visibility batch: %v %+v", err, out)
	}
	if extra := receive(t, c, url, 1, 0); len(extra) != 0 {
		t.Fatal("message visible after extending its timeout")
	}
	del(t, c, url, again)
}

func contractProducerBatch(t *testing.T, newQ newQueues) {
	// GIVEN a producer on a standard queue
	c, urls := newQ(t, queue.QueueConfig{Name: "prod"})
	url := urls["prod"]
	p := queue.NewProducer(c, url)
	var envs []queue.Envelope
	for i := range 23 {
		envs = append(envs, queue.Envelope{Kind: "donation", IdempotencyKey: fmt.Sprintf("don-%02d", i), Data: json.RawMessage(fmt.Sprintf(`{"cents":%d}`, i))})
	}
	envs = append(envs, queue.Envelope{Kind: "donation", Data: json.RawMessage(`{}`)}) // no key
	// WHEN a batch of 24 (one invalid) is enqueued
	res, err := p.EnqueueBatch(context.Background(), envs)
	// THEN 23 are enqueued and only the invalid one is reported
	if !errors.Is(err, queue.ErrBatchIncomplete) {
		t.Fatalf("err = %v, want ErrBatchIncomplete", err)
	}
	for i, r := range res {
		if (i == 23) != (r.Err != nil) || (r.Err == nil) == (r.MessageID == "") {
			t.Errorf("result %d = %+v", i, r)
		}
	}
	if !errors.Is(res[23].Err, queue.ErrEmptyIdempotencyKey) {
		t.Errorf("invalid entry error = %v", res[23].Err)
	}
	// AND each message decodes to its envelope, with the key attribute
	keys := map[string]bool{}
	for _, m := range receiveN(t, c, url, 23, 15*time.Second) {
		env, err := queue.DecodeEnvelope(aws.ToString(m.Body))
		if err != nil {
			t.Fatal(err)
		}
		if env.Kind != "donation" || env.EnqueuedAt.IsZero() || aws.ToString(m.MessageAttributes[queue.AttrIdempotencyKey].StringValue) != env.IdempotencyKey {
			t.Errorf("envelope %+v attributes %v", env, m.MessageAttributes)
		}
		keys[env.IdempotencyKey] = true
	}
	if len(keys) != 23 {
		t.Errorf("%d distinct keys, want 23", len(keys))
	}
}

// runPoller runs a poller until stop is closed; the returned func stops it
// and waits for the drain.
func runPoller(t *testing.T, c queue.Receiver, url string, h queue.Handler, opts queue.PollerOptions) (*queue.Poller, func()) {
	t.Helper()
	p, err := queue.NewPoller(c, url, h, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("poller run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return p, stop
}

func contractPartialFailure(t *testing.T, newQ newQueues) {
	// GIVEN six messages and a handler that fails the odd ones on first receive
	c, urls := newQ(t, queue.QueueConfig{Name: "partial", VisibilityTimeout: time.Second})
	url := urls["partial"]
	for i := range 6 {
		send(t, c, url, strconv.Itoa(i), "", "")
	}
	var mu sync.Mutex
	failed, retried, ok := map[string]bool{}, map[string]bool{}, map[string]bool{}
	all := make(chan struct{})
	h := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		var resp events.SQSEventResponse
		for _, r := range ev.Records {
			if r.EventSourceARN == "" || r.AWSRegion == "" || r.EventSource != "aws:sqs" {
				t.Errorf("record source fields: %+v", r)
			}
			n, _ := strconv.Atoi(r.Body)
			switch {
			case r.Attributes["ApproximateReceiveCount"] == "1" && n%2 == 1:
				failed[r.MessageId] = true
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			case r.Attributes["ApproximateReceiveCount"] == "1":
				ok[r.MessageId] = true
			default:
				retried[r.MessageId] = true
			}
		}
		if len(ok) == 3 && len(retried) == 3 {
			close(all)
		}
		return resp, nil
	}
	// WHEN the poller runs
	p, stop := runPoller(t, c, url, h, queue.PollerOptions{BatchSize: 10, MaxConcurrency: 2, WaitTime: time.Second})
	select {
	case <-all:
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out: ok %d failed %d retried %d", len(ok), len(failed), len(retried))
	}
	stop()
	// THEN exactly the failed messages were redelivered, and nothing is left
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(sortedKeys(failed)) != fmt.Sprint(sortedKeys(retried)) {
		t.Errorf("redelivered %v, want the failed %v", sortedKeys(retried), sortedKeys(failed))
	}
	if s := p.Stats(); s.Deleted != 6 || s.Retried != 3 {
		t.Errorf("stats %+v, want 6 deleted, 3 retried", s)
	}
	time.Sleep(1100 * time.Millisecond)
	if extra := receive(t, c, url, 10, 0); len(extra) != 0 {
		t.Errorf("left on queue: %v", bodies(extra))
	}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contractPoison(t *testing.T, newQ newQueues) {
	// GIVEN a queue with maxReceiveCount 2 and a DLQ, a poison and a good message
	c, urls := newQ(t,
		queue.QueueConfig{Name: "poison-dlq"},
		queue.QueueConfig{Name: "poison", VisibilityTimeout: time.Second, MaxReceiveCount: 2, DeadLetterQueue: "poison-dlq"})
	url, dlq := urls["poison"], urls["poison-dlq"]
	send(t, c, url, "poison", "", "")
	send(t, c, url, "good", "", "")
	var seen atomic.Int32
	h := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, r := range ev.Records {
			if r.Body == "poison" {
				seen.Add(1)
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		return resp, nil
	}
	// WHEN the poller keeps failing it
	_, stop := runPoller(t, c, url, h, queue.PollerOptions{MaxConcurrency: 1, WaitTime: time.Second})
	// THEN it lands in the DLQ after two receives, and never blocked the good one
	got := receiveN(t, c, dlq, 1, 20*time.Second)
	stop()
	if aws.ToString(got[0].Body) != "poison" {
		t.Fatalf("DLQ holds %q", aws.ToString(got[0].Body))
	}
	if n := seen.Load(); n != 2 {
		t.Errorf("handler saw the poison message %d times, want 2", n)
	}
	if extra := receive(t, c, url, 10, 0); len(extra) != 0 {
		t.Errorf("left on source queue: %v", bodies(extra))
	}
}

func contractFIFOOrdering(t *testing.T, newQ newQueues) {
	// GIVEN a FIFO queue with interleaved groups a and b
	c, urls := newQ(t, queue.QueueConfig{Name: "order.fifo", FIFO: true, VisibilityTimeout: 30 * time.Second})
	url := urls["order.fifo"]
	for i := 1; i <= 3; i++ {
		for _, g := range []string{"a", "b"} {
			send(t, c, url, fmt.Sprintf("%s%d", g, i), g, fmt.Sprintf("%s%d", g, i))
		}
	}
	// WHEN received one at a time
	// THEN a group is locked while one of its messages is in flight
	a1 := receiveN(t, c, url, 1, 5*time.Second)[0]
	b1 := receiveN(t, c, url, 1, 5*time.Second)[0]
	if aws.ToString(a1.Body) != "a1" || aws.ToString(b1.Body) != "b1" {
		t.Fatalf("first receives %s, %s; want a1, b1", aws.ToString(a1.Body), aws.ToString(b1.Body))
	}
	if a1.Attributes["MessageGroupId"] != "a" || a1.Attributes["SequenceNumber"] == "" {
		t.Errorf("FIFO attributes %v", a1.Attributes)
	}
	if extra := receive(t, c, url, 10, 0); len(extra) != 0 {
		t.Fatalf("received %v while both groups were in flight", bodies(extra))
	}
	// AND each group continues in order once its in-flight message is deleted
	del(t, c, url, a1)
	got := receiveN(t, c, url, 2, 5*time.Second)
	if b := strings.Join(bodies(got), ","); b != "a2,a3" {
		t.Fatalf("after deleting a1 received %s, want a2,a3", b)
	}
	del(t, c, url, b1)
	got = receiveN(t, c, url, 2, 5*time.Second)
	if b := strings.Join(bodies(got), ","); b != "b2,b3" {
		t.Fatalf("after deleting b1 received %s, want b2,b3", b)
	}
}

func contractFIFODedup(t *testing.T, newQ newQueues) {
	// GIVEN a FIFO queue with content-based deduplication, and a producer
	c, urls := newQ(t, queue.QueueConfig{Name: "dedup.fifo", FIFO: true, ContentBasedDeduplication: true})
	url := urls["dedup.fifo"]
	p := queue.NewProducer(c, url, queue.WithClock(func() time.Time { return time.Unix(1, 0) }))
	env := queue.Envelope{Kind: "vote", IdempotencyKey: "vote-1", GroupID: "poll-7", Data: json.RawMessage(`{"option":"b"}`)}
	// WHEN the same envelope is enqueued twice, and the same body sent twice without an id
	id1, err := p.Enqueue(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := p.Enqueue(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	send(t, c, url, "same", "g", "")
	send(t, c, url, "same", "g", "")
	// THEN the queue holds each once
	got := receiveN(t, c, url, 2, 5*time.Second)
	if extra := receive(t, c, url, 10, 1); len(extra) != 0 {
		t.Fatalf("duplicates delivered: %v", bodies(extra))
	}
	if id1 == "" || id2 == "" {
		t.Errorf("empty message ids %q %q", id1, id2)
	}
	first := got[0]
	if aws.ToString(first.Body) == "same" {
		first = got[1]
	}
	if first.Attributes["MessageDeduplicationId"] != "vote-1" || first.Attributes["MessageGroupId"] != "poll-7" {
		t.Errorf("FIFO attributes %v", first.Attributes)
	}
}

func contractErrors(t *testing.T, newQ newQueues) {
	c, urls := newQ(t, queue.QueueConfig{Name: "errs.fifo", FIFO: true}, queue.QueueConfig{Name: "errs"})
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"FIFOWithoutGroup", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(urls["errs.fifo"]), MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
			return err
		}},
		{"FIFOWithoutDedup", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(urls["errs.fifo"]), MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
			return err
		}},
		{"TooLarge", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(urls["errs"]), MessageBody: aws.String(strings.Repeat("x", 1024*1024+1))})
			return err
		}},
		{"ElevenEntries", func() error {
			in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(urls["errs"])}
			for i := range 11 {
				in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String("x")})
			}
			_, err := c.SendMessageBatch(ctx, in)
			return err
		}},
		{"NoSuchQueue", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(urls["errs"] + "-missing"), MessageBody: aws.String("x")})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err == nil {
				t.Error("no error")
			}
		})
	}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func contractRedrive(t *testing.T, newQ newQueues) {
	for _, fifo := range []bool{false, true} {
		t.Run(fmt.Sprintf("fifo=%t", fifo), func(t *testing.T) {
			// GIVEN a dead-letter queue holding three messages with attributes
			src, dlq := "src", "src-dlq"
			if fifo {
				src, dlq = "src.fifo", "src-dlq.fifo"
			}
			c, urls := newQ(t, queue.QueueConfig{Name: dlq, FIFO: fifo}, queue.QueueConfig{Name: src, FIFO: fifo, MaxReceiveCount: 3, DeadLetterQueue: dlq})
			p := queue.NewProducer(c, urls[dlq])
			for i := range 3 {
				if _, err := p.Enqueue(context.Background(), queue.Envelope{Kind: "k", IdempotencyKey: fmt.Sprintf("key-%d", i), GroupID: "g", Data: []byte(strconv.Itoa(i))}); err != nil {
					t.Fatal(err)
				}
			}
			// WHEN they are redriven (campaignkit redrive's engine works on
			// the embedded queue as on SQS)
			rc, ok := c.(redrive.SQS)
			if !ok {
				t.Fatalf("%T lacks GetQueueAttributes", c)
			}
			res, err := redrive.Run(context.Background(), rc, redrive.Options{DLQ: urls[dlq], Target: urls[src]})
			if err != nil || res.Moved != 3 {
				t.Fatalf("redrive = %+v, %v; want 3 moved", res, err)
			}
			// THEN the source queue has them, in order for FIFO, with their attributes, and the DLQ is empty
			got := receiveN(t, c, urls[src], 3, 10*time.Second)
			for i, m := range got {
				env, err := queue.DecodeEnvelope(aws.ToString(m.Body))
				if err != nil {
					t.Fatal(err)
				}
				if aws.ToString(m.MessageAttributes[queue.AttrIdempotencyKey].StringValue) != env.IdempotencyKey {
					t.Errorf("attributes lost: %v", m.MessageAttributes)
				}
				if fifo && (env.IdempotencyKey != fmt.Sprintf("key-%d", i) || m.Attributes["MessageGroupId"] != "g") {
					t.Errorf("message %d: key %s group %s", i, env.IdempotencyKey, m.Attributes["MessageGroupId"])
				}
			}
			if extra := receive(t, c, urls[dlq], 10, 0); len(extra) != 0 {
				t.Errorf("left in DLQ: %v", bodies(extra))
			}
		})
	}
}
