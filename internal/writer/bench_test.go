package writer_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/campaignkit/campaignkit/internal/store"
	"github.com/campaignkit/campaignkit/internal/writer"
)

// countingDB counts DynamoDB requests and the counter-update actions they
// carry (UpdateItem calls plus Update actions inside transactions).
type countingDB struct {
	store.DB
	requests, transacts, batchWrites, updates atomic.Int64
}

func (c *countingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.requests.Add(1)
	return c.DB.PutItem(ctx, in, o...)
}

func (c *countingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.requests.Add(1)
	c.updates.Add(1)
	return c.DB.UpdateItem(ctx, in, o...)
}

func (c *countingDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.requests.Add(1)
	c.batchWrites.Add(1)
	return c.DB.BatchWriteItem(ctx, in, o...)
}

func (c *countingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.requests.Add(1)
	c.transacts.Add(1)
	for _, ti := range in.TransactItems {
		if ti.Update != nil {
			c.updates.Add(1)
		}
	}
	return c.DB.TransactWriteItems(ctx, in, o...)
}

// openCounting opens an embedded store with table "bench" behind a
// countingDB.
func openCounting(t testing.TB) *countingDB {
	e, err := store.OpenEmbedded(t.TempDir() + "/bench.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := store.EnsureTable(context.Background(), e, "bench", "pk", "sk"); err != nil {
		t.Fatal(err)
	}
	return &countingDB{DB: e}
}

func benchSink(b *testing.B) (*countingDB, *writer.Writer) {
	c := openCounting(b)
	return c, newWriter(writer.NewDynamoSink(c, writer.DynamoConfig{Table: "bench"}))
}

// deliver hands msgs to w in SQS batches of size batch; every record must
// succeed.
func deliver(b *testing.B, w *writer.Writer, msgs []events.SQSMessage, batch int) {
	for i := 0; i < len(msgs); i += batch {
		resp, _ := w.HandleStats(context.Background(), events.SQSEvent{Records: msgs[i:min(i+batch, len(msgs))]})
		if len(resp.BatchItemFailures) > 0 {
			b.Fatalf("%d failures", len(resp.BatchItemFailures))
		}
	}
}

// BenchmarkDynamoRequestsPer1000Records counts DynamoDB requests needed
// for 1,000 records delivered in SQS batches of various sizes. One-by-one
// writing needs 1,000 requests for puts and 3,000 for donations (put +
// 2 counter updates). Goal: ≤ 40.
func BenchmarkDynamoRequestsPer1000Records(b *testing.B) {
	kinds := []struct {
		name     string
		record   func(it, i int) writer.Record
		oneByOne int
	}{
		{"donations", func(it, i int) writer.Record {
			return donation(fmt.Sprintf("%d-%d", it, i), fmt.Sprint("c", i%10), int64(100+i))
		}, 3000},
		{"puts", func(it, i int) writer.Record { return profile(fmt.Sprintf("%d-%d", it, i)) }, 1000},
	}
	for _, k := range kinds {
		for _, batch := range []int{10, 25, 100, 1000} {
			b.Run(fmt.Sprintf("%s/batch=%d", k.name, batch), func(b *testing.B) {
				c, w := benchSink(b)
				msgs := make([][]events.SQSMessage, b.N)
				for it := range msgs {
					for i := 0; i < 1000; i++ {
						msgs[it] = append(msgs[it], message(b, fmt.Sprint(i), k.record(it, i)))
					}
				}
				b.ResetTimer()
				for it := 0; it < b.N; it++ {
					deliver(b, w, msgs[it], batch)
				}
				b.ReportMetric(float64(c.requests.Load())/float64(b.N), "requests/1000rec")
				b.ReportMetric(float64(k.oneByOne), "one-by-one/1000rec")
				b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// BenchmarkCounterUpdates10kVotes delivers 10,000 votes over 10 keys and
// counts counter-update actions. Goal: ≤ 1 per key per batch. A batch
// holding more than 100 − keys records spans several transactions, one
// update per key each.
func BenchmarkCounterUpdates10kVotes(b *testing.B) {
	for _, batch := range []int{10, 90, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			c, w := benchSink(b)
			msgs := make([][]events.SQSMessage, b.N)
			for it := range msgs {
				for i := 0; i < 10000; i++ {
					msgs[it] = append(msgs[it], message(b, fmt.Sprint(i), vote(fmt.Sprintf("%d-%d", it, i), fmt.Sprint(i%10))))
				}
			}
			b.ResetTimer()
			for it := 0; it < b.N; it++ {
				deliver(b, w, msgs[it], batch)
			}
			batches := float64(b.N) * float64((10000+batch-1)/batch)
			updates := float64(c.updates.Load())
			b.ReportMetric(updates/float64(b.N), "updates/10kvotes")
			b.ReportMetric(updates/batches/10, "updates/key/batch")
			b.ReportMetric(float64(c.requests.Load())/float64(b.N), "requests/10kvotes")
			b.ReportMetric(float64(b.N*10000)/b.Elapsed().Seconds(), "votes/s")
		})
	}
}
