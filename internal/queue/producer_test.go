package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/campaignkit/campaignkit/internal/queue"
)

// fakeSender records calls; failKey makes the batch entry with that
// idempotency key fail, err makes every call fail.
type fakeSender struct {
	mu      sync.Mutex
	single  []*sqs.SendMessageInput
	batches []*sqs.SendMessageBatchInput
	failKey string
	err     error
}

func (f *fakeSender) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.single = append(f.single, in)
	return &sqs.SendMessageOutput{MessageId: aws.String("id-1")}, nil
}

func (f *fakeSender) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.batches = append(f.batches, in)
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		if f.failKey != "" && aws.ToString(e.MessageAttributes[queue.AttrIdempotencyKey].StringValue) == f.failKey {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), Message: aws.String("try again")})
			continue
		}
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("id-" + aws.ToString(e.Id))})
	}
	return out, nil
}

func TestProducerEnqueueValidates(t *testing.T) {
	big := json.RawMessage(`"` + strings.Repeat("x", queue.MaxMessageBytes) + `"`)
	tests := []struct {
		name string
		env  queue.Envelope
		want error
	}{
		{"EmptyKey", queue.Envelope{Kind: "k", Data: []byte(`1`)}, queue.ErrEmptyIdempotencyKey},
		{"KeyTooLong", queue.Envelope{Kind: "k", IdempotencyKey: strings.Repeat("k", 129), Data: []byte(`1`)}, queue.ErrInvalidIdempotencyKey},
		{"KeyWithSpace", queue.Envelope{Kind: "k", IdempotencyKey: "a b", Data: []byte(`1`)}, queue.ErrInvalidIdempotencyKey},
		{"EmptyKind", queue.Envelope{IdempotencyKey: "k", Data: []byte(`1`)}, queue.ErrEmptyKind},
		{"NoData", queue.Envelope{Kind: "k", IdempotencyKey: "k"}, queue.ErrInvalidData},
		{"InvalidJSON", queue.Envelope{Kind: "k", IdempotencyKey: "k", Data: []byte(`{`)}, queue.ErrInvalidData},
		{"TooLarge", queue.Envelope{Kind: "k", IdempotencyKey: "k", Data: big}, queue.ErrMessageTooLarge},
		{"Valid", queue.Envelope{Kind: "k", IdempotencyKey: "k-1:x", Data: []byte(`{"a":1}`)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSender{}
			_, err := queue.NewProducer(f, "https://sqs.eu-west-1.amazonaws.com/123456789012/w").Enqueue(context.Background(), tc.env)
			if !errors.Is(err, tc.want) || tc.want == nil && err != nil {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if sent := len(f.single); (tc.want == nil) != (sent == 1) {
				t.Fatalf("sent %d messages", sent)
			}
		})
	}
}

func TestProducerMessageShape(t *testing.T) {
	at := time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)
	tests := []struct {
		name      string
		url       string
		opts      []queue.ProducerOption
		env       queue.Envelope
		wantGroup string // "" = none
		wantDedup string
	}{
		{"Standard", "http://127.0.0.1/queue/w", nil, queue.Envelope{Kind: "vote", IdempotencyKey: "v1", GroupID: "ignored", Data: []byte(`1`)}, "", ""},
		{"FIFODefaultGroupIsKey", "http://127.0.0.1/queue/w.fifo", nil, queue.Envelope{Kind: "vote", IdempotencyKey: "v1", Data: []byte(`1`)}, "v1", "v1"},
		{"FIFOExplicitGroup", "http://127.0.0.1/queue/w.fifo", nil, queue.Envelope{Kind: "vote", IdempotencyKey: "v1", GroupID: "poll-3", Data: []byte(`1`)}, "poll-3", "v1"},
		{"FIFOGroupFunc", "http://127.0.0.1/queue/w.fifo", []queue.ProducerOption{queue.WithGroupFunc(func(k string) string { return "g-" + k[:1] })},
			queue.Envelope{Kind: "vote", IdempotencyKey: "v1", Data: []byte(`1`)}, "g-v", "v1"},
		{"ForcedFIFO", "http://127.0.0.1/queue/odd", []queue.ProducerOption{queue.WithFIFO(true)}, queue.Envelope{Kind: "vote", IdempotencyKey: "v1", Data: []byte(`1`)}, "v1", "v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSender{}
			opts := append([]queue.ProducerOption{queue.WithClock(func() time.Time { return at })}, tc.opts...)
			if _, err := queue.NewProducer(f, tc.url, opts...).Enqueue(context.Background(), tc.env); err != nil {
				t.Fatal(err)
			}
			in := f.single[0]
			if aws.ToString(in.QueueUrl) != tc.url || aws.ToString(in.MessageGroupId) != tc.wantGroup || aws.ToString(in.MessageDeduplicationId) != tc.wantDedup {
				t.Errorf("url %s group %q dedup %q", aws.ToString(in.QueueUrl), aws.ToString(in.MessageGroupId), aws.ToString(in.MessageDeduplicationId))
			}
			if k := in.MessageAttributes[queue.AttrIdempotencyKey]; aws.ToString(k.StringValue) != "v1" || aws.ToString(k.DataType) != "String" {
				t.Errorf("key attribute %+v", k)
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(aws.ToString(in.MessageBody)), &body); err != nil {
				t.Fatal(err)
			}
			if body["kind"] != "vote" || body["idempotencyKey"] != "v1" || body["enqueuedAt"] != "2026-11-22T01:02:03Z" || body["data"] != 1.0 {
				t.Errorf("body %s", aws.ToString(in.MessageBody))
			}
		})
	}
}

func TestProducerEnqueueBatchChunks(t *testing.T) {
	env := func(key string, size int) queue.Envelope {
		return queue.Envelope{Kind: "k", IdempotencyKey: key, Data: json.RawMessage(`"` + strings.Repeat("x", size) + `"`)}
	}
	many := func(n, size int) []queue.Envelope {
		var out []queue.Envelope
		for i := range n {
			out = append(out, env(fmt.Sprintf("k%03d", i), size))
		}
		return out
	}
	tests := []struct {
		name      string
		envs      []queue.Envelope
		wantCalls []int // entries per call
	}{
		{"TwentyFiveSmall", many(25, 10), []int{10, 10, 5}},
		{"TenLarge", many(10, 60*1024), []int{4, 4, 2}}, // four 60 KiB entries fit in 256 KiB
		{"One", many(1, 1), []int{1}},
		{"None", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSender{}
			res, err := queue.NewProducer(f, "http://127.0.0.1/queue/w").EnqueueBatch(context.Background(), tc.envs)
			if err != nil {
				t.Fatal(err)
			}
			var calls []int
			for _, b := range f.batches {
				calls = append(calls, len(b.Entries))
			}
			if len(calls) != len(tc.wantCalls) || len(res) != len(tc.envs) {
				t.Fatalf("calls %v, want %v (results %d)", calls, tc.wantCalls, len(res))
			}
			for i := range calls {
				if calls[i] != tc.wantCalls[i] {
					t.Fatalf("calls %v, want %v", calls, tc.wantCalls)
				}
			}
			for i, r := range res {
				if r.Err != nil || r.MessageID == "" {
					t.Errorf("result %d = %+v", i, r)
				}
			}
		})
	}
}

func TestProducerEnqueueBatchReportsFailures(t *testing.T) {
	envs := []queue.Envelope{
		{Kind: "k", IdempotencyKey: "a", Data: []byte(`1`)},
		{Kind: "k", IdempotencyKey: "b", Data: []byte(`1`)},
		{Kind: "k", IdempotencyKey: "c", Data: []byte(`1`)},
	}
	t.Run("PerEntry", func(t *testing.T) {
		// GIVEN a queue that fails entry b WHEN a batch is enqueued THEN only b is reported
		res, err := queue.NewProducer(&fakeSender{failKey: "b"}, "http://127.0.0.1/queue/w").EnqueueBatch(context.Background(), envs)
		if !errors.Is(err, queue.ErrBatchIncomplete) || res[0].Err != nil || res[1].Err == nil || res[2].Err != nil {
			t.Fatalf("err %v results %+v", err, res)
		}
	})
	t.Run("WholeCall", func(t *testing.T) {
		// GIVEN a failing call THEN every entry of it is reported with the cause
		cause := errors.New("throttled")
		res, err := queue.NewProducer(&fakeSender{err: cause}, "http://127.0.0.1/queue/w").EnqueueBatch(context.Background(), envs)
		if !errors.Is(err, queue.ErrBatchIncomplete) {
			t.Fatalf("err %v", err)
		}
		for i, r := range res {
			if !errors.Is(r.Err, cause) {
				t.Errorf("result %d = %+v", i, r)
			}
		}
	})
}

func TestDecodeEnvelope(t *testing.T) {
	tests := []struct {
		name, body string
		want       error
	}{
		{"Valid", `{"kind":"vote","idempotencyKey":"v1","enqueuedAt":"2026-11-22T01:02:03Z","data":{"o":1}}`, nil},
		{"NoKey", `{"kind":"vote","data":1}`, queue.ErrEmptyIdempotencyKey},
		{"NoKind", `{"idempotencyKey":"v1","data":1}`, queue.ErrEmptyKind},
		{"NoData", `{"kind":"vote","idempotencyKey":"v1"}`, queue.ErrInvalidData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := queue.DecodeEnvelope(tc.body); !errors.Is(err, tc.want) || tc.want == nil && err != nil {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := queue.DecodeEnvelope("not json"); err == nil {
		t.Fatal("decoded garbage")
	}
}
