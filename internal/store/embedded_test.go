package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/campaignkit/campaignkit/internal/store"
)

// Embedded-only behaviour: persistence, options, and the clear errors for
// what the embedded store does not emulate.

func TestEmbeddedPersistsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/p.db"
	e, err := store.OpenEmbedded(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureTable(ctx, e, "tbl", "pk", "sk"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("tbl"), Item: itemWith("a", "b", "v", n("1"))}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("tbl"), Key: key("a", "b")}); err == nil {
		t.Error("read after Close succeeded")
	}
	if _, err := e.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("tbl"), Item: itemWith("a", "c")}); err == nil {
		t.Error("write after Close succeeded")
	}
	e2 := openEmbedded(t, path)
	if got := get(t, e2, "tbl", "a", "b"); got == nil || num(t, got, "v") != "1" {
		t.Errorf("after reopen: %v", got)
	}
	// EnsureTable on an existing table is a no-op; CreateTable says in use.
	if err := store.EnsureTable(ctx, e2, "tbl", "pk", "sk"); err != nil {
		t.Error(err)
	}
	_, err = e2.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("tbl"),
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Errorf("CreateTable of existing table: err = %v, want ResourceInUseException", err)
	}
	// A second process (or handle) cannot open the locked file.
	if _, err := store.OpenEmbedded(path, store.WithLockTimeout(50*time.Millisecond)); err == nil {
		t.Error("second open of a locked file succeeded")
	}
}

func TestEmbeddedUnprocessedOption(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int64
	e := openEmbedded(t, t.TempDir()+"/u.db", store.WithUnprocessed(func(table string, r types.WriteRequest) bool {
		return calls.Add(1)%2 == 0
	}))
	table := newTable(t, e)
	out, err := e.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: writeReqs(10, "U")}})
	if err != nil {
		t.Fatal(err)
	}
	un := out.UnprocessedItems[table]
	if len(un) != 5 {
		t.Fatalf("%d unprocessed, want 5", len(un))
	}
	for _, r := range un {
		sk := r.PutRequest.Item["sk"].(*types.AttributeValueMemberS).Value
		if get(t, e, table, "U", sk) != nil {
			t.Errorf("unprocessed item %s was written", sk)
		}
	}
}

func TestEmbeddedRejectsWhatItDoesNotEmulate(t *testing.T) {
	ctx := context.Background()
	e := openEmbedded(t, t.TempDir()+"/v.db")
	table := newTable(t, e)
	one := map[string]types.AttributeValue{":v": n("1")}
	cases := []struct {
		name string
		call func() error
	}{
		{"nested path", func() error {
			_, err := e.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key("a", "b"), UpdateExpression: aws.String("SET a.b = :v"), ExpressionAttributeValues: one})
			return err
		}},
		{"list index", func() error {
			_, err := e.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key("a", "b"), UpdateExpression: aws.String("SET a[0] = :v"), ExpressionAttributeValues: one})
			return err
		}},
		{"size function", func() error {
			_, err := e.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: key("a", "b"), ConditionExpression: aws.String("size(a) > :v"), ExpressionAttributeValues: one})
			return err
		}},
		{"reserved word", func() error {
			_, err := e.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key("a", "b"), UpdateExpression: aws.String("ADD total :v"), ExpressionAttributeValues: one})
			return err
		}},
		{"legacy Expected", func() error {
			_, err := e.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: key("a", "b"), Expected: map[string]types.ExpectedAttributeValue{"a": {Exists: aws.Bool(false)}}})
			return err
		}},
		{"index query", func() error {
			_, err := e.Query(ctx, &dynamodb.QueryInput{TableName: &table, IndexName: aws.String("gsi1"), KeyConditionExpression: aws.String("pk = :v"), ExpressionAttributeValues: one})
			return err
		}},
		{"secondary index table", func() error {
			_, err := e.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("gsi"),
				KeySchema:              []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
				AttributeDefinitions:   []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
				GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("g")}}})
			return err
		}},
		{"too large item", func() error {
			big := make([]byte, store.MaxItemSize+1)
			_, err := e.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: itemWith("a", "b", "blob", &types.AttributeValueMemberB{Value: big})})
			return err
		}},
		{"bad number", func() error {
			_, err := e.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: itemWith("a", "b", "x", n("12abc"))})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); !isValidation(err) {
				t.Errorf("err = %v, want ValidationException", err)
			}
		})
	}
}

func TestEmbeddedNumbers(t *testing.T) {
	ctx := context.Background()
	e := openEmbedded(t, t.TempDir()+"/n.db")
	table := newTable(t, e)
	cases := []struct {
		deltas []string
		want   string
	}{
		{[]string{"0.1", "0.2"}, "0.3"},
		{[]string{"99999999999999999999999999999999999", "1"}, "100000000000000000000000000000000000"},
		{[]string{"5", "-7.5"}, "-2.5"},
		{[]string{"1e3", "1"}, "1001"},
	}
	for i, c := range cases {
		for _, d := range c.deltas {
			if _, err := e.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key("N", fmt.Sprint(i)),
				UpdateExpression: aws.String("ADD v :d"), ExpressionAttributeValues: map[string]types.AttributeValue{":d": n(d)}}); err != nil {
				t.Fatal(err)
			}
		}
		if got := num(t, get(t, e, table, "N", fmt.Sprint(i)), "v"); got != c.want {
			t.Errorf("sum of %v = %s, want %s", c.deltas, got, c.want)
		}
	}
}

func TestEmbeddedNumericSortKey(t *testing.T) {
	ctx := context.Background()
	e := openEmbedded(t, t.TempDir()+"/ns.db")
	_, err := e.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("scores"),
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("score"), KeyType: types.KeyTypeRange}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("score"), AttributeType: types.ScalarAttributeTypeN}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"10", "9", "-1", "100", "2.5"} {
		if _, err := e.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("scores"), Item: map[string]types.AttributeValue{"pk": s("p"), "score": n(v)}}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	var start map[string]types.AttributeValue
	for {
		out, err := e.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("scores"), KeyConditionExpression: aws.String("pk = :p AND score >= :min"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("p"), ":min": n("0")}, ScanIndexForward: aws.Bool(false),
			Limit: aws.Int32(2), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			got = append(got, it["score"].(*types.AttributeValueMemberN).Value)
		}
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}
	if fmt.Sprint(got) != "[100 10 9 2.5]" {
		t.Errorf("numeric sort key order = %v, want [100 10 9 2.5]", got)
	}
}

func TestEmbeddedConcurrentCountersAreExact(t *testing.T) {
	ctx := context.Background()
	e := openEmbedded(t, t.TempDir()+"/c.db")
	table := newTable(t, e)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := e.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key("C", "C"),
					UpdateExpression: aws.String("ADD v :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1")}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := num(t, get(t, e, table, "C", "C"), "v"); got != "800" {
		t.Errorf("counter = %s, want 800", got)
	}
}
