package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/campaignkit/campaignkit/internal/queue"
)

// A web handler enqueues a donation; the writer handler receives it through
// a Poller over the embedded queue, exactly as it would on Lambda.
func Example() {
	dir, _ := os.MkdirTemp("", "queue-example")
	defer os.RemoveAll(dir)
	q, err := queue.OpenEmbedded(filepath.Join(dir, "queue.db"), queue.EmbeddedOptions{Queues: []queue.QueueConfig{
		{Name: "donations-dlq"},
		{Name: "donations", MaxReceiveCount: 5, DeadLetterQueue: "donations-dlq"},
	}})
	if err != nil {
		panic(err)
	}
	defer q.Close()
	url := queue.EmbeddedURL("donations")

	// Web tier: enqueue (returns once the message is on disk).
	producer := queue.NewProducer(q, url)
	if _, err := producer.Enqueue(context.Background(), queue.Envelope{
		Kind: "donation", IdempotencyKey: "don-7f3a", Data: json.RawMessage(`{"cents":2500}`),
	}); err != nil {
		panic(err)
	}

	// Writer: a Lambda SQS handler, run by a Poller.
	ctx, stop := context.WithCancel(context.Background())
	writer := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, r := range ev.Records {
			env, err := queue.DecodeEnvelope(r.Body)
			if err != nil { // poison: report it, it ends in the DLQ after 5 receives
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
				continue
			}
			fmt.Println(env.Kind, env.IdempotencyKey, string(env.Data))
		}
		stop() // a real writer keeps running; stop after one batch for the example
		return resp, nil
	}
	poller, err := queue.NewPoller(q, url, writer, queue.PollerOptions{BatchSize: 10, MaxConcurrency: 2})
	if err != nil {
		panic(err)
	}
	_ = poller.Run(ctx) // returns after draining the batch in hand
	fmt.Println("left:", q.Depth("donations"), "in flight:", q.InFlight("donations"))
	// Output:
	// donation don-7f3a {"cents":2500}
	// left: 0 in flight: 0
}

// With AWS (or moto via AWS_ENDPOINT_URL) the SDK client is the adapter:
// the same Producer and Poller take a *sqs.Client.
func ExampleNewProducer_sqs() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	client := sqs.NewFromConfig(cfg) // build once per execution environment
	producer := queue.NewProducer(client, os.Getenv("QUEUE_URL"))
	_ = producer
}
