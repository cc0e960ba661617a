package writer_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/campaignkit/campaignkit/internal/store"
	"github.com/campaignkit/campaignkit/internal/writer"
)

// The sink contract suite: the same scenarios against DynamoDB on the
// embedded store, DynamoDB on moto, and PostgreSQL.

func sv(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func nv(v int64) types.AttributeValue  { return &types.AttributeValueMemberN{Value: fmt.Sprint(v)} }

var total = writer.Key{PK: "TOTAL", SK: "TOTAL"}

func charityKey(c string) writer.Key { return writer.Key{PK: "CHARITY#" + c, SK: "TOTAL"} }

// donation: put the donation item, add amount and count to TOTAL and to
// the charity.
func donation(id, charity string, amount int64) writer.Record {
	return writer.Record{
		IdempotencyKey: "donation#" + id,
		Puts:           []writer.Item{{"pk": sv("DONATION#" + id), "sk": sv("DONATION"), "charity": sv(charity), "amount": nv(amount)}},
		Adds: []writer.Add{
			{Key: total, Attr: "amount", Delta: amount}, {Key: total, Attr: "count", Delta: 1},
			{Key: charityKey(charity), Attr: "amount", Delta: amount}, {Key: charityKey(charity), Attr: "count", Delta: 1},
		},
	}
}

// vote: a counter increment only.
func vote(id, option string) writer.Record {
	return writer.Record{IdempotencyKey: "vote#" + id,
		Adds: []writer.Add{{Key: writer.Key{PK: "POLL#1", SK: "OPTION#" + option}, Attr: "votes", Delta: 1}}}
}

// profile: a put only.
func profile(id string) writer.Record {
	return writer.Record{IdempotencyKey: "profile#" + id,
		Puts: []writer.Item{{"pk": sv("PROFILE#" + id), "sk": sv("PROFILE"), "name": sv("n" + id)}}}
}

func message(t testing.TB, id string, r writer.Record) events.SQSMessage {
	t.Helper()
	body, err := writer.EncodeMessage(r)
	if err != nil {
		t.Fatal(err)
	}
	return events.SQSMessage{MessageId: id, Body: body}
}

func newWriter(s writer.Sink) *writer.Writer {
	return writer.New(writer.Config{Decode: writer.DecodeJSON("pk", "sk"), Sink: s, Logger: discard})
}

// mixedBatch returns nDonations donations over 3 charities, nVotes votes
// over 4 options and nProfiles put-only records, with the sums expected.
type expect struct {
	amount, count int64
	charity       map[string][2]int64
	votes         map[string]int64
	keys          []writer.Key
}

func mixedBatch(t testing.TB, prefix string, nDonations, nVotes, nProfiles int) ([]events.SQSMessage, expect) {
	var msgs []events.SQSMessage
	ex := expect{charity: map[string][2]int64{}, votes: map[string]int64{}}
	for i := 0; i < nDonations; i++ {
		c := fmt.Sprint("c", i%3)
		amt := int64(100 + i)
		msgs = append(msgs, message(t, fmt.Sprintf("%s-d%d", prefix, i), donation(fmt.Sprintf("%s-%d", prefix, i), c, amt)))
		ex.amount += amt
		ex.count++
		ch := ex.charity[c]
		ch[0] += amt
		ch[1]++
		ex.charity[c] = ch
		ex.keys = append(ex.keys, writer.Key{PK: fmt.Sprintf("DONATION#%s-%d", prefix, i), SK: "DONATION"})
	}
	for i := 0; i < nVotes; i++ {
		o := fmt.Sprint("o", i%4)
		msgs = append(msgs, message(t, fmt.Sprintf("%s-v%d", prefix, i), vote(fmt.Sprintf("%s-%d", prefix, i), o)))
		ex.votes[o]++
	}
	for i := 0; i < nProfiles; i++ {
		msgs = append(msgs, message(t, fmt.Sprintf("%s-p%d", prefix, i), profile(fmt.Sprintf("%s-%d", prefix, i))))
		ex.keys = append(ex.keys, writer.Key{PK: fmt.Sprintf("PROFILE#%s-%d", prefix, i), SK: "PROFILE"})
	}
	return msgs, ex
}

func (ex expect) check(t testing.TB, in inspector) {
	t.Helper()
	if got := in.counter(t, total, "amount"); got != ex.amount {
		t.Errorf("TOTAL amount = %d, want %d", got, ex.amount)
	}
	if got := in.counter(t, total, "count"); got != ex.count {
		t.Errorf("TOTAL count = %d, want %d", got, ex.count)
	}
	for c, want := range ex.charity {
		if a, n := in.counter(t, charityKey(c), "amount"), in.counter(t, charityKey(c), "count"); a != want[0] || n != want[1] {
			t.Errorf("charity %s = %d/%d, want %d/%d", c, a, n, want[0], want[1])
		}
	}
	for o, want := range ex.votes {
		if got := in.counter(t, writer.Key{PK: "POLL#1", SK: "OPTION#" + o}, "votes"); got != want {
			t.Errorf("votes %s = %d, want %d", o, got, want)
		}
	}
	for _, k := range ex.keys {
		if !in.has(t, k) {
			t.Errorf("item %s/%s missing", k.PK, k.SK)
		}
	}
}

func failedIDs(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	sort.Strings(ids)
	return ids
}

func TestSinkContract(t *testing.T) {
	for _, b := range sinkBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Run("ReplayedBatchIsExactlyOnce", func(t *testing.T) { testReplay(t, b) })
			t.Run("OverlappingRedelivery", func(t *testing.T) { testOverlap(t, b) })
			t.Run("PoisonRecordsFailAlone", func(t *testing.T) { testPoison(t, b) })
			t.Run("ConcurrentBatches", func(t *testing.T) { testConcurrent(t, b) })
			t.Run("LargeBatchSpansTransactions", func(t *testing.T) { testLarge(t, b) })
			if !b.dynamo {
				t.Run("RejectedRecordFailsAlone", func(t *testing.T) { testPostgresRejects(t, b) })
			}
			if b.dynamo {
				t.Run("UnprocessedItemsRetried", func(t *testing.T) { testUnprocessed(t, b) })
				t.Run("SinkErrorsFailOnlyTheirRecords", func(t *testing.T) { testSinkErrors(t, b) })
				t.Run("ConflictsRetriedThrottlingGivesUp", func(t *testing.T) { testConflicts(t, b) })
			}
		})
	}
}

func testReplay(t *testing.T, b sinkBackend) {
	sink, in := b.open(t, nil)
	w := newWriter(sink)
	msgs, ex := mixedBatch(t, "r", 30, 20, 10)
	for delivery := 1; delivery <= 2; delivery++ {
		resp, st := w.HandleStats(context.Background(), events.SQSEvent{Records: msgs})
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("delivery %d: failures %v", delivery, failedIDs(resp))
		}
		switch delivery {
		case 1:
			if st.Written != 60 {
				t.Errorf("first delivery: %+v, want 60 written", st)
			}
		case 2:
			// Counted records are recognised as replays; put-only ones are
			// idempotent overwrites on DynamoDB (BatchWriteItem cannot tell).
			if st.Duplicate < 50 || st.Written+st.Duplicate != 60 {
				t.Errorf("replay: %+v, want ≥ 50 duplicates", st)
			}
		}
		ex.check(t, in)
	}
	// A message delivered twice within one batch counts once.
	msgs2, ex2 := mixedBatch(t, "r2", 3, 0, 0)
	msgs2 = append(msgs2, msgs2[0], msgs2[1])
	ex2.amount += ex.amount
	ex2.count += ex.count
	for c, v := range ex.charity {
		w2 := ex2.charity[c]
		ex2.charity[c] = [2]int64{w2[0] + v[0], w2[1] + v[1]}
	}
	resp, _ := w.HandleStats(context.Background(), events.SQSEvent{Records: msgs2})
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", failedIDs(resp))
	}
	ex2.check(t, in)
}

// testOverlap redelivers part of an applied batch together with new
// records: the replayed records are dropped, the new ones applied once.
func testOverlap(t *testing.T, b sinkBackend) {
	sink, in := b.open(t, nil)
	w := newWriter(sink)
	msgs, ex := mixedBatch(t, "o", 20, 0, 0)
	if resp, _ := w.HandleStats(context.Background(), events.SQSEvent{Records: msgs[:10]}); len(resp.BatchItemFailures) > 0 {
		t.Fatal(failedIDs(resp))
	}
	resp, st := w.HandleStats(context.Background(), events.SQSEvent{Records: msgs[5:]})
	if len(resp.BatchItemFailures) > 0 {
		t.Fatal(failedIDs(resp))
	}
	if st.Written != 10 || st.Duplicate != 5 {
		t.Errorf("stats %+v, want 10 written and 5 duplicates", st)
	}
	ex.check(t, in)
}

func testPoison(t *testing.T, b sinkBackend) {
	sink, in := b.open(t, nil)
	w := newWriter(sink)
	msgs, ex := mixedBatch(t, "p", 10, 5, 5)
	poison := []events.SQSMessage{
		{MessageId: "bad-json", Body: "{not json"},
		{MessageId: "bad-empty-key", Body: `{"key":"","add":[{"pk":"TOTAL","sk":"TOTAL","attr":"amount","delta":1}]}`},
		{MessageId: "bad-nothing", Body: `{"key":"k"}`},
		{MessageId: "bad-unknown-field", Body: `{"key":"k2","amount":5}`},
		{MessageId: "bad-no-sk", Body: `{"key":"k3","put":[{"pk":"X"}]}`},
		{MessageId: "bad-key-attr", Body: `{"key":"k4","add":[{"pk":"A","sk":"B","attr":"pk","delta":1}]}`},
	}
	// Interleave the poison messages with good ones.
	var batch []events.SQSMessage
	for i, m := range msgs {
		batch = append(batch, m)
		if i < len(poison) {
			batch = append(batch, poison[i])
		}
	}
	resp, st := w.HandleStats(context.Background(), events.SQSEvent{Records: batch})
	want := []string{"bad-empty-key", "bad-json", "bad-key-attr", "bad-no-sk", "bad-nothing", "bad-unknown-field"}
	if got := failedIDs(resp); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("BatchItemFailures = %v, want %v", got, want)
	}
	if st.Poison != len(poison) || st.Written != len(msgs) {
		t.Errorf("stats %+v", st)
	}
	ex.check(t, in)
}

func testConcurrent(t *testing.T, b sinkBackend) {
	sink, in := b.open(t, nil)
	w := newWriter(sink)
	nd, nv := 240, 120
	if b.workers == 1 {
		nd, nv = 60, 30 // moto copies the table per transaction: keep it small
	}
	msgs, ex := mixedBatch(t, "c", nd, nv, 0)
	// 6 workers; each message is delivered twice, in batches of 10, often
	// to two workers at once (SQS at-least-once with concurrent pollers).
	var batches [][]events.SQSMessage
	for rep := 0; rep < 2; rep++ {
		shuffled := append([]events.SQSMessage(nil), msgs...)
		if rep == 1 {
			for i, j := 0, len(shuffled)-1; i < j; i, j = i+1, j-1 {
				shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
			}
		}
		for i := 0; i < len(shuffled); i += 10 {
			batches = append(batches, shuffled[i:min(i+10, len(shuffled))])
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var failures atomic.Int64
	workers := 6
	if b.workers > 0 {
		workers = b.workers
	}
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(batches) {
					return
				}
				// Failed records are redelivered, as SQS would.
				ev := events.SQSEvent{Records: batches[i]}
				for attempt := 0; attempt < 20; attempt++ {
					resp, _ := w.HandleStats(context.Background(), ev)
					if len(resp.BatchItemFailures) == 0 {
						break
					}
					failures.Add(int64(len(resp.BatchItemFailures)))
					failed := map[string]bool{}
					for _, f := range resp.BatchItemFailures {
						failed[f.ItemIdentifier] = true
					}
					var again []events.SQSMessage
					for _, m := range ev.Records {
						if failed[m.MessageId] {
							again = append(again, m)
						}
					}
					ev.Records = again
				}
			}
		}()
	}
	wg.Wait()
	if f := failures.Load(); f > 0 {
		t.Logf("%d record failures were redelivered", f)
	}
	ex.check(t, in)
}

// testLarge sends one batch larger than a transaction can hold.
func testLarge(t *testing.T, b sinkBackend) {
	sink, in := b.open(t, nil)
	w := newWriter(sink)
	msgs, ex := mixedBatch(t, "l", 150, 100, 30)
	for delivery := 0; delivery < 2; delivery++ {
		resp, _ := w.HandleStats(context.Background(), events.SQSEvent{Records: msgs})
		if len(resp.BatchItemFailures) > 0 {
			t.Fatal(failedIDs(resp))
		}
	}
	ex.check(t, in)
}

func testUnprocessed(t *testing.T, b sinkBackend) {
	// Wrap the port: the first 3 BatchWriteItem calls process only their
	// first item. Against the embedded store, also use its own option.
	var calls atomic.Int64
	wrap := func(db store.DB) store.DB { return &unprocessedDB{DB: db, left: 3, calls: &calls} }
	var optCalls atomic.Int64
	opt := store.WithUnprocessed(func(_ string, _ types.WriteRequest) bool { return optCalls.Add(1)%3 == 0 && optCalls.Load() < 60 })
	sink, in := b.open(t, wrap, opt)
	w := newWriter(sink)
	msgs, ex := mixedBatch(t, "u", 0, 0, 60)
	resp, st := w.HandleStats(context.Background(), events.SQSEvent{Records: msgs})
	if len(resp.BatchItemFailures) > 0 {
		t.Fatalf("failures %v", failedIDs(resp))
	}
	if st.Written != 60 {
		t.Errorf("stats %+v", st)
	}
	if calls.Load() < 6 {
		t.Errorf("BatchWriteItem calls = %d, want retries of unprocessed items (≥ 6)", calls.Load())
	}
	ex.check(t, in)
}

// unprocessedDB returns all but the first request of the first `left`
// BatchWriteItem calls as UnprocessedItems, without writing them.
type unprocessedDB struct {
	store.DB
	mu    sync.Mutex
	left  int
	calls *atomic.Int64
}

func (u *unprocessedDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	u.calls.Add(1)
	u.mu.Lock()
	throttle := u.left > 0
	u.left--
	u.mu.Unlock()
	if !throttle {
		return u.DB.BatchWriteItem(ctx, in, opts...)
	}
	keep := map[string][]types.WriteRequest{}
	skip := map[string][]types.WriteRequest{}
	for table, reqs := range in.RequestItems {
		keep[table] = reqs[:1]
		if len(reqs) > 1 {
			skip[table] = reqs[1:]
		}
	}
	out, err := u.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: keep}, opts...)
	if err != nil {
		return nil, err
	}
	for table, reqs := range skip {
		out.UnprocessedItems[table] = append(out.UnprocessedItems[table], reqs...)
	}
	return out, nil
}

// failingDB rejects any write touching an item whose pk is in bad, the way
// DynamoDB rejects an invalid item (a cancellation reason in a transaction,
// a ValidationException for a batch write), rejects whole transaction
// requests touching an item in badRequest, and throttles the first
// transaction.
type failingDB struct {
	store.DB
	bad, badRequest map[string]bool
	throttled       atomic.Bool
}

func (f *failingDB) badItem(it map[string]types.AttributeValue) bool {
	pk, _ := it["pk"].(*types.AttributeValueMemberS)
	return pk != nil && f.bad[pk.Value]
}

func (f *failingDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	for _, reqs := range in.RequestItems {
		for _, r := range reqs {
			if r.PutRequest != nil && f.badItem(r.PutRequest.Item) {
				return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "Item size has exceeded the maximum allowed size"}
			}
		}
	}
	return f.DB.BatchWriteItem(ctx, in, opts...)
}

func (f *failingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if !f.throttled.Swap(true) {
		return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate of requests exceeds the allowed throughput."}
	}
	for _, ti := range in.TransactItems {
		if ti.Put == nil {
			continue
		}
		if pk, _ := ti.Put.Item["pk"].(*types.AttributeValueMemberS); pk != nil && f.badRequest[pk.Value] {
			return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "One or more parameter values were invalid"}
		}
	}
	reasons := make([]types.CancellationReason, len(in.TransactItems))
	bad := false
	for i, ti := range in.TransactItems {
		reasons[i].Code = ptr("None")
		if ti.Put != nil && f.badItem(ti.Put.Item) {
			reasons[i] = types.CancellationReason{Code: ptr("ValidationError"), Message: ptr("Item size has exceeded the maximum allowed size")}
			bad = true
		}
	}
	if bad {
		return nil, &types.TransactionCanceledException{Message: ptr("Transaction cancelled"), CancellationReasons: reasons}
	}
	return f.DB.TransactWriteItems(ctx, in, opts...)
}

func ptr(s string) *string { return &s }

func testSinkErrors(t *testing.T, b sinkBackend) {
	bad := map[string]bool{"DONATION#e-3": true, "PROFILE#e-2": true}
	badRequest := map[string]bool{"DONATION#e-5": true}
	sink, in := b.open(t, func(db store.DB) store.DB { return &failingDB{DB: db, bad: bad, badRequest: badRequest} })
	w := newWriter(sink)
	msgs, _ := mixedBatch(t, "e", 10, 4, 6)
	resp, st := w.HandleStats(context.Background(), events.SQSEvent{Records: msgs})
	if got := failedIDs(resp); fmt.Sprint(got) != "[e-d3 e-d5 e-p2]" {
		t.Errorf("BatchItemFailures = %v, want [e-d3 e-d5 e-p2]", got)
	}
	if st.Failed != 3 || st.Written != 17 {
		t.Errorf("stats %+v", st)
	}
	// The failed donations' increments were not applied.
	var want int64
	for i := 0; i < 10; i++ {
		if i != 3 && i != 5 {
			want += int64(100 + i)
		}
	}
	if got := in.counter(t, total, "amount"); got != want {
		t.Errorf("TOTAL amount = %d, want %d", got, want)
	}
	if in.has(t, writer.Key{PK: "DONATION#e-3", SK: "DONATION"}) {
		t.Error("failed donation was written")
	}
}

// conflictDB cancels the first `conflicts` transactions with
// TransactionConflict reasons (a concurrent transaction on a hot counter),
// and, when always is set, throttles every write.
type conflictDB struct {
	store.DB
	conflicts atomic.Int64
	always    bool
}

func (c *conflictDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if c.always {
		return nil, &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException", Message: "throttled"}
	}
	if c.conflicts.Add(-1) >= 0 {
		reasons := make([]types.CancellationReason, len(in.TransactItems))
		for i, ti := range in.TransactItems {
			reasons[i].Code = ptr("None")
			if ti.Update != nil {
				reasons[i] = types.CancellationReason{Code: ptr("TransactionConflict"), Message: ptr("Transaction is ongoing for the item")}
			}
		}
		return nil, &types.TransactionCanceledException{Message: ptr("Transaction cancelled"), CancellationReasons: reasons}
	}
	return c.DB.TransactWriteItems(ctx, in, opts...)
}

func (c *conflictDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if c.always {
		return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "throttled"}
	}
	return c.DB.BatchWriteItem(ctx, in, opts...)
}

func testConflicts(t *testing.T, b sinkBackend) {
	t.Run("conflicts", func(t *testing.T) {
		cdb := &conflictDB{}
		cdb.conflicts.Store(3)
		sink, in := b.open(t, func(db store.DB) store.DB { cdb.DB = db; return cdb })
		msgs, ex := mixedBatch(t, "k", 20, 10, 0)
		resp, st := newWriter(sink).HandleStats(context.Background(), events.SQSEvent{Records: msgs})
		if len(resp.BatchItemFailures) > 0 || st.Written != 30 {
			t.Fatalf("failures %v, stats %+v", failedIDs(resp), st)
		}
		ex.check(t, in)
	})
	t.Run("throttled until giving up", func(t *testing.T) {
		sink, in := b.open(t, func(db store.DB) store.DB { return &conflictDB{DB: db, always: true} })
		msgs, _ := mixedBatch(t, "g", 3, 2, 2)
		resp, st := newWriter(sink).HandleStats(context.Background(), events.SQSEvent{Records: msgs})
		if len(resp.BatchItemFailures) != 7 || st.Failed != 7 {
			t.Errorf("failures %v, stats %+v: want all 7 reported", failedIDs(resp), st)
		}
		if got := in.counter(t, total, "amount"); got != 0 {
			t.Errorf("TOTAL amount = %d after failed writes", got)
		}
	})
}

// testPostgresRejects sends a donation PostgreSQL refuses (jsonb cannot
// hold U+0000): the batch transaction fails, the records are retried one
// per transaction, and only that donation fails.
func testPostgresRejects(t *testing.T, b sinkBackend) {
	sink, in := b.open(t, nil)
	msgs, _ := mixedBatch(t, "x", 6, 3, 2)
	bad := donation("x-bad", "c0", 999)
	bad.Puts[0]["note"] = sv("nul\x00byte")
	msgs = append(msgs, message(t, "x-bad", bad))
	resp, st := newWriter(sink).HandleStats(context.Background(), events.SQSEvent{Records: msgs})
	if got := failedIDs(resp); fmt.Sprint(got) != "[x-bad]" {
		t.Errorf("BatchItemFailures = %v, want [x-bad]", got)
	}
	if st.Written != 11 {
		t.Errorf("stats %+v", st)
	}
	var want int64
	for i := 0; i < 6; i++ {
		want += int64(100 + i)
	}
	if got := in.counter(t, total, "amount"); got != want {
		t.Errorf("TOTAL amount = %d, want %d", got, want)
	}
}
