package store_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BenchmarkEmbeddedPutItem measures durable single-item writes, one
// writer at a time and with 64 concurrent writers sharing commits.
func BenchmarkEmbeddedPutItem(b *testing.B) {
	for _, par := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", par), func(b *testing.B) {
			e := openEmbedded(b, b.TempDir()+"/b.db")
			table := newTable(b, e)
			var seq atomic.Int64
			b.ResetTimer()
			run := func(pb interface{ Next() bool }) {
				for pb.Next() {
					i := seq.Add(1)
					_, err := e.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &table,
						Item:                itemWith(fmt.Sprint("D#", i), "D", "amount", n("25")),
						ConditionExpression: aws.String("attribute_not_exists(pk)")})
					if err != nil {
						b.Error(err)
						return
					}
				}
			}
			if par == 1 {
				run(&serial{n: b.N})
			} else {
				procs := runtime.GOMAXPROCS(0)
				b.SetParallelism((par + procs - 1) / procs)
				b.RunParallel(func(pb *testing.PB) { run(pb) })
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
		})
	}
}

type serial struct{ n int }

func (s *serial) Next() bool { s.n--; return s.n >= 0 }

// BenchmarkEmbeddedTransact measures the writer's transaction shape
// (conditional marker put + counter ADD) with 64 concurrent writers.
func BenchmarkEmbeddedTransact(b *testing.B) {
	e := openEmbedded(b, b.TempDir()+"/t.db")
	table := newTable(b, e)
	var seq atomic.Int64
	b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			_, err := e.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: &table, Item: itemWith(fmt.Sprint("V#", i), "V"), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
				{Update: &types.Update{TableName: &table, Key: key("TOTAL", "TOTAL"), UpdateExpression: aws.String("ADD v :one"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1")}}},
			}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}
