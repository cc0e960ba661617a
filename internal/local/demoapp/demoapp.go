// Package demoapp is the smallest complete campaign app: a static page, a
// read endpoint, and an accepted-write endpoint whose writes travel through
// the queue to a writer that stores each exactly once. `campaignkit local
// demo` runs it; the local stack's tests and benchmarks use it.
//
// API:
//
//	GET  /api/hello          {"message":"hello"} (no adapters)
//	POST /api/writes         {"id":"w-1","amount":5} → 202 once queued
//	GET  /api/writes/{id}    the stored write, or 404
//	GET  /api/stats          {"writes":n,"total":sum} (the exactly-once counters)
package demoapp

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/campaignkit/campaignkit/internal/httpapi"
	"github.com/campaignkit/campaignkit/internal/local"
	"github.com/campaignkit/campaignkit/internal/queue"
	"github.com/campaignkit/campaignkit/internal/store"
)

// Names of the app's resources.
const (
	Name      = "demo"
	Table     = "demo"
	Queue     = "demo-writes"
	DLQ       = "demo-writes-dlq"
	writeKind = "write"
	statsPK   = "stats"
	writesPK  = "write"
)

//go:embed public
var public embed.FS

// Site is the demo's static site root.
func Site() fs.FS {
	sub, err := fs.Sub(public, "public")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// App returns the demo app; reserved is its API reserved concurrency (0 =
// the local default).
func App(reserved int) local.App {
	return local.App{
		Name:                   Name,
		Summary:                "smallest campaign: a page, a read API and queued exactly-once writes",
		Site:                   Site(),
		Tables:                 []local.TableSpec{{Name: Table, PK: "pk", SK: "sk"}},
		Queues:                 []queue.QueueConfig{{Name: DLQ}, {Name: Queue, VisibilityTimeout: 30 * time.Second, MaxReceiveCount: 5, DeadLetterQueue: DLQ}},
		API:                    API,
		APIReservedConcurrency: reserved,
		Writers: []local.Writer{{
			Name: "demo-writer", Queue: Queue, Handler: Writer,
			BatchSize: 25, BatchWindow: 200 * time.Millisecond, MaxConcurrency: 2, VisibilityTimeout: 30 * time.Second,
		}},
	}
}

// Write is the body of POST /api/writes and the record the writer stores.
type Write struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

// API builds the demo's web-tier handler.
func API(d local.Deps) (http.Handler, error) {
	producer := queue.NewProducer(d.Sender, d.QueueURL(Queue))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/hello", func(w http.ResponseWriter, r *http.Request) {
		_ = httpapi.WriteJSON(w, http.StatusOK, map[string]string{"message": "hello"})
	})
	mux.HandleFunc("POST /api/writes", func(w http.ResponseWriter, r *http.Request) {
		var in Write
		if err := httpapi.DecodeJSON(w, r, &in, 4<<10); err != nil {
			httpapi.Error(w, r, d.Log, err)
			return
		}
		var v httpapi.Validator
		v.Check(validID(in.ID), "id", "must be 1-64 letters, digits, '-' or '_'")
		httpapi.Between(&v, "amount", in.Amount, 0, 1_000_000)
		if err := v.Err(); err != nil {
			httpapi.Error(w, r, d.Log, err)
			return
		}
		data, _ := json.Marshal(in)
		msgID, err := producer.Enqueue(r.Context(), queue.Envelope{Kind: writeKind, IdempotencyKey: in.ID, Data: data})
		if err != nil {
			httpapi.Error(w, r, d.Log, fmt.Errorf("enqueue write %s: %w", in.ID, err))
			return
		}
		d.Metrics.Count(r.Context(), "WriteAccepted", 1)
		_ = httpapi.WriteJSON(w, http.StatusAccepted, map[string]string{"id": in.ID, "messageId": msgID})
	})
	mux.HandleFunc("GET /api/writes/{id}", func(w http.ResponseWriter, r *http.Request) {
		out, err := d.DB.GetItem(r.Context(), &dynamodb.GetItemInput{TableName: aws.String(Table), ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{"pk": s(writesPK), "sk": s(r.PathValue("id"))}})
		if err != nil {
			httpapi.Error(w, r, d.Log, fmt.Errorf("get write: %w", err))
			return
		}
		if out.Item == nil {
			httpapi.WriteProblem(w, r, httpapi.NewProblem(http.StatusNotFound, httpapi.TypeNotFound, "no stored write "+r.PathValue("id")+" (yet)"))
			return
		}
		amount, _ := strconv.Atoi(num(out.Item["amount"]))
		_ = httpapi.WriteJSON(w, http.StatusOK, Write{ID: r.PathValue("id"), Amount: amount})
	})
	mux.HandleFunc("GET /api/stats", func(w http.ResponseWriter, r *http.Request) {
		st, err := ReadStats(r.Context(), d.DB)
		if err != nil {
			httpapi.Error(w, r, d.Log, err)
			return
		}
		_ = httpapi.WriteJSON(w, http.StatusOK, st)
	})
	return httpapi.Mux(mux), nil
}

// Stats are the writer's exactly-once counters.
type Stats struct {
	Writes int64 `json:"writes"`
	Total  int64 `json:"total"`
}

// ReadStats reads the counters.
func ReadStats(ctx context.Context, db store.DB) (Stats, error) {
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": s(statsPK), "sk": s("all")}})
	if err != nil {
		return Stats{}, fmt.Errorf("read stats: %w", err)
	}
	var st Stats
	st.Writes, _ = strconv.ParseInt(num(out.Item["writes"]), 10, 64)
	st.Total, _ = strconv.ParseInt(num(out.Item["total"]), 10, 64)
	return st, nil
}

// StoredIDs lists the ids of every stored write (paging through Query).
func StoredIDs(ctx context.Context, db store.DB) ([]string, error) {
	var ids []string
	var start map[string]types.AttributeValue
	for {
		out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(Table), ConsistentRead: aws.Bool(true),
			KeyConditionExpression: aws.String("pk = :pk"), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(writesPK)},
			ExclusiveStartKey: start})
		if err != nil {
			return nil, fmt.Errorf("list writes: %w", err)
		}
		for _, it := range out.Items {
			if v, ok := it["sk"].(*types.AttributeValueMemberS); ok {
				ids = append(ids, v.Value)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return ids, nil
		}
		start = out.LastEvaluatedKey
	}
}

// Writer builds the demo's queue consumer: each record becomes, in one
// transaction, the write item (only if absent) and the counters' increment,
// so a redelivered message changes nothing. A batch's records are written
// concurrently, so the store's group commit shares one fsync among them.
func Writer(d local.Deps) (queue.Handler, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		errs := make([]error, len(ev.Records))
		var wg sync.WaitGroup
		for i, rec := range ev.Records {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = store1(ctx, d.DB, rec)
			}()
		}
		wg.Wait()
		var resp events.SQSEventResponse
		for i, err := range errs {
			if err != nil {
				d.Log.ErrorContext(ctx, "write failed; left for redelivery", "messageId", ev.Records[i].MessageId, "error", err.Error())
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ev.Records[i].MessageId})
			}
		}
		if n := len(ev.Records) - len(resp.BatchItemFailures); n > 0 {
			d.Metrics.Count(ctx, "WriteStored", n)
		}
		return resp, nil
	}, nil
}

func store1(ctx context.Context, db store.DB, rec events.SQSMessage) error {
	env, err := queue.DecodeEnvelope(rec.Body)
	if err != nil {
		return err
	}
	var in Write
	if err := json.Unmarshal(env.Data, &in); err != nil {
		return fmt.Errorf("decode write: %w", err)
	}
	amount := strconv.Itoa(in.Amount)
	_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(Table),
			Item:                map[string]types.AttributeValue{"pk": s(writesPK), "sk": s(in.ID), "amount": &types.AttributeValueMemberN{Value: amount}},
			ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Update: &types.Update{TableName: aws.String(Table),
			Key:                       map[string]types.AttributeValue{"pk": s(statsPK), "sk": s("all")},
			UpdateExpression:          aws.String("ADD writes :one, #total :amount"),
			ExpressionAttributeNames:  map[string]string{"#total": "total"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}, ":amount": &types.AttributeValueMemberN{Value: amount}}}},
	}})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 0 && aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return nil // stored by an earlier delivery: exactly once
	}
	if err != nil {
		return fmt.Errorf("store write %s: %w", in.ID, err)
	}
	return nil
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(av types.AttributeValue) string {
	if n, ok := av.(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return "0"
}

func init() { local.Register(App(0)) }
