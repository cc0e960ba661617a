package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	bolt "go.etcd.io/bbolt"
)

// DynamoDB request limits the embedded store enforces.
const (
	MaxBatchWriteItems = 25
	MaxBatchGetKeys    = 100
	MaxTransactItems   = 100
	MaxItemSize        = 400 * 1024
	maxQueryPage       = 1 << 20
	maxGroupCommit     = 1024
)

var metaBucket = []byte("_tables")

// Embedded is a single-file DynamoDB-compatible store on bbolt for the
// local stack and tests. Every write is durable (fsync'd) when the call
// returns; concurrent writes share one commit (group commit). It
// implements DB and Admin; the package documentation lists what it
// emulates and what it rejects.
type Embedded struct {
	db   *bolt.DB
	opts options

	mu      sync.RWMutex // guards schemas and closed
	schemas map[string]schema
	closed  bool

	reqs chan *commitReq
	done chan struct{}
}

var (
	_ DB    = (*Embedded)(nil)
	_ Admin = (*Embedded)(nil)
)

// Option configures OpenEmbedded.
type Option func(*options)

type options struct {
	unprocessed func(table string, req types.WriteRequest) bool
	timeout     time.Duration
}

// WithUnprocessed simulates throttling: BatchWriteItem leaves every
// request for which fn returns true unwritten and returns it in
// UnprocessedItems, as DynamoDB does under load. fn must be safe for
// concurrent use. Used by tests of retry logic.
func WithUnprocessed(fn func(table string, req types.WriteRequest) bool) Option {
	return func(o *options) { o.unprocessed = fn }
}

// WithLockTimeout bounds how long OpenEmbedded waits for another process
// holding the file. Default 5 s.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// OpenEmbedded opens (creating if needed) the store file at path.
func OpenEmbedded(path string, opts ...Option) (*Embedded, error) {
	o := options{timeout: 5 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        o.timeout,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	e := &Embedded{db: db, opts: o, schemas: map[string]schema{},
		reqs: make(chan *commitReq, 4*maxGroupCommit), done: make(chan struct{})}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var s schema
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("table %s: %w", k, err)
			}
			e.schemas[string(k)] = s
			return nil
		})
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: load %s: %w", path, err)
	}
	go e.commitLoop()
	return e, nil
}

// Path is the store's file.
func (e *Embedded) Path() string { return e.db.Path() }

// Close waits for pending writes and closes the file.
func (e *Embedded) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	close(e.reqs)
	e.mu.Unlock()
	<-e.done
	return e.db.Close()
}

// --- group commit ---

// commitReq is one write operation. fn runs inside a read-write
// transaction; it must do all its checks before its first write, report
// logical failures (conditions) through its own result rather than an
// error, and may run more than once (its results are reset each run).
type commitReq struct {
	fn   func(tx *bolt.Tx) error
	done chan error
}

var errClosed = errors.New("store: embedded store is closed")

// commit runs fn durably, sharing the commit with concurrent writers.
func (e *Embedded) commit(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	r := &commitReq{fn: fn, done: make(chan error, 1)}
	e.mu.RLock()
	if e.closed {
		e.mu.RUnlock()
		return errClosed
	}
	select {
	case e.reqs <- r:
	case <-ctx.Done():
		e.mu.RUnlock()
		return ctx.Err()
	}
	e.mu.RUnlock()
	// Once queued the write will happen: wait for it regardless of ctx, so
	// a caller never mistakes a committed write for a failed one.
	return <-r.done
}

func (e *Embedded) commitLoop() {
	defer close(e.done)
	for r := range e.reqs {
		group := []*commitReq{r}
	drain:
		for len(group) < maxGroupCommit {
			select {
			case r, ok := <-e.reqs:
				if !ok {
					break drain
				}
				group = append(group, r)
			default:
				break drain
			}
		}
		err := e.db.Update(func(tx *bolt.Tx) error {
			for _, r := range group {
				if err := r.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil && len(group) > 1 {
			// One op failed hard: the group rolled back; run each alone.
			for _, r := range group {
				r.done <- e.db.Update(r.fn)
			}
			continue
		}
		for _, r := range group {
			r.done <- err
		}
	}
}

// --- tables and keys ---

// schema is a table's key schema.
type schema struct {
	PK, PKType string
	SK, SKType string `json:",omitempty"`
}

func (s schema) checkAttr(name, typ string, v types.AttributeValue) error {
	ok := false
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		ok = typ == "S" && x.Value != ""
	case *types.AttributeValueMemberN:
		ok = typ == "N"
		if ok {
			if _, err := parseNumber(x.Value); err != nil {
				return err
			}
		}
	case *types.AttributeValueMemberB:
		ok = typ == "B" && len(x.Value) > 0
	}
	if !ok {
		return validationf("One or more parameter values were invalid: Type mismatch or empty value for key %s, expected: %s", name, typ)
	}
	return nil
}

func keyBytes(v types.AttributeValue) []byte {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return []byte(x.Value)
	case *types.AttributeValueMemberN:
		c, _ := canonicalNumber(x.Value)
		return []byte(c)
	case *types.AttributeValueMemberB:
		return x.Value
	}
	return nil
}

func (s schema) prefix(pk types.AttributeValue) []byte {
	pb := keyBytes(pk)
	out := binary.AppendUvarint(nil, uint64(len(pb)))
	return append(out, pb...)
}

// itemKey validates it's key attributes and returns its storage key.
func (s schema) itemKey(it item) ([]byte, error) {
	pk, ok := it[s.PK]
	if !ok {
		return nil, validationf("One or more parameter values were invalid: Missing the key %s in the item", s.PK)
	}
	if err := s.checkAttr(s.PK, s.PKType, pk); err != nil {
		return nil, err
	}
	k := s.prefix(pk)
	if s.SK != "" {
		sk, ok := it[s.SK]
		if !ok {
			return nil, validationf("One or more parameter values were invalid: Missing the key %s in the item", s.SK)
		}
		if err := s.checkAttr(s.SK, s.SKType, sk); err != nil {
			return nil, err
		}
		k = append(k, keyBytes(sk)...)
	}
	return k, nil
}

// keyKey validates a Key map (exactly the key attributes).
func (s schema) keyKey(key item) ([]byte, error) {
	want := 1
	if s.SK != "" {
		want = 2
	}
	if len(key) != want {
		return nil, validationf("The provided key element does not match the schema")
	}
	k, err := s.itemKey(key)
	if err != nil {
		return nil, validationf("The provided key element does not match the schema")
	}
	return k, nil
}

func (s schema) keyOf(it item) item {
	out := item{s.PK: it[s.PK]}
	if s.SK != "" {
		out[s.SK] = it[s.SK]
	}
	return out
}

func dataBucket(table string) []byte { return []byte("t/" + table) }

func (e *Embedded) schema(table *string) (schema, string, error) {
	name := aws.ToString(table)
	if name == "" {
		return schema{}, "", validationf("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
	}
	e.mu.RLock()
	s, ok := e.schemas[name]
	e.mu.RUnlock()
	if !ok {
		return schema{}, "", &types.ResourceNotFoundException{Message: aws.String("Requested resource not found: Table: " + name + " not found")}
	}
	return s, name, nil
}

// CreateTable creates a table from its KeySchema and AttributeDefinitions
// (HASH and optional RANGE key of type S, N or B). Billing and throughput
// settings are accepted and ignored; secondary indexes are rejected.
func (e *Embedded) CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	name := aws.ToString(in.TableName)
	if name == "" || len(name) > 255 {
		return nil, validationf("TableName must be 1 to 255 characters")
	}
	if len(in.GlobalSecondaryIndexes) > 0 || len(in.LocalSecondaryIndexes) > 0 {
		return nil, validationf("embedded store: secondary indexes are not supported")
	}
	defs := map[string]string{}
	for _, d := range in.AttributeDefinitions {
		defs[aws.ToString(d.AttributeName)] = string(d.AttributeType)
	}
	var s schema
	for _, k := range in.KeySchema {
		n := aws.ToString(k.AttributeName)
		t, ok := defs[n]
		if !ok || (t != "S" && t != "N" && t != "B") {
			return nil, validationf("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions")
		}
		switch k.KeyType {
		case types.KeyTypeHash:
			s.PK, s.PKType = n, t
		case types.KeyTypeRange:
			s.SK, s.SKType = n, t
		}
	}
	if s.PK == "" || len(in.KeySchema) > 2 || (len(in.KeySchema) == 2 && s.SK == "") {
		return nil, validationf("Invalid KeySchema: one HASH key and at most one RANGE key")
	}
	if len(defs) != len(in.KeySchema) {
		return nil, validationf("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	meta, _ := json.Marshal(s)
	var exists bool
	err := e.commit(ctx, func(tx *bolt.Tx) error {
		exists = tx.Bucket(metaBucket).Get([]byte(name)) != nil
		if exists {
			return nil
		}
		if _, err := tx.CreateBucketIfNotExists(dataBucket(name)); err != nil {
			return err
		}
		return tx.Bucket(metaBucket).Put([]byte(name), meta)
	})
	if err != nil {
		return nil, fmt.Errorf("store: create table %s: %w", name, err)
	}
	if exists {
		return nil, &types.ResourceInUseException{Message: aws.String("Table already exists: " + name)}
	}
	e.mu.Lock()
	e.schemas[name] = s
	e.mu.Unlock()
	now := time.Now()
	return &dynamodb.CreateTableOutput{TableDescription: &types.TableDescription{
		TableName: aws.String(name), TableStatus: types.TableStatusActive, KeySchema: in.KeySchema,
		AttributeDefinitions: in.AttributeDefinitions, CreationDateTime: &now,
		TableArn: aws.String("arn:aws:dynamodb:local:000000000000:table/" + name),
	}}, nil
}

// DeleteTable drops a table and its items.
func (e *Embedded) DeleteTable(ctx context.Context, in *dynamodb.DeleteTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error) {
	_, name, err := e.schema(in.TableName)
	if err != nil {
		return nil, err
	}
	err = e.commit(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(dataBucket(name)) != nil {
			if err := tx.DeleteBucket(dataBucket(name)); err != nil {
				return err
			}
		}
		return tx.Bucket(metaBucket).Delete([]byte(name))
	})
	if err != nil {
		return nil, fmt.Errorf("store: delete table %s: %w", name, err)
	}
	e.mu.Lock()
	delete(e.schemas, name)
	e.mu.Unlock()
	return &dynamodb.DeleteTableOutput{TableDescription: &types.TableDescription{TableName: aws.String(name), TableStatus: types.TableStatusDeleting}}, nil
}

func getItem(b *bolt.Bucket, k []byte) (item, error) {
	v := b.Get(k)
	if v == nil {
		return nil, nil
	}
	return decodeItem(v)
}

// --- conditions shared by writes ---

type condSpec struct {
	c cond
}

func (cs condSpec) ok(old item) bool {
	if cs.c == nil {
		return true
	}
	if old == nil {
		old = item{}
	}
	return cs.c.eval(old)
}

func prepareCond(expr *string, names map[string]string, values map[string]types.AttributeValue, env *exprEnv) (condSpec, error) {
	if expr == nil {
		return condSpec{}, nil
	}
	c, err := parseCondition(*expr, env)
	if err != nil {
		return condSpec{}, err
	}
	return condSpec{c: c}, nil
}

func ccf(old item, rv types.ReturnValuesOnConditionCheckFailure) error {
	e := &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	if rv == types.ReturnValuesOnConditionCheckFailureAllOld && old != nil {
		e.Item = old
	}
	return e
}

func checkItem(s schema, it item) ([]byte, []byte, error) {
	k, err := s.itemKey(it)
	if err != nil {
		return nil, nil, err
	}
	for name, v := range it {
		if name == "" {
			return nil, nil, validationf("One or more parameter values were invalid: An attribute name can not be empty")
		}
		if err := checkValue(v); err != nil {
			return nil, nil, err
		}
	}
	if ItemSize(it) > MaxItemSize {
		return nil, nil, validationf("Item size has exceeded the maximum allowed size")
	}
	enc, err := encodeItem(it)
	if err != nil {
		return nil, nil, err
	}
	return k, enc, nil
}

// --- item operations ---

// GetItem reads one item (always strongly consistent).
func (e *Embedded) GetItem(ctx context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	s, name, err := e.schema(in.TableName)
	if err != nil {
		return nil, err
	}
	k, err := s.keyKey(in.Key)
	if err != nil {
		return nil, err
	}
	env := newEnv(in.ExpressionAttributeNames, nil)
	var proj []string
	if in.ProjectionExpression != nil {
		if proj, err = parseProjection(*in.ProjectionExpression, env); err != nil {
			return nil, err
		}
	}
	if err := env.checkUnused(); err != nil {
		return nil, err
	}
	var it item
	err = e.db.View(func(tx *bolt.Tx) error {
		var err error
		it, err = getItem(tx.Bucket(dataBucket(name)), k)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &dynamodb.GetItemOutput{}
	if it != nil {
		out.Item = project(it, proj)
	}
	return out, nil
}

// BatchGetItem reads up to 100 items; UnprocessedKeys is always empty.
func (e *Embedded) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	n := 0
	type want struct {
		name string
		keys [][]byte
		proj []string
	}
	var wants []want
	for table, ka := range in.RequestItems {
		s, name, err := e.schema(aws.String(table))
		if err != nil {
			return nil, err
		}
		w := want{name: name}
		env := newEnv(ka.ExpressionAttributeNames, nil)
		if ka.ProjectionExpression != nil {
			if w.proj, err = parseProjection(*ka.ProjectionExpression, env); err != nil {
				return nil, err
			}
		}
		if err := env.checkUnused(); err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, key := range ka.Keys {
			k, err := s.keyKey(key)
			if err != nil {
				return nil, err
			}
			if seen[string(k)] {
				return nil, validationf("Provided list of item keys contains duplicates")
			}
			seen[string(k)] = true
			w.keys = append(w.keys, k)
			n++
		}
		wants = append(wants, w)
	}
	if n == 0 || n > MaxBatchGetKeys {
		return nil, validationf("Too many items requested for the BatchGetItem call (1 to %d keys)", MaxBatchGetKeys)
	}
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	err := e.db.View(func(tx *bolt.Tx) error {
		for _, w := range wants {
			b := tx.Bucket(dataBucket(w.name))
			items := []map[string]types.AttributeValue{}
			for _, k := range w.keys {
				it, err := getItem(b, k)
				if err != nil {
					return err
				}
				if it != nil {
					items = append(items, project(it, w.proj))
				}
			}
			out.Responses[w.name] = items
		}
		return nil
	})
	return out, err
}

// PutItem creates or replaces an item, optionally under a condition.
func (e *Embedded) PutItem(ctx context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	s, name, err := e.schema(in.TableName)
	if err != nil {
		return nil, err
	}
	if len(in.Expected) > 0 || in.ConditionalOperator != "" {
		return nil, validationf("embedded store: legacy Expected/ConditionalOperator are not supported; use ConditionExpression")
	}
	if in.ReturnValues != "" && in.ReturnValues != types.ReturnValueNone && in.ReturnValues != types.ReturnValueAllOld {
		return nil, validationf("ReturnValues can only be ALL_OLD or NONE")
	}
	k, enc, err := checkItem(s, in.Item)
	if err != nil {
		return nil, err
	}
	env := newEnv(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	cs, err := prepareCond(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, env)
	if err != nil {
		return nil, err
	}
	if err := env.checkUnused(); err != nil {
		return nil, err
	}
	var old item
	var failed error
	err = e.commit(ctx, func(tx *bolt.Tx) error {
		failed = nil
		b := tx.Bucket(dataBucket(name))
		var err error
		if old, err = getItem(b, k); err != nil {
			return err
		}
		if !cs.ok(old) {
			failed = ccf(old, in.ReturnValuesOnConditionCheckFailure)
			return nil
		}
		return b.Put(k, enc)
	})
	if err != nil {
		return nil, fmt.Errorf("store: put item: %w", err)
	}
	if failed != nil {
		return nil, failed
	}
	out := &dynamodb.PutItemOutput{}
	if in.ReturnValues == types.ReturnValueAllOld {
		out.Attributes = old
	}
	return out, nil
}

// DeleteItem deletes an item, optionally under a condition.
func (e *Embedded) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	s, name, err := e.schema(in.TableName)
	if err != nil {
		return nil, err
	}
	if len(in.Expected) > 0 || in.ConditionalOperator != "" {
		return nil, validationf("embedded store: legacy Expected/ConditionalOperator are not supported; use ConditionExpression")
	}
	k, err := s.keyKey(in.Key)
	if err != nil {
		return nil, err
	}
	env := newEnv(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	cs, err := prepareCond(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, env)
	if err != nil {
		return nil, err
	}
	if err := env.checkUnused(); err != nil {
		return nil, err
	}
	var old item
	var failed error
	err = e.commit(ctx, func(tx *bolt.Tx) error {
		failed = nil
		b := tx.Bucket(dataBucket(name))
		var err error
		if old, err = getItem(b, k); err != nil {
			return err
		}
		if !cs.ok(old) {
			failed = ccf(old, in.ReturnValuesOnConditionCheckFailure)
			return nil
		}
		if old == nil {
			return nil
		}
		return b.Delete(k)
	})
	if err != nil {
		return nil, fmt.Errorf("store: delete item: %w", err)
	}
	if failed != nil {
		return nil, failed
	}
	out := &dynamodb.DeleteItemOutput{}
	if in.ReturnValues == types.ReturnValueAllOld {
		out.Attributes = old
	}
	return out, nil
}

// preparedUpdate is a parsed UpdateItem (or transactional Update).
type preparedUpdate struct {
	s    schema
	key  item
	k    []byte
	upd  *updateExpr
	cond condSpec
}

func prepareUpdate(s schema, key item, updExpr, condExpr *string, names map[string]string, values map[string]types.AttributeValue) (*preparedUpdate, error) {
	k, err := s.keyKey(key)
	if err != nil {
		return nil, err
	}
	env := newEnv(names, values)
	pu := &preparedUpdate{s: s, key: key, k: k, upd: &updateExpr{}}
	if updExpr != nil {
		if pu.upd, err = parseUpdate(*updExpr, env); err != nil {
			return nil, err
		}
		for _, p := range pu.upd.paths() {
			if p == s.PK || p == s.SK {
				return nil, validationf("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", p)
			}
		}
	}
	if pu.cond, err = prepareCond(condExpr, names, values, env); err != nil {
		return nil, err
	}
	if err := env.checkUnused(); err != nil {
		return nil, err
	}
	return pu, nil
}

// apply computes the new item from old (nil when missing).
func (pu *preparedUpdate) apply(old item) (item, []byte, error) {
	base := old
	if base == nil {
		base = cloneItem(pu.key)
	}
	nw, err := pu.upd.apply(base)
	if err != nil {
		return nil, nil, err
	}
	if ItemSize(nw) > MaxItemSize {
		return nil, nil, validationf("Item size to update has exceeded the maximum allowed size")
	}
	enc, err := encodeItem(nw)
	if err != nil {
		return nil, nil, err
	}
	return nw, enc, nil
}

// UpdateItem updates (or creates) an item with an UpdateExpression,
// optionally under a condition.
func (e *Embedded) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	s, name, err := e.schema(in.TableName)
	if err != nil {
		return nil, err
	}
	if len(in.Expected) > 0 || len(in.AttributeUpdates) > 0 || in.ConditionalOperator != "" {
		return nil, validationf("embedded store: legacy AttributeUpdates/Expected are not supported; use UpdateExpression and ConditionExpression")
	}
	pu, err := prepareUpdate(s, in.Key, in.UpdateExpression, in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	var old, nw item
	var failed error
	err = e.commit(ctx, func(tx *bolt.Tx) error {
		failed = nil
		b := tx.Bucket(dataBucket(name))
		var err error
		if old, err = getItem(b, pu.k); err != nil {
			return err
		}
		if !pu.cond.ok(old) {
			failed = ccf(old, in.ReturnValuesOnConditionCheckFailure)
			return nil
		}
		var enc []byte
		if nw, enc, err = pu.apply(old); err != nil {
			failed = err
			return nil
		}
		return b.Put(pu.k, enc)
	})
	if err != nil {
		return nil, fmt.Errorf("store: update item: %w", err)
	}
	if failed != nil {
		return nil, failed
	}
	out := &dynamodb.UpdateItemOutput{}
	switch in.ReturnValues {
	case types.ReturnValueAllNew:
		out.Attributes = nw
	case types.ReturnValueAllOld:
		out.Attributes = old
	case types.ReturnValueUpdatedNew, types.ReturnValueUpdatedOld:
		src := nw
		if in.ReturnValues == types.ReturnValueUpdatedOld {
			src = old
		}
		out.Attributes = item{}
		for _, p := range pu.upd.paths() {
			if v, ok := src[p]; ok {
				out.Attributes[p] = v
			}
		}
	}
	return out, nil
}

// BatchWriteItem puts or deletes up to 25 items (no conditions). With
// WithUnprocessed, chosen requests come back in UnprocessedItems.
func (e *Embedded) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	type write struct {
		bucket []byte
		k, enc []byte // enc nil: delete
	}
	var writes []write
	unprocessed := map[string][]types.WriteRequest{}
	n := 0
	for table, reqs := range in.RequestItems {
		s, name, err := e.schema(aws.String(table))
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, r := range reqs {
			n++
			var w write
			switch {
			case r.PutRequest != nil && r.DeleteRequest == nil:
				if w.k, w.enc, err = checkItem(s, r.PutRequest.Item); err != nil {
					return nil, err
				}
			case r.DeleteRequest != nil && r.PutRequest == nil:
				if w.k, err = s.keyKey(r.DeleteRequest.Key); err != nil {
					return nil, err
				}
			default:
				return nil, validationf("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
			if seen[string(w.k)] {
				return nil, validationf("Provided list of item keys contains duplicates")
			}
			seen[string(w.k)] = true
			if e.opts.unprocessed != nil && e.opts.unprocessed(name, r) {
				unprocessed[name] = append(unprocessed[name], r)
				continue
			}
			w.bucket = dataBucket(name)
			writes = append(writes, w)
		}
	}
	if n == 0 || n > MaxBatchWriteItems {
		return nil, validationf("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1]", MaxBatchWriteItems)
	}
	if len(writes) > 0 {
		err := e.commit(ctx, func(tx *bolt.Tx) error {
			for _, w := range writes {
				b := tx.Bucket(w.bucket)
				var err error
				if w.enc == nil {
					err = b.Delete(w.k)
				} else {
					err = b.Put(w.k, w.enc)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store: batch write: %w", err)
		}
	}
	return &dynamodb.BatchWriteItemOutput{UnprocessedItems: unprocessed}, nil
}

// TransactWriteItems applies up to 100 Put/Update/Delete/ConditionCheck
// actions on distinct items all or nothing. When any condition fails it
// returns *types.TransactionCanceledException with one CancellationReason
// per action ("None", "ConditionalCheckFailed", "ValidationError"), in
// request order, and writes nothing. ClientRequestToken is ignored.
func (e *Embedded) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if len(in.TransactItems) == 0 || len(in.TransactItems) > MaxTransactItems {
		return nil, validationf("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d", MaxTransactItems)
	}
	type action struct {
		bucket []byte
		k      []byte
		put    []byte // Put: encoded item
		del    bool
		upd    *preparedUpdate
		cond   condSpec
		rv     types.ReturnValuesOnConditionCheckFailure
	}
	acts := make([]action, len(in.TransactItems))
	seen := map[string]bool{}
	for i, ti := range in.TransactItems {
		var a action
		ops := 0
		if p := ti.Put; p != nil {
			ops++
			s, name, err := e.schema(p.TableName)
			if err != nil {
				return nil, err
			}
			if a.k, a.put, err = checkItem(s, p.Item); err != nil {
				return nil, err
			}
			env := newEnv(p.ExpressionAttributeNames, p.ExpressionAttributeValues)
			if a.cond, err = prepareCond(p.ConditionExpression, nil, nil, env); err != nil {
				return nil, err
			}
			if err := env.checkUnused(); err != nil {
				return nil, err
			}
			a.bucket, a.rv = dataBucket(name), p.ReturnValuesOnConditionCheckFailure
		}
		if u := ti.Update; u != nil {
			ops++
			s, name, err := e.schema(u.TableName)
			if err != nil {
				return nil, err
			}
			if a.upd, err = prepareUpdate(s, u.Key, u.UpdateExpression, u.ConditionExpression, u.ExpressionAttributeNames, u.ExpressionAttributeValues); err != nil {
				return nil, err
			}
			a.k, a.cond, a.bucket, a.rv = a.upd.k, a.upd.cond, dataBucket(name), u.ReturnValuesOnConditionCheckFailure
		}
		if d := ti.Delete; d != nil {
			ops++
			s, name, err := e.schema(d.TableName)
			if err != nil {
				return nil, err
			}
			if a.k, err = s.keyKey(d.Key); err != nil {
				return nil, err
			}
			env := newEnv(d.ExpressionAttributeNames, d.ExpressionAttributeValues)
			if a.cond, err = prepareCond(d.ConditionExpression, nil, nil, env); err != nil {
				return nil, err
			}
			if err := env.checkUnused(); err != nil {
				return nil, err
			}
			a.del, a.bucket, a.rv = true, dataBucket(name), d.ReturnValuesOnConditionCheckFailure
		}
		if c := ti.ConditionCheck; c != nil {
			ops++
			s, name, err := e.schema(c.TableName)
			if err != nil {
				return nil, err
			}
			if a.k, err = s.keyKey(c.Key); err != nil {
				return nil, err
			}
			if c.ConditionExpression == nil {
				return nil, validationf("ConditionCheck requires a ConditionExpression")
			}
			env := newEnv(c.ExpressionAttributeNames, c.ExpressionAttributeValues)
			if a.cond, err = prepareCond(c.ConditionExpression, nil, nil, env); err != nil {
				return nil, err
			}
			if err := env.checkUnused(); err != nil {
				return nil, err
			}
			a.bucket, a.rv = dataBucket(name), c.ReturnValuesOnConditionCheckFailure
		}
		if ops != 1 {
			return nil, validationf("TransactItems can only contain one of Check, Put, Update or Delete")
		}
		id := string(a.bucket) + "\x00" + string(a.k)
		if seen[id] {
			return nil, validationf("Transaction request cannot include multiple operations on one item")
		}
		seen[id] = true
		acts[i] = a
	}
	var canceled *types.TransactionCanceledException
	err := e.commit(ctx, func(tx *bolt.Tx) error {
		canceled = nil
		reasons := make([]types.CancellationReason, len(acts))
		encs := make([][]byte, len(acts))
		bad := []string{}
		for i, a := range acts {
			b := tx.Bucket(a.bucket)
			if b == nil {
				return errors.New("table vanished")
			}
			old, err := getItem(b, a.k)
			if err != nil {
				return err
			}
			reasons[i] = types.CancellationReason{Code: aws.String("None")}
			if !a.cond.ok(old) {
				reasons[i] = types.CancellationReason{Code: aws.String("ConditionalCheckFailed"), Message: aws.String("The conditional request failed")}
				if a.rv == types.ReturnValuesOnConditionCheckFailureAllOld {
					reasons[i].Item = old
				}
				bad = append(bad, "ConditionalCheckFailed")
				continue
			}
			if a.upd != nil {
				if _, encs[i], err = a.upd.apply(old); err != nil {
					msg := err.Error()
					var ae interface{ ErrorMessage() string }
					if errors.As(err, &ae) {
						msg = ae.ErrorMessage()
					}
					reasons[i] = types.CancellationReason{Code: aws.String("ValidationError"), Message: aws.String(msg)}
					bad = append(bad, "ValidationError")
					continue
				}
			}
			bad = append(bad, "None")
		}
		for _, r := range reasons {
			if aws.ToString(r.Code) != "None" {
				canceled = &types.TransactionCanceledException{
					Message:             aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(bad, ", ") + "]"),
					CancellationReasons: reasons,
				}
				return nil
			}
		}
		for i, a := range acts {
			b := tx.Bucket(a.bucket)
			var err error
			switch {
			case a.put != nil:
				err = b.Put(a.k, a.put)
			case a.upd != nil:
				err = b.Put(a.k, encs[i])
			case a.del:
				err = b.Delete(a.k)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: transact write: %w", err)
	}
	if canceled != nil {
		return nil, canceled
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

// Query reads one partition in sort-key order (see expr.go for the key
// condition subset), with FilterExpression, ProjectionExpression,
// ScanIndexForward, Limit (items evaluated), ExclusiveStartKey and
// LastEvaluatedKey, and DynamoDB's 1 MB page. Select COUNT is honoured.
func (e *Embedded) Query(ctx context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	s, name, err := e.schema(in.TableName)
	if err != nil {
		return nil, err
	}
	if in.IndexName != nil {
		return nil, validationf("embedded store: secondary indexes are not supported (IndexName %s)", *in.IndexName)
	}
	if len(in.KeyConditions) > 0 || len(in.QueryFilter) > 0 || len(in.AttributesToGet) > 0 {
		return nil, validationf("embedded store: legacy KeyConditions/QueryFilter/AttributesToGet are not supported; use expressions")
	}
	if in.KeyConditionExpression == nil {
		return nil, validationf("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	if in.Limit != nil && *in.Limit < 1 {
		return nil, validationf("Limit must be greater than or equal to 1")
	}
	env := newEnv(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	kc, err := parseKeyCondition(*in.KeyConditionExpression, env, s)
	if err != nil {
		return nil, err
	}
	var filter cond
	if in.FilterExpression != nil {
		if filter, err = parseCondition(*in.FilterExpression, env); err != nil {
			return nil, err
		}
	}
	var proj []string
	if in.ProjectionExpression != nil {
		if proj, err = parseProjection(*in.ProjectionExpression, env); err != nil {
			return nil, err
		}
	}
	if err := env.checkUnused(); err != nil {
		return nil, err
	}
	var start []byte
	if in.ExclusiveStartKey != nil {
		if start, err = s.keyKey(in.ExclusiveStartKey); err != nil {
			return nil, validationf("The provided starting key is invalid: %v", err)
		}
		if !bytes.HasPrefix(start, s.prefix(kc.pk)) || !equal(in.ExclusiveStartKey[s.PK], kc.pk) {
			return nil, validationf("The provided starting key is outside query boundaries based on provided conditions")
		}
	}
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	limit := int(aws.ToInt32(in.Limit))
	out := &dynamodb.QueryOutput{Items: []map[string]types.AttributeValue{}}
	err = e.db.View(func(tx *bolt.Tx) error {
		entries, err := partition(tx.Bucket(dataBucket(name)), s, kc, forward, start)
		if err != nil {
			return err
		}
		size := 0
		for i, it := range entries {
			out.ScannedCount++
			if filter == nil || filter.eval(it) {
				out.Count++
				if in.Select != types.SelectCount {
					out.Items = append(out.Items, project(it, proj))
				}
			}
			size += ItemSize(it)
			if (limit > 0 && int(out.ScannedCount) >= limit) || size >= maxQueryPage {
				if i < len(entries)-1 {
					out.LastEvaluatedKey = s.keyOf(it)
				}
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if in.Select == types.SelectCount {
		out.Items = nil
	}
	return out, nil
}

// partition returns the items of kc's partition that match its sort-key
// condition, in query order, after the exclusive start key. For S and B
// sort keys the bbolt order is DynamoDB's order; N sort keys are sorted
// numerically in memory.
func partition(b *bolt.Bucket, s schema, kc keyCond, forward bool, start []byte) ([]item, error) {
	prefix := s.prefix(kc.pk)
	c := b.Cursor()
	var items []item
	if s.SK == "" || s.SKType != "N" {
		var k, v []byte
		step := c.Next
		if forward {
			k, v = c.Seek(prefix)
			if start != nil {
				k, v = c.Seek(start)
				if bytes.Equal(k, start) {
					k, v = c.Next()
				}
			}
		} else {
			step = c.Prev
			if start != nil {
				if k, _ = c.Seek(start); k == nil {
					k, v = c.Last()
				} else {
					k, v = c.Prev()
				}
			} else if up := successor(prefix); up == nil {
				k, v = c.Last()
			} else if k, v = c.Seek(up); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
		matched := false
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = step() {
			it, err := decodeItem(v)
			if err != nil {
				return nil, err
			}
			if !equal(it[s.PK], kc.pk) {
				continue
			}
			if s.SK != "" && !kc.matchSK(it[s.SK]) {
				if matched {
					break // matches are contiguous in sort order
				}
				continue
			}
			matched = true
			items = append(items, it)
		}
		return items, nil
	}
	// Numeric sort key: gather and sort.
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		it, err := decodeItem(v)
		if err != nil {
			return nil, err
		}
		if equal(it[s.PK], kc.pk) && kc.matchSK(it[s.SK]) {
			items = append(items, it)
		}
	}
	sort.Slice(items, func(i, j int) bool {
		c, _ := scalarCompare(items[i][s.SK], items[j][s.SK])
		if forward {
			return c < 0
		}
		return c > 0
	})
	if start != nil {
		for i, it := range items {
			k, _ := s.itemKey(it)
			if bytes.Equal(k, start) {
				return items[i+1:], nil
			}
		}
		// Start item gone: resume after its position.
		skStart := string(start[len(prefix):])
		sv := &types.AttributeValueMemberN{Value: skStart}
		for i, it := range items {
			c, _ := scalarCompare(it[s.SK], sv)
			if (forward && c > 0) || (!forward && c < 0) {
				return items[i:], nil
			}
		}
		return nil, nil
	}
	return items, nil
}

// successor returns the smallest key greater than every key with prefix p,
// or nil when there is none.
func successor(p []byte) []byte {
	out := append([]byte(nil), p...)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] < 0xff {
			out[i]++
			return out[:i+1]
		}
	}
	return nil
}

// EnsureTable creates table name with a string partition key pk and, when
// sk is not empty, a string sort key, on-demand billing; an existing table
// is left as it is.
func EnsureTable(ctx context.Context, admin Admin, name, pk, sk string) error {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   []types.KeySchemaElement{{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(pk), AttributeType: types.ScalarAttributeTypeS},
		},
	}
	if sk != "" {
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange})
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(sk), AttributeType: types.ScalarAttributeTypeS})
	}
	_, err := admin.CreateTable(ctx, in)
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	return nil
}
