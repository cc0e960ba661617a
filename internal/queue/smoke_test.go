package queue_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/campaignkit/campaignkit/internal/queue"
)

func TestSmoke(t *testing.T) {
	e, err := queue.OpenEmbedded(filepath.Join(t.TempDir(), "q.db"), queue.EmbeddedOptions{Queues: []queue.QueueConfig{{Name: "w"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	url := queue.EmbeddedURL("w")
	p := queue.NewProducer(e, url)
	for i := range 25 {
		if _, err := p.Enqueue(context.Background(), queue.Envelope{Kind: "vote", IdempotencyKey: "k" + string(rune('a'+i)), Data: json.RawMessage(`{"x":1}`)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan int, 100)
	pl, err := queue.NewPoller(e, url, func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		got <- len(ev.Records)
		return events.SQSEventResponse{}, nil
	}, queue.PollerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { pl.Run(ctx); close(done) }()
	n := 0
	for n < 25 {
		select {
		case k := <-got:
			n += k
		case <-time.After(5 * time.Second):
			t.Fatal("timeout", n)
		}
	}
	cancel()
	<-done
	t.Logf("%+v depth=%d inflight=%d", pl.Stats(), e.Depth("w"), e.InFlight("w"))
}
