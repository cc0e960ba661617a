package writer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/campaignkit/campaignkit/internal/store"
)

// DynamoDB request limits the sink plans around.
const (
	maxBatchWrite    = 25
	maxTransact      = 100
	maxTransactBytes = 3500 << 10
)

// DynamoConfig configures a DynamoSink.
type DynamoConfig struct {
	// Table is the table name. Required.
	Table string
	// PKName and SKName are the table's string key attributes. Default "pk", "sk".
	PKName, SKName string
	// MarkerPrefix prefixes the partition key of the marker item written for
	// records that have counter increments but no puts. Default "IDEMPOTENCY#".
	MarkerPrefix string
	// DedicatedMarkers gives every record with counters its own
	// IDEMPOTENCY# marker item instead of using its first Put as the marker.
	// Costs one more item per record; use it when a record's first Put may
	// also be written by other records. Default false.
	DedicatedMarkers bool
	// MarkerTTL, when set, stamps marker items with an expiry (epoch
	// seconds in TTLAttribute) so DynamoDB's TTL can delete them; enable TTL
	// on that attribute. It must exceed the queue's retention (SQS allows
	// up to 14 days) plus redrive time, or a late redelivery would count
	// twice. Default 0: markers are kept.
	MarkerTTL time.Duration
	// TTLAttribute names the expiry attribute. Default "expiresAt".
	TTLAttribute string
	// MaxAttempts bounds the tries of one group of writes on retryable
	// errors (throttling, UnprocessedItems, transaction conflicts). Default 8.
	MaxAttempts int
	// BaseDelay and MaxDelay bound the full-jitter exponential backoff
	// between tries. Default 20 ms and 1 s.
	BaseDelay, MaxDelay time.Duration
}

// DynamoSink writes records to one DynamoDB table through the store port.
//
// Exactly-once: records with counter increments are applied with
// TransactWriteItems, each transaction holding, per record, a marker put
// conditioned on attribute_not_exists(pk) (the record's first Put, or a
// dedicated marker item when it has none) and its other puts, plus ONE
// coalesced ADD update per counter key for all records in the transaction.
// When a marker's condition fails the record was applied before: it is
// dropped as Duplicate and the rest retried with recomputed sums. Records
// with puts only go through BatchWriteItem (25 per call, UnprocessedItems
// retried with backoff); their deterministic keys make replays harmless,
// and as BatchWriteItem cannot tell, replays are reported Written.
//
// Contract for callers: the first Put of a record with Adds must have a key
// derived from the record's idempotency key and written by no other record
// (set DedicatedMarkers otherwise): if another record created that item
// first, this record would be taken for a replay and its counters skipped.
type DynamoSink struct {
	db  store.DB
	cfg DynamoConfig
}

// NewDynamoSink returns a sink writing to cfg.Table through db (a
// *dynamodb.Client or a *store.Embedded).
func NewDynamoSink(db store.DB, cfg DynamoConfig) *DynamoSink {
	if cfg.PKName == "" {
		cfg.PKName = "pk"
	}
	if cfg.SKName == "" {
		cfg.SKName = "sk"
	}
	if cfg.MarkerPrefix == "" {
		cfg.MarkerPrefix = "IDEMPOTENCY#"
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.TTLAttribute == "" {
		cfg.TTLAttribute = "expiresAt"
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = 20 * time.Millisecond
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = time.Second
	}
	return &DynamoSink{db: db, cfg: cfg}
}

// Write applies recs; see DynamoSink for the guarantees.
func (s *DynamoSink) Write(ctx context.Context, recs []Record) []Result {
	res := make([]Result, len(recs))
	var counted, plain []int
	for i, r := range recs {
		if err := r.Validate(s.cfg.PKName, s.cfg.SKName); err != nil {
			res[i] = Result{Outcome: Failed, Err: err}
			continue
		}
		if len(r.Adds) > 0 {
			if n := s.itemsNeeded(r); n > maxTransact {
				res[i] = Result{Outcome: Failed, Err: fmt.Errorf("record %s needs %d transaction items, DynamoDB allows %d", r.IdempotencyKey, n, maxTransact)}
				continue
			}
			if n := recordSize(r); n > maxTransactBytes {
				res[i] = Result{Outcome: Failed, Err: fmt.Errorf("record %s is about %d bytes, more than a transaction carries", r.IdempotencyKey, n)}
				continue
			}
			counted = append(counted, i)
		} else {
			plain = append(plain, i)
		}
	}
	s.writeTransactions(ctx, recs, s.byCounterKeys(recs, counted), res)
	s.writeBatches(ctx, recs, plain, res)
	return res
}

// itemsNeeded counts the transaction items a counted record needs alone.
func (s *DynamoSink) itemsNeeded(r Record) int {
	keys := map[Key]bool{}
	for _, a := range r.Adds {
		keys[a.Key] = true
	}
	return len(s.ownKeys(r)) + len(keys)
}

// byCounterKeys orders counted records by the counter keys they touch, so
// the planner packs records sharing counters into the same transaction and
// each counter is updated as few times as possible (votes for one option
// travel together). When two records put the same item their order decides
// which put wins, so the delivery order is kept.
func (s *DynamoSink) byCounterKeys(recs []Record, idx []int) []int {
	seen := map[Key]bool{}
	for _, i := range idx {
		for _, k := range s.ownKeys(recs[i]) {
			if seen[k] {
				return idx
			}
			seen[k] = true
		}
	}
	sig := make(map[int]string, len(idx))
	for _, i := range idx {
		var ks []string
		for _, a := range recs[i].Adds {
			ks = append(ks, a.Key.PK+"\x00"+a.Key.SK)
		}
		sort.Strings(ks)
		sig[i] = strings.Join(slices.Compact(ks), "\x01")
	}
	out := append([]int(nil), idx...)
	sort.SliceStable(out, func(a, b int) bool { return sig[out[a]] < sig[out[b]] })
	return out
}

// backoff sleeps for full-jitter exponential backoff before try attempt
// (1-based), or returns ctx's error.
func (s *DynamoSink) backoff(ctx context.Context, attempt int) error {
	d := s.cfg.BaseDelay << min(attempt-1, 20)
	if d > s.cfg.MaxDelay || d <= 0 {
		d = s.cfg.MaxDelay
	}
	d = time.Duration(rand.Int64N(int64(d)) + 1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryable tells errors worth another try (throttling, conflicts, server
// and transport errors) from those that will fail again.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ValidationException", "ResourceNotFoundException", "ConditionalCheckFailedException",
			"AccessDeniedException", "UnrecognizedClientException", "SerializationException",
			"ItemCollectionSizeLimitExceededException", "IdempotentParameterMismatchException":
			return false
		}
		return true
	}
	return true
}

// --- transactions (records with counters) ---

type txPart struct {
	rec int  // record index for marker/put items, -1 for counter updates
	key Key  // item key
	upd bool // counter update
	mrk bool // the record's marker
}

type tx struct {
	items []types.TransactWriteItem
	parts []txPart
	keys  map[Key]bool
	adds  map[Key]map[string]int64
	recs  []int
	bytes int
}

func (s *DynamoSink) markerKey(r Record) Key {
	k := s.cfg.MarkerPrefix + r.IdempotencyKey
	return Key{PK: k, SK: k}
}

// plan packs pending records into transactions of at most 100 items and
// about 3.5 MB (DynamoDB's limits are 100 and 4 MB) with no item touched
// twice; counter updates are coalesced per key. Records in isolate get a
// transaction of their own.
func (s *DynamoSink) plan(recs []Record, pending []int, isolate map[int]bool) []*tx {
	var out []*tx
	cur := &tx{keys: map[Key]bool{}, adds: map[Key]map[string]int64{}}
	for _, i := range pending {
		r := recs[i]
		size := recordSize(r)
		own := s.ownKeys(r)
		newCounters := map[Key]bool{}
		for _, a := range r.Adds {
			if _, ok := cur.adds[a.Key]; !ok {
				newCounters[a.Key] = true
			}
		}
		need := len(own) + len(newCounters)
		clash := false
		for _, k := range own {
			if cur.keys[k] {
				clash = true
			}
		}
		for k := range newCounters {
			if cur.keys[k] {
				clash = true
			}
		}
		full := cur.size()+need > maxTransact || cur.bytes+size > maxTransactBytes
		if len(cur.recs) > 0 && (clash || full || isolate[i] || isolate[cur.recs[0]]) {
			out = append(out, cur)
			cur = &tx{keys: map[Key]bool{}, adds: map[Key]map[string]int64{}}
		}
		cur.recs = append(cur.recs, i)
		cur.bytes += size
		for _, k := range own {
			cur.keys[k] = true
		}
		for _, a := range r.Adds {
			m, ok := cur.adds[a.Key]
			if !ok {
				m = map[string]int64{}
				cur.adds[a.Key] = m
				cur.keys[a.Key] = true
			}
			m[a.Attr] += a.Delta
		}
	}
	if len(cur.recs) > 0 {
		out = append(out, cur)
	}
	for _, t := range out {
		s.build(recs, t)
	}
	return out
}

func (t *tx) size() int {
	n := len(t.adds)
	for k := range t.keys {
		if _, ok := t.adds[k]; !ok {
			n++
		}
	}
	return n
}

// recordSize approximates the bytes a record adds to a transaction.
func recordSize(r Record) int {
	n := 200 // marker and request overhead
	for _, it := range r.Puts {
		n += store.ItemSize(it)
	}
	return n + 100*len(r.Adds)
}

// dedicatedMarker tells whether r gets an IDEMPOTENCY# marker item
// rather than using its first put as the marker.
func (s *DynamoSink) dedicatedMarker(r Record) bool {
	return len(r.Puts) == 0 || s.cfg.DedicatedMarkers
}

// ownKeys lists the item keys a record writes itself (marker and puts).
func (s *DynamoSink) ownKeys(r Record) []Key {
	var ks []Key
	if s.dedicatedMarker(r) {
		ks = append(ks, s.markerKey(r))
	}
	for _, it := range r.Puts {
		k, _ := ItemKey(it, s.cfg.PKName, s.cfg.SKName)
		ks = append(ks, k)
	}
	return ks
}

func (s *DynamoSink) keyAV(k Key) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		s.cfg.PKName: &types.AttributeValueMemberS{Value: k.PK},
		s.cfg.SKName: &types.AttributeValueMemberS{Value: k.SK},
	}
}

// build renders t's items: per record its marker and puts, then one
// coalesced update per counter key (sorted, for stable requests).
func (s *DynamoSink) build(recs []Record, t *tx) {
	table := aws.String(s.cfg.Table)
	cond := aws.String("attribute_not_exists(#pk)")
	names := map[string]string{"#pk": s.cfg.PKName}
	for _, i := range t.recs {
		r := recs[i]
		puts := r.Puts
		if s.dedicatedMarker(r) {
			k := s.markerKey(r)
			m := s.keyAV(k)
			m["idempotencyKey"] = &types.AttributeValueMemberS{Value: r.IdempotencyKey}
			if s.cfg.MarkerTTL > 0 {
				m[s.cfg.TTLAttribute] = &types.AttributeValueMemberN{Value: strconv.FormatInt(time.Now().Add(s.cfg.MarkerTTL).Unix(), 10)}
			}
			puts = append([]Item{m}, puts...)
		}
		for j, it := range puts {
			k, _ := ItemKey(it, s.cfg.PKName, s.cfg.SKName)
			p := &types.Put{TableName: table, Item: it}
			if j == 0 {
				p.ConditionExpression = cond
				p.ExpressionAttributeNames = names
			}
			t.items = append(t.items, types.TransactWriteItem{Put: p})
			t.parts = append(t.parts, txPart{rec: i, key: k, mrk: j == 0})
		}
	}
	keys := make([]Key, 0, len(t.adds))
	for k := range t.adds {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].PK != keys[b].PK {
			return keys[a].PK < keys[b].PK
		}
		return keys[a].SK < keys[b].SK
	})
	for _, k := range keys {
		expr, an, av := addExpression(t.adds[k])
		t.items = append(t.items, types.TransactWriteItem{Update: &types.Update{
			TableName: table, Key: s.keyAV(k), UpdateExpression: aws.String(expr),
			ExpressionAttributeNames: an, ExpressionAttributeValues: av,
		}})
		t.parts = append(t.parts, txPart{rec: -1, key: k, upd: true})
	}
}

// addExpression renders "ADD #a0 :a0, #a1 :a1" for deltas (sorted by name).
func addExpression(deltas map[string]int64) (string, map[string]string, map[string]types.AttributeValue) {
	attrs := make([]string, 0, len(deltas))
	for a := range deltas {
		attrs = append(attrs, a)
	}
	sort.Strings(attrs)
	names := make(map[string]string, len(attrs))
	vals := make(map[string]types.AttributeValue, len(attrs))
	expr := "ADD "
	for n, a := range attrs {
		if n > 0 {
			expr += ", "
		}
		id := strconv.Itoa(n)
		expr += "#a" + id + " :a" + id
		names["#a"+id] = a
		vals[":a"+id] = &types.AttributeValueMemberN{Value: strconv.FormatInt(deltas[a], 10)}
	}
	return expr, names, vals
}

// writeTransactions applies the counted records, retrying what is left
// after duplicates are dropped, until all are settled or tries run out.
// A request-level rejection of a multi-record transaction (one bad record
// makes DynamoDB refuse the whole request) is retried one record per
// transaction, so only the bad record fails.
func (s *DynamoSink) writeTransactions(ctx context.Context, recs []Record, idx []int, res []Result) {
	pending := idx
	isolate := map[int]bool{}
	attempt := 0
	var lastErr error
	for len(pending) > 0 {
		var retry []int
		backoff := false
		for _, t := range s.plan(recs, pending, isolate) {
			out := s.runTx(ctx, recs, t, res)
			retry = append(retry, out.again...)
			if out.backoff {
				backoff = true
				lastErr = out.err
			}
			if out.isolate {
				for _, i := range out.again {
					isolate[i] = true
				}
			}
		}
		pending = retry
		if len(pending) == 0 {
			return
		}
		if backoff {
			attempt++
			if attempt >= s.cfg.MaxAttempts {
				break
			}
			if err := s.backoff(ctx, attempt); err != nil {
				lastErr = err
				break
			}
		}
	}
	for _, i := range pending {
		res[i] = Result{Outcome: Failed, Err: fmt.Errorf("transact write: gave up after %d tries: %w", attempt, lastErr)}
	}
}

// txOutcome is what runTx left to do.
type txOutcome struct {
	again   []int // records to try again
	backoff bool  // wait before trying again (throttling, conflicts)
	isolate bool  // try them one record per transaction
	err     error
}

// runTx runs one transaction and settles the records it can.
func (s *DynamoSink) runTx(ctx context.Context, recs []Record, t *tx, res []Result) txOutcome {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.items})
	if err == nil {
		for _, i := range t.recs {
			res[i] = Result{Outcome: Written}
		}
		return txOutcome{}
	}
	var tce *types.TransactionCanceledException
	switch {
	case ctx.Err() != nil:
		// Out of time: nothing more can be tried in this invocation.
		for _, i := range t.recs {
			res[i] = Result{Outcome: Failed, Err: fmt.Errorf("transact write: %w", err)}
		}
		return txOutcome{err: err}
	case errors.As(err, &tce) && len(tce.CancellationReasons) == len(t.items):
		return s.settle(recs, t, tce, res, err)
	case errors.As(err, &tce) || retryable(err):
		// Throttled, a transport error, or cancelled without per-item
		// reasons: nothing is known to be applied, try all again.
		return txOutcome{again: t.recs, backoff: true, err: err}
	case len(t.recs) > 1:
		return txOutcome{again: t.recs, isolate: true, err: err}
	default:
		res[t.recs[0]] = Result{Outcome: Failed, Err: fmt.Errorf("transact write: %w", err)}
		return txOutcome{err: err}
	}
}

// settle reads a cancellation: records whose marker condition failed are
// duplicates, records with an invalid item (or adding to an invalid
// counter) fail, the rest are tried again.
func (s *DynamoSink) settle(recs []Record, t *tx, tce *types.TransactionCanceledException, res []Result, err error) txOutcome {
	out := txOutcome{err: err}
	settled := map[int]bool{}
	badKeys := map[Key]error{}
	for n, reason := range tce.CancellationReasons {
		code := aws.ToString(reason.Code)
		p := t.parts[n]
		switch code {
		case "", "None":
		case "ConditionalCheckFailed":
			if p.mrk {
				res[p.rec] = Result{Outcome: Duplicate}
				settled[p.rec] = true
			}
		case "ValidationError", "ItemCollectionSizeLimitExceeded":
			e := fmt.Errorf("transact write item %s/%s: %s: %s", p.key.PK, p.key.SK, code, aws.ToString(reason.Message))
			if p.upd {
				badKeys[p.key] = e
			} else if !settled[p.rec] {
				res[p.rec] = Result{Outcome: Failed, Err: e}
				settled[p.rec] = true
			}
		default: // TransactionConflict, ThrottlingError, ProvisionedThroughputExceeded...
			out.backoff = true
		}
	}
	for _, i := range t.recs {
		if settled[i] {
			continue
		}
		failed := false
		for _, a := range recs[i].Adds {
			if e, ok := badKeys[a.Key]; ok {
				res[i] = Result{Outcome: Failed, Err: e}
				failed = true
				break
			}
		}
		if !failed {
			out.again = append(out.again, i)
		}
	}
	if len(settled) == 0 && len(badKeys) == 0 {
		// No reason we understand: do not spin, back off.
		out.backoff = true
	}
	return out
}

// --- batch writes (records with puts only) ---

type putOwner struct {
	rec int
	key Key
	it  Item
}

// writeBatches writes the puts of the plain records in BatchWriteItem
// calls of up to 25 distinct keys, retrying UnprocessedItems with backoff.
func (s *DynamoSink) writeBatches(ctx context.Context, recs []Record, idx []int, res []Result) {
	var all []putOwner
	for _, i := range idx {
		for _, it := range recs[i].Puts {
			k, _ := ItemKey(it, s.cfg.PKName, s.cfg.SKName)
			all = append(all, putOwner{rec: i, key: k, it: it})
		}
	}
	failed := map[int]error{}
	for len(all) > 0 {
		// Take up to 25 puts with distinct keys, keeping order.
		var group, rest []putOwner
		seen := map[Key]bool{}
		for _, p := range all {
			if len(group) < maxBatchWrite && !seen[p.key] {
				seen[p.key] = true
				group = append(group, p)
			} else {
				rest = append(rest, p)
			}
		}
		all = rest
		for _, p := range s.batchGroup(ctx, group) {
			if _, ok := failed[p.rec]; !ok {
				failed[p.rec] = p.err
			}
		}
	}
	for _, i := range idx {
		if err, ok := failed[i]; ok {
			res[i] = Result{Outcome: Failed, Err: err}
		} else {
			res[i] = Result{Outcome: Written}
		}
	}
}

type putFailure struct {
	rec int
	err error
}

// batchGroup writes one group of distinct puts; it returns the puts that
// could not be written.
func (s *DynamoSink) batchGroup(ctx context.Context, group []putOwner) []putFailure {
	pending := group
	var lastErr error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if attempt >= s.cfg.MaxAttempts {
				break
			}
			if err := s.backoff(ctx, attempt); err != nil {
				lastErr = err
				break
			}
		}
		reqs := make([]types.WriteRequest, len(pending))
		for n, p := range pending {
			reqs[n] = types.WriteRequest{PutRequest: &types.PutRequest{Item: p.it}}
		}
		out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{s.cfg.Table: reqs},
		})
		if err != nil {
			lastErr = err
			if ctx.Err() != nil {
				break
			}
			if retryable(err) {
				continue
			}
			if len(pending) > 1 {
				// One bad item fails the whole call: isolate it.
				var fails []putFailure
				for _, p := range pending {
					fails = append(fails, s.batchGroup(ctx, []putOwner{p})...)
				}
				return fails
			}
			return []putFailure{{rec: pending[0].rec, err: fmt.Errorf("batch write %s/%s: %w", pending[0].key.PK, pending[0].key.SK, err)}}
		}
		un := out.UnprocessedItems[s.cfg.Table]
		if len(un) == 0 {
			return nil
		}
		left := map[Key]bool{}
		for _, w := range un {
			if w.PutRequest == nil {
				continue
			}
			if k, err := ItemKey(w.PutRequest.Item, s.cfg.PKName, s.cfg.SKName); err == nil {
				left[k] = true
			}
		}
		var next []putOwner
		for _, p := range pending {
			if left[p.key] {
				next = append(next, p)
			}
		}
		pending = next
		lastErr = fmt.Errorf("%d items unprocessed", len(pending))
		if len(pending) == 0 {
			return nil
		}
	}
	fails := make([]putFailure, len(pending))
	for n, p := range pending {
		fails[n] = putFailure{rec: p.rec, err: fmt.Errorf("batch write %s/%s: gave up: %w", p.key.PK, p.key.SK, lastErr)}
	}
	return fails
}
