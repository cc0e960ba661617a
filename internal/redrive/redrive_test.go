package redrive_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/campaignkit/campaignkit/internal/redrive"
	"github.com/campaignkit/campaignkit/internal/testenv"
)

var moto *testenv.Moto

func TestMain(m *testing.M) {
	var err error
	moto, err = testenv.StartMoto(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "redrive tests need moto_server:", err)
		os.Exit(1)
	}
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// client returns an SQS client on a freshly reset moto.
func client(t *testing.T) *sqs.Client {
	t.Helper()
	ctx := context.Background()
	if err := moto.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := moto.AWSConfig(ctx, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	return sqs.NewFromConfig(cfg)
}

func createQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}

// pair creates a source queue whose redrive policy points at a DLQ.
func pair(t *testing.T, c *sqs.Client, fifo bool) (src, dlq string) {
	t.Helper()
	suffix, attrs := "", map[string]string{}
	if fifo {
		suffix, attrs = ".fifo", map[string]string{"FifoQueue": "true"}
	}
	dlq = createQueue(t, c, "writes-dlq"+suffix, attrs)
	arn, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(dlq), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	srcAttrs := map[string]string{"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":"1"}`, arn.Attributes["QueueArn"])}
	if fifo {
		srcAttrs["FifoQueue"] = "true"
	}
	return createQueue(t, c, "writes"+suffix, srcAttrs), dlq
}

// fill sends n messages with a body, a string and a binary attribute.
func fill(t *testing.T, c *sqs.Client, url string, n int, group func(i int) string) {
	t.Helper()
	for i := range n {
		in := &sqs.SendMessageInput{
			QueueUrl:    aws.String(url),
			MessageBody: aws.String(fmt.Sprintf(`{"donation":%d}`, i)),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"idempotency-key": {DataType: aws.String("String"), StringValue: aws.String(fmt.Sprintf("key-%d", i))},
				"blob":            {DataType: aws.String("Binary"), BinaryValue: []byte{byte(i)}},
			},
		}
		if group != nil {
			in.MessageGroupId = aws.String(group(i))
			in.MessageDeduplicationId = aws.String(fmt.Sprintf("orig-%d", i))
		}
		if _, err := c.SendMessage(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
}

type got struct {
	body, key, group string
	blob             []byte
}

// drain receives (and deletes) everything on url, in order.
func drain(t *testing.T, c *sqs.Client, url string) []got {
	t.Helper()
	var all []got
	for {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameMessageGroupId},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		for _, m := range out.Messages {
			all = append(all, got{
				body:  aws.ToString(m.Body),
				key:   aws.ToString(m.MessageAttributes["idempotency-key"].StringValue),
				blob:  m.MessageAttributes["blob"].BinaryValue,
				group: m.Attributes["MessageGroupId"],
			})
			if _, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func depth(t *testing.T, c *sqs.Client, url string) (visible, inFlight string) {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesNotVisible"]
}

func TestMovesEverythingWithBodyAndAttributes(t *testing.T) {
	c := client(t)
	src, dlq := pair(t, c, false)
	fill(t, c, dlq, 25, nil)
	var progress bytes.Buffer

	res, err := redrive.Run(context.Background(), c, redrive.Options{DLQ: dlq, Target: src, WaitTime: 1, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != 25 || res.Received != 25 || res.Failed != 0 {
		t.Fatalf("result %+v, want 25 moved", res)
	}
	if v, f := depth(t, c, dlq); v != "0" || f != "0" {
		t.Errorf("DLQ still holds %s visible, %s in flight", v, f)
	}
	msgs := drain(t, c, src)
	if len(msgs) != 25 {
		t.Fatalf("target holds %d messages, want 25", len(msgs))
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].key < msgs[j].key })
	seen := map[string]bool{}
	for _, m := range msgs {
		var i int
		fmt.Sscanf(m.key, "key-%d", &i)
		if m.body != fmt.Sprintf(`{"donation":%d}`, i) || !bytes.Equal(m.blob, []byte{byte(i)}) {
			t.Errorf("message %s arrived as body %q blob %v", m.key, m.body, m.blob)
		}
		seen[m.key] = true
	}
	if len(seen) != 25 {
		t.Errorf("%d distinct messages, want 25 (duplicates?)", len(seen))
	}
	for _, want := range []string{"about 25 in the DLQ", "done: 25 moved, 0 failed"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
}

func TestMaxAndDryRun(t *testing.T) {
	c := client(t)
	src, dlq := pair(t, c, false)
	fill(t, c, dlq, 12, nil)

	var out bytes.Buffer
	res, err := redrive.Run(context.Background(), c, redrive.Options{DLQ: dlq, Target: src, DryRun: true, Max: 5, VisibilityTimeout: 1, WaitTime: 1, Progress: &out})
	if err != nil || res.Received != 5 || res.Moved != 0 {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if strings.Count(out.String(), "  would move ") != 5 || !strings.Contains(out.String(), "nothing was sent or deleted") {
		t.Errorf("dry-run output:\n%s", out.String())
	}
	if v, _ := depth(t, c, src); v != "0" {
		t.Fatalf("dry run sent %s messages", v)
	}
	time.Sleep(1500 * time.Millisecond) // let the peeked messages reappear

	res, err = redrive.Run(context.Background(), c, redrive.Options{DLQ: dlq, Target: src, Max: 7, WaitTime: 1})
	if err != nil || res.Moved != 7 {
		t.Fatalf("max 7: %+v, %v", res, err)
	}
	if v, _ := depth(t, c, src); v != "7" {
		t.Errorf("target holds %s, want 7", v)
	}
	if v, f := depth(t, c, dlq); v != "5" || f != "0" {
		t.Errorf("DLQ holds %s visible + %s in flight, want 5 + 0", v, f)
	}
}

func TestFIFOKeepsGroupsAndOrder(t *testing.T) {
	c := client(t)
	src, dlq := pair(t, c, true)
	group := func(i int) string { return fmt.Sprintf("donor-%d", i%3) }
	fill(t, c, dlq, 15, group)

	res, err := redrive.Run(context.Background(), c, redrive.Options{DLQ: dlq, Target: src, WaitTime: 1})
	if err != nil || res.Moved != 15 {
		t.Fatalf("%+v, %v", res, err)
	}
	msgs := drain(t, c, src)
	if len(msgs) != 15 {
		t.Fatalf("target holds %d, want 15", len(msgs))
	}
	last := map[string]int{}
	for _, m := range msgs {
		var i int
		fmt.Sscanf(m.key, "key-%d", &i)
		if m.group != group(i) {
			t.Errorf("%s arrived in group %q, want %q", m.key, m.group, group(i))
		}
		if prev, ok := last[m.group]; ok && i < prev {
			t.Errorf("group %s: %d after %d (order lost)", m.group, i, prev)
		}
		last[m.group] = i
	}
}

// failingSQS rejects the send of one body, as SQS does per entry.
type failingSQS struct {
	*sqs.Client
	body string
}

func (f failingSQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opt ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	var keep []types.SendMessageBatchRequestEntry
	var failed []types.BatchResultErrorEntry
	for _, e := range in.Entries {
		if aws.ToString(e.MessageBody) == f.body {
			failed = append(failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), Message: aws.String("injected"), SenderFault: false})
			continue
		}
		keep = append(keep, e)
	}
	out := &sqs.SendMessageBatchOutput{}
	if len(keep) > 0 {
		sent, err := f.Client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: in.QueueUrl, Entries: keep}, opt...)
		if err != nil {
			return nil, err
		}
		out.Successful = sent.Successful
		out.Failed = sent.Failed
	}
	out.Failed = append(out.Failed, failed...)
	return out, nil
}

func TestFailedSendStaysInDLQ(t *testing.T) {
	c := client(t)
	src, dlq := pair(t, c, false)
	fill(t, c, dlq, 4, nil)
	bad := failingSQS{Client: c, body: `{"donation":2}`}

	res, err := redrive.Run(context.Background(), bad, redrive.Options{DLQ: dlq, Target: src, VisibilityTimeout: 1, WaitTime: 1})
	if !errors.Is(err, redrive.ErrIncomplete) || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("err = %v, want ErrIncomplete naming the cause", err)
	}
	if res.Moved != 3 || res.Failed != 1 {
		t.Fatalf("result %+v, want 3 moved, 1 failed", res)
	}
	time.Sleep(1500 * time.Millisecond)
	left := drain(t, c, dlq)
	if len(left) != 1 || left[0].body != `{"donation":2}` {
		t.Fatalf("DLQ holds %+v, want only the failed message", left)
	}
	if n := len(drain(t, c, src)); n != 3 {
		t.Errorf("target holds %d, want 3", n)
	}
}

func TestRefusesBadOptions(t *testing.T) {
	c := client(t)
	src, dlq := pair(t, c, false)
	fsrc, _ := pair(t, c, true)
	for name, o := range map[string]redrive.Options{
		"same queue":     {DLQ: dlq, Target: dlq},
		"missing target": {DLQ: dlq},
		"fifo mismatch":  {DLQ: dlq, Target: fsrc},
		"negative max":   {DLQ: dlq, Target: src, Max: -1},
		"unknown queue":  {DLQ: dlq, Target: strings.TrimSuffix(src, "writes") + "nope"},
	} {
		if _, err := redrive.Run(context.Background(), c, o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
