package queue_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/campaignkit/campaignkit/internal/queue"
)

// benchBody is a typical donation envelope (~200 bytes).
const benchBody = `{"kind":"donation","idempotencyKey":"don-0123456789abcdef","enqueuedAt":"2026-11-22T01:02:03.456789Z","data":{"campaign":"charity-week","amountCents":2500,"currency":"EUR","donor":"d-42","message":"go team"}}`

func benchEmbedded(b *testing.B, cfgs ...queue.QueueConfig) *queue.Embedded {
	b.Helper()
	e, err := queue.OpenEmbedded(filepath.Join(b.TempDir(), "bench.db"), queue.EmbeddedOptions{Queues: cfgs})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

func reportRate(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

// reportCommits adds callers per commit and mean commit time.
func reportCommits(b *testing.B, e *queue.Embedded) {
	s := e.Stats()
	if s.Commits > 0 {
		b.ReportMetric(float64(s.Callers)/float64(s.Commits), "callers/commit")
		b.ReportMetric(float64(s.CommitTime.Microseconds())/float64(s.Commits), "µs/commit")
	}
}

// BenchmarkEmbeddedSendMessage measures durable (fsynced) SendMessage
// throughput by number of concurrent senders: group commit lets many
// senders share one fsync.
func BenchmarkEmbeddedSendMessage(b *testing.B) {
	for _, senders := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			e := benchEmbedded(b, queue.QueueConfig{Name: "w"})
			in := func() *sqs.SendMessageInput {
				return &sqs.SendMessageInput{QueueUrl: aws.String(queue.EmbeddedURL("w")), MessageBody: aws.String(benchBody)}
			}
			b.SetParallelism(max(1, senders/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			if senders == 1 {
				for range b.N {
					if _, err := e.SendMessage(context.Background(), in()); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := e.SendMessage(context.Background(), in()); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			reportRate(b, b.N)
			reportCommits(b, e)
		})
	}
}

// BenchmarkEmbeddedSendMessageFIFO is the FIFO variant (dedup bookkeeping)
// with 64 concurrent senders.
func BenchmarkEmbeddedSendMessageFIFO(b *testing.B) {
	e := benchEmbedded(b, queue.QueueConfig{Name: "w.fifo", FIFO: true})
	var n atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := e.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(queue.EmbeddedURL("w.fifo")), MessageBody: aws.String(benchBody),
				MessageGroupId: aws.String(strconv.FormatInt(i%100, 10)), MessageDeduplicationId: aws.String(strconv.FormatInt(i, 10))}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, b.N)
}

// BenchmarkEmbeddedSendMessageBatch: one op is a SendMessageBatch of ten,
// 16 concurrent senders; msgs/s counts messages.
func BenchmarkEmbeddedSendMessageBatch(b *testing.B) {
	e := benchEmbedded(b, queue.QueueConfig{Name: "w"})
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(queue.EmbeddedURL("w"))}
	for i := range 10 {
		in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(benchBody)})
	}
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.SendMessageBatch(context.Background(), in); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, 10*b.N)
	reportCommits(b, e)
}

// BenchmarkProducerEnqueue is the web tier's path: envelope encoding,
// validation and a durable send, 64 concurrent requests.
func BenchmarkProducerEnqueue(b *testing.B) {
	e := benchEmbedded(b, queue.QueueConfig{Name: "w"})
	p := queue.NewProducer(e, queue.EmbeddedURL("w"))
	data := []byte(`{"campaign":"charity-week","amountCents":2500,"currency":"EUR","donor":"d-42"}`)
	var n atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Enqueue(context.Background(), queue.Envelope{Kind: "donation", IdempotencyKey: "don-" + strconv.FormatInt(n.Add(1), 10), Data: data}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, b.N)
}

// BenchmarkPollerEndToEnd measures messages/s through the poller into a
// handler that decodes each envelope: "drain" empties a pre-filled queue;
// "produce+consume" has 64 producers enqueueing while the poller drains.
func BenchmarkPollerEndToEnd(b *testing.B) {
	handler := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		for _, r := range ev.Records {
			if _, err := queue.DecodeEnvelope(r.Body); err != nil {
				return events.SQSEventResponse{}, err
			}
		}
		return events.SQSEventResponse{}, nil
	}
	opts := queue.PollerOptions{BatchSize: 10, MaxConcurrency: 4, WaitTime: time.Second}
	run := func(b *testing.B, e *queue.Embedded, n int, produce func()) {
		p, err := queue.NewPoller(e, queue.EmbeddedURL("w"), handler, opts)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- p.Run(ctx) }()
		if produce != nil {
			go produce()
		}
		for p.Stats().Deleted < int64(n) {
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		cancel()
		<-done
		reportRate(b, n)
	}
	b.Run("drain", func(b *testing.B) {
		e := benchEmbedded(b, queue.QueueConfig{Name: "w"})
		prod := queue.NewProducer(e, queue.EmbeddedURL("w"))
		envs := make([]queue.Envelope, 0, b.N)
		for i := range b.N {
			envs = append(envs, queue.Envelope{Kind: "donation", IdempotencyKey: "d" + strconv.Itoa(i), Data: []byte(`{"amountCents":2500}`)})
		}
		if _, err := prod.EnqueueBatch(context.Background(), envs); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		run(b, e, b.N, nil)
	})
	b.Run("produce+consume", func(b *testing.B) {
		e := benchEmbedded(b, queue.QueueConfig{Name: "w"})
		prod := queue.NewProducer(e, queue.EmbeddedURL("w"))
		b.ResetTimer()
		run(b, e, b.N, func() {
			var next atomic.Int64
			for range 64 {
				go func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if _, err := prod.Enqueue(context.Background(), queue.Envelope{Kind: "donation", IdempotencyKey: "d" + strconv.FormatInt(i, 10), Data: []byte(`{"amountCents":2500}`)}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
		})
	})
}

// BenchmarkOpenEmbedded measures start-up (index rebuild) with a backlog of
// 100,000 messages in a standard queue; msgs/s is messages indexed per second.
func BenchmarkOpenEmbedded(b *testing.B) {
	const backlog = 100_000
	path := filepath.Join(b.TempDir(), "backlog.db")
	e, err := queue.OpenEmbedded(path, queue.EmbeddedOptions{NoSync: true, Queues: []queue.QueueConfig{{Name: "w"}}})
	if err != nil {
		b.Fatal(err)
	}
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(queue.EmbeddedURL("w"))}
	for i := range 10 {
		in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(benchBody)})
	}
	for range backlog / 10 {
		if _, err := e.SendMessageBatch(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	e.Close()
	b.ResetTimer()
	for range b.N {
		e, err := queue.OpenEmbedded(path, queue.EmbeddedOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if e.Depth("w") != backlog {
			b.Fatalf("depth %d", e.Depth("w"))
		}
		e.Close()
	}
	reportRate(b, backlog*b.N)
}
