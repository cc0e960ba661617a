// Package writer is the runtime of campaignkit's queued database writer: a
// Lambda SQS-batch handler that decodes each message into a Record, writes
// the batch to a Sink (DynamoDB through the store port, or PostgreSQL) with
// an exactly-once effect under redelivery, coalesces counter increments and
// reports only the records that truly failed as batch item failures.
//
// # Exactly once
//
// SQS delivers at least once, in any grouping: a record may come back
// alone, in another batch, or in two concurrent batches. Each Record
// carries an IdempotencyKey and the sinks make its effect happen once:
//
//   - DynamoDB: records with counters go through TransactWriteItems. Per
//     record, a marker put conditioned on attribute_not_exists(pk) (its first
//     Put, or a dedicated IDEMPOTENCY# item) plus its other puts; per
//     transaction, ONE coalesced ADD update per counter key. A marker whose
//     condition fails means "applied before": the record is a Duplicate and
//     the rest is retried with recomputed sums. Records sharing counters are
//     packed together, so a key is updated once per transaction (≤ 100
//     items: 100 − keys records). Records with puts only go through
//     BatchWriteItem, 25 distinct keys per call, UnprocessedItems retried
//     with full-jitter backoff; their deterministic keys make replays
//     overwrite themselves.
//   - PostgreSQL: one transaction per batch; INSERT … ON CONFLICT DO NOTHING
//     RETURNING into a records table says which records are new; only their
//     items are upserted and their deltas added (ON CONFLICT DO UPDATE SET
//     value = counters.value + EXCLUDED.value).
//
// Failures are per record: a message that does not decode is a poison
// record; a record the database rejects fails alone (a rejected request is
// retried record by record); throttling and conflicts are retried within the
// invocation's time, keeping a margin to report. Failed records are
// returned as BatchItemFailures and reach the DLQ after maxReceiveCount.
//
// Producers send Message bodies (EncodeMessage) to the generic writer
// Lambda, or apps supply their own Config.Decode.
package writer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Item is one item to store, in DynamoDB attribute form. It must carry the
// sink's key attributes (by default "pk" and "sk", both strings).
type Item = map[string]types.AttributeValue

// Key addresses one item by partition and sort key (both strings).
type Key struct {
	PK string
	SK string
}

// Add increments the numeric attribute Attr of the item at Key by Delta.
// The item and attribute are created (from zero) when missing.
type Add struct {
	Key   Key
	Attr  string
	Delta int64
}

// Record is the decoded, validated content of one queue message: what one
// accepted request must do to the database, exactly once.
type Record struct {
	// IdempotencyKey identifies the logical write (e.g. "donation#<uuid>").
	// Replays of the same key have no further effect.
	IdempotencyKey string
	// Puts are the items to create or replace.
	Puts []Item
	// Adds are the counter increments to apply once.
	Adds []Add
}

// Validate reports what is wrong with r in a form fit for logs: an empty
// idempotency key, an empty record, a put without string key attributes, a
// zero-length attribute name, or one item written twice by the record.
func (r Record) Validate(pkName, skName string) error {
	if r.IdempotencyKey == "" {
		return errors.New("record: empty idempotency key")
	}
	if len(r.Puts) == 0 && len(r.Adds) == 0 {
		return fmt.Errorf("record %s: nothing to write", r.IdempotencyKey)
	}
	putKeys := map[Key]bool{}
	for i, it := range r.Puts {
		k, err := ItemKey(it, pkName, skName)
		if err != nil {
			return fmt.Errorf("record %s: put %d: %w", r.IdempotencyKey, i, err)
		}
		if putKeys[k] {
			return fmt.Errorf("record %s: put %d: item %s/%s written twice", r.IdempotencyKey, i, k.PK, k.SK)
		}
		putKeys[k] = true
	}
	for i, a := range r.Adds {
		switch {
		case a.Key.PK == "" || a.Key.SK == "":
			return fmt.Errorf("record %s: add %d: empty key", r.IdempotencyKey, i)
		case a.Attr == "" || a.Attr == pkName || a.Attr == skName:
			return fmt.Errorf("record %s: add %d: bad attribute %q", r.IdempotencyKey, i, a.Attr)
		case putKeys[a.Key]:
			return fmt.Errorf("record %s: add %d: item %s/%s is also put by the record", r.IdempotencyKey, i, a.Key.PK, a.Key.SK)
		}
	}
	return nil
}

// ItemKey extracts the string key attributes of it.
func ItemKey(it Item, pkName, skName string) (Key, error) {
	pk, ok := it[pkName].(*types.AttributeValueMemberS)
	if !ok || pk.Value == "" {
		return Key{}, fmt.Errorf("missing string key attribute %q", pkName)
	}
	sk, ok := it[skName].(*types.AttributeValueMemberS)
	if !ok || sk.Value == "" {
		return Key{}, fmt.Errorf("missing string key attribute %q", skName)
	}
	return Key{PK: pk.Value, SK: sk.Value}, nil
}

// Outcome is what a Sink did with one record.
type Outcome int

const (
	// Written means the record's effect was applied by this call.
	Written Outcome = iota
	// Duplicate means the record had been applied before (a replay).
	Duplicate
	// Failed means the record was not applied; it must be redelivered.
	Failed
)

// String names the outcome for logs.
func (o Outcome) String() string {
	switch o {
	case Written:
		return "written"
	case Duplicate:
		return "duplicate"
	default:
		return "failed"
	}
}

// Result is a Sink's verdict on one record.
type Result struct {
	Outcome Outcome
	// Err says why a record Failed.
	Err error
}

// Sink applies records to a database with an exactly-once effect: a record
// whose IdempotencyKey was applied before must come back Duplicate and
// change nothing. Write returns one Result per record, in order; records
// have distinct idempotency keys.
type Sink interface {
	Write(ctx context.Context, recs []Record) []Result
}

// Config wires a Writer.
type Config struct {
	// Decode turns a message into a validated Record; an error makes the
	// message a poison record (reported failed, dead-lettered after
	// maxReceiveCount). Required.
	Decode func(events.SQSMessage) (Record, error)
	// Sink is where records go. Required.
	Sink Sink
	// Logger receives one summary line per batch and one line per failed
	// record. Default: slog.Default().
	Logger *slog.Logger
}

// Writer handles SQS batches. It is safe for concurrent use.
type Writer struct {
	cfg Config
}

// New returns a Writer; it panics when Decode or Sink is missing, a wiring
// error caught at init.
func New(cfg Config) *Writer {
	if cfg.Decode == nil || cfg.Sink == nil {
		panic("writer: Config.Decode and Config.Sink are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Writer{cfg: cfg}
}

// sinkContext leaves a tenth of the invocation's remaining time (at most
// 2 s) to report failures before Lambda's deadline: records still being
// retried then fail and are redelivered, instead of the whole batch timing
// out.
func sinkContext(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}
	}
	margin := min(time.Until(dl)/10, 2*time.Second)
	return context.WithDeadline(ctx, dl.Add(-margin))
}

// Stats counts what one Handle call did.
type Stats struct {
	Records, Written, Duplicate, Failed, Poison int
}

// Handle is the Lambda SQS handler (enable ReportBatchItemFailures on the
// event source). Poison and failed records are returned in
// BatchItemFailures; the error is always nil so the rest of the batch is
// acknowledged.
func (w *Writer) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp, _ := w.HandleStats(ctx, ev)
	return resp, nil
}

// HandleStats is Handle that also returns the batch's counts.
func (w *Writer) HandleStats(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, Stats) {
	start := time.Now()
	st := Stats{Records: len(ev.Records)}
	var resp events.SQSEventResponse
	fail := func(id string) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	// Distinct records in first-seen order; a key seen twice in one batch
	// (a duplicate send) shares the first occurrence's fate.
	var recs []Record
	owners := [][]string{}
	index := map[string]int{}
	for _, m := range ev.Records {
		r, err := w.cfg.Decode(m)
		if err != nil {
			st.Poison++
			w.cfg.Logger.WarnContext(ctx, "writer: poison record", "messageId", m.MessageId, "error", err.Error())
			fail(m.MessageId)
			continue
		}
		if i, ok := index[r.IdempotencyKey]; ok {
			owners[i] = append(owners[i], m.MessageId)
			continue
		}
		index[r.IdempotencyKey] = len(recs)
		recs = append(recs, r)
		owners = append(owners, []string{m.MessageId})
	}
	var results []Result
	if len(recs) > 0 {
		sctx, cancel := sinkContext(ctx)
		results = w.cfg.Sink.Write(sctx, recs)
		cancel()
	}
	for len(results) < len(recs) {
		results = append(results, Result{Outcome: Failed, Err: errors.New("sink returned no result")})
	}
	for i, res := range results[:len(recs)] {
		for j, id := range owners[i] {
			switch {
			case res.Outcome == Failed:
				st.Failed++
				w.cfg.Logger.ErrorContext(ctx, "writer: record failed", "messageId", id, "idempotencyKey", recs[i].IdempotencyKey, "error", fmt.Sprint(res.Err))
				fail(id)
			case res.Outcome == Written && j == 0:
				st.Written++
			default:
				st.Duplicate++
			}
		}
	}
	w.cfg.Logger.InfoContext(ctx, "writer: batch done", "records", st.Records, "written", st.Written,
		"duplicate", st.Duplicate, "failed", st.Failed, "poison", st.Poison, "ms", time.Since(start).Milliseconds())
	return resp, st
}
