// Package store is campaignkit's DynamoDB-shaped storage port and its
// embedded adapter. The DB interface copies the aws-sdk-go-v2 DynamoDB client
// signatures, so a *dynamodb.Client is the AWS adapter as it is; Embedded is
// a bbolt-backed store with the DynamoDB semantics our writers rely on
// (conditional writes, counters, batches, transactions, queries) for the
// local stack and tests. One contract suite runs against both (and moto).
//
// # What the embedded store emulates
//
// Tables: a HASH key and an optional RANGE key of type S, N or B
// (CreateTable, or EnsureTable for string pk/sk). Items up to 400 KB.
// Every write is fsync'd before the call returns; concurrent writes share
// a commit. ConsistentRead is accepted and irrelevant (reads are always
// consistent).
//
// Operations: GetItem, BatchGetItem (≤ 100 keys), PutItem, UpdateItem,
// DeleteItem (ConditionExpression, ReturnValues,
// ReturnValuesOnConditionCheckFailure), BatchWriteItem (≤ 25 requests, no
// duplicate keys; WithUnprocessed simulates UnprocessedItems),
// TransactWriteItems (≤ 100 distinct items, all or nothing,
// *types.TransactionCanceledException with one CancellationReason per action:
// None, ConditionalCheckFailed, ValidationError), Query (one partition, sort
// key order, ScanIndexForward, Limit, ExclusiveStartKey/LastEvaluatedKey,
// FilterExpression, ProjectionExpression, Select COUNT, 1 MB pages).
//
// Expressions (anything else is a ValidationException, never a guess):
//
//   - paths: top-level attribute names, literal or #name; nested paths
//     (a.b, a[0]) are rejected, as are names on DynamoDB's reserved-word
//     list used without a placeholder.
//   - conditions and filters: = <> < <= > >=, BETWEEN, IN, AND, OR, NOT,
//     parentheses, attribute_exists, attribute_not_exists, begins_with,
//     contains.
//   - key conditions: pk = :v [AND sk = < <= > >= :v | sk BETWEEN :a AND :b
//     | begins_with(sk, :v)].
//   - updates: SET p = v | v + v | v - v | if_not_exists(p, v) |
//     list_append(v, v); ADD p :n (numbers, sets); REMOVE p; DELETE p :set.
//     Each attribute once per update; key attributes cannot be updated.
//   - unused ExpressionAttributeNames/Values are rejected, as DynamoDB does.
//
// Not emulated: Scan, secondary indexes, streams, TTL expiry, capacity and
// throttling (except WithUnprocessed), ClientRequestToken idempotency,
// legacy parameters (Expected, AttributeUpdates, KeyConditions...).
package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// DB is the DynamoDB data-plane subset campaignkit runtimes use. Its methods
// have the exact signatures of *dynamodb.Client.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Admin is the control-plane subset used by tests and the local stack to
// create tables. *dynamodb.Client and *Embedded both implement it.
type Admin interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DeleteTable(ctx context.Context, in *dynamodb.DeleteTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error)
}

var (
	_ DB    = (*dynamodb.Client)(nil)
	_ Admin = (*dynamodb.Client)(nil)
)
