package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/campaignkit/campaignkit/internal/store"
)

// The contract suite: every test runs against the embedded store and
// against DynamoDB as emulated by moto, so the embedded store keeps the
// semantics the adapters rely on.

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": s(pk), "sk": s(sk)}
}

func itemWith(pk, sk string, kv ...any) map[string]types.AttributeValue {
	it := key(pk, sk)
	for i := 0; i < len(kv); i += 2 {
		it[kv[i].(string)] = kv[i+1].(types.AttributeValue)
	}
	return it
}

func isValidation(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException"
}

func isCCF(err error) bool {
	var c *types.ConditionalCheckFailedException
	return errors.As(err, &c)
}

func get(t *testing.T, db store.DB, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &table, Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem %s/%s: %v", pk, sk, err)
	}
	return out.Item
}

func num(t *testing.T, it map[string]types.AttributeValue, attr string) string {
	t.Helper()
	v, ok := it[attr].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("attribute %s = %#v, want a number", attr, it[attr])
	}
	return v.Value
}

func TestContract(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, admin := b.open(t)
			t.Run("PutGetRoundTrip", func(t *testing.T) { testPutGet(t, db, admin) })
			t.Run("ConditionalPut", func(t *testing.T) { testConditionalPut(t, db, admin) })
			t.Run("Conditions", func(t *testing.T) { testConditions(t, db, admin) })
			t.Run("UpdateExpressions", func(t *testing.T) { testUpdate(t, db, admin) })
			t.Run("UpdateErrors", func(t *testing.T) { testUpdateErrors(t, db, admin) })
			t.Run("DeleteItem", func(t *testing.T) { testDelete(t, db, admin) })
			t.Run("BatchWriteItem", func(t *testing.T) { testBatchWrite(t, db, admin) })
			t.Run("BatchGetItem", func(t *testing.T) { testBatchGet(t, db, admin) })
			t.Run("TransactWriteItems", func(t *testing.T) { testTransact(t, db, admin) })
			t.Run("Query", func(t *testing.T) { testQuery(t, db, admin) })
			t.Run("ReadAndReturnOptions", func(t *testing.T) { testReadOptions(t, db, admin) })
			t.Run("MissingTable", func(t *testing.T) { testMissingTable(t, db) })
			t.Run("DeleteTable", func(t *testing.T) { testDeleteTable(t, db, admin) })
		})
	}
}

func testPutGet(t *testing.T, db store.DB, admin store.Admin) {
	ctx := context.Background()
	table := newTable(t, admin)
	it := itemWith("P", "S",
		"str", s("héllo"), "num", n("12.5"), "big", n("123456789012345678901234567890"),
		"bool", &types.AttributeValueMemberBOOL{Value: true}, "null", &types.AttributeValueMemberNULL{Value: true},
		"bin", &types.AttributeValueMemberB{Value: []byte{0, 1, 2}},
		"list", &types.AttributeValueMemberL{Value: []types.AttributeValue{s("a"), n("1")}},
		"map", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": s("y")}},
		"ss", &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"ns", &types.AttributeValueMemberNS{Value: []string{"1", "2"}})
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: it}); err != nil {
		t.Fatal(err)
	}
	got := get(t, db, table, "P", "S")
	for k, want := range it {
		if fmt.Sprint(normalize(got[k])) != fmt.Sprint(normalize(want)) {
			t.Errorf("attribute %s = %v, want %v", k, normalize(got[k]), normalize(want))
		}
	}
	if len(got) != len(it) {
		t.Errorf("got %d attributes, want %d", len(got), len(it))
	}
	if got := get(t, db, table, "P", "missing"); got != nil {
		t.Errorf("missing item = %v, want nil", got)
	}
	// A put without the sort key is rejected.
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{"pk": s("x")}})
	if !isValidation(err) {
		t.Errorf("put without sk: err = %v, want ValidationException", err)
	}
}

// normalize renders a value comparably (sets sorted).
func normalize(av types.AttributeValue) any {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return "S:" + v.Value
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("B:%x", v.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint("BOOL:", v.Value)
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberL:
		var out []any
		for _, e := range v.Value {
			out = append(out, normalize(e))
		}
		return out
	case *types.AttributeValueMemberM:
		out := map[string]any{}
		for k, e := range v.Value {
			out[k] = normalize(e)
		}
		return out
	case *types.AttributeValueMemberSS:
		x := append([]string{}, v.Value...)
		sort.Strings(x)
		return x
	case *types.AttributeValueMemberNS:
		x := append([]string{}, v.Value...)
		sort.Strings(x)
		return x
	}
	return fmt.Sprintf("%T", av)
}

func testConditionalPut(t *testing.T, db store.DB, admin store.Admin) {
	ctx := context.Background()
	table := newTable(t, admin)
	put := func(v string) error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: &table, Item: itemWith("D#1", "D", "v", s(v)),
			ConditionExpression:                 aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames:            map[string]string{"#pk": "pk"},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		return err
	}
	if err := put("first"); err != nil {
		t.Fatal(err)
	}
	err := put("second")
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("second conditional put: err = %v, want ConditionalCheckFailedException", err)
	}
	if v, _ := ccf.Item["v"].(*types.AttributeValueMemberS); v == nil || v.Value != "first" {
		t.Errorf("CCF Item = %v, want the old item", ccf.Item)
	}
	if v := get(t, db, table, "D#1", "D")["v"].(*types.AttributeValueMemberS).Value; v != "first" {
		t.Errorf("v = %q, want first (second put must not apply)", v)
	}
	// attribute_exists on a missing item fails.
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &table, Item: itemWith("D#2", "D"),
		ConditionExpression: aws.String("attribute_exists(pk)"),
	})
	if !isCCF(err) {
		t.Errorf("attribute_exists on missing item: err = %v, want CCF", err)
	}
}

func testConditions(t *testing.T, db store.DB, admin store.Admin) {
	ctx := context.Background()
	table := newTable(t, admin)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table,
		Item: itemWith("C", "C", "n", n("10"), "s", s("abc"), "tags", &types.AttributeValueMemberSS{Value: []string{"x"}})}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		expr string
		vals map[string]types.AttributeValue
		ok   bool
	}{
		{"n = :v", map[string]types.AttributeValue{":v": n("10")}, true},
		{"n = :v", map[string]types.AttributeValue{":v": n("10.0")}, true},
		{"n = :v", map[string]types.AttributeValue{":v": s("10")}, false},
		{"n <> :v", map[string]types.AttributeValue{":v": n("9")}, true},
		{"n < :v", map[string]types.AttributeValue{":v": n("9")}, false},
		{"n <= :v", map[string]types.AttributeValue{":v": n("10")}, true},
		{"n > :v", map[string]types.AttributeValue{":v": n("9.5")}, true},
		{"n >= :v", map[string]types.AttributeValue{":v": n("11")}, false},
		{"n BETWEEN :a AND :b", map[string]types.AttributeValue{":a": n("1"), ":b": n("10")}, true},
		{"n IN (:a, :b)", map[string]types.AttributeValue{":a": n("1"), ":b": n("10")}, true},
		{"begins_with(s, :p)", map[string]types.AttributeValue{":p": s("ab")}, true},
		{"begins_with(s, :p)", map[string]types.AttributeValue{":p": s("b")}, false},
		{"contains(s, :p)", map[string]types.AttributeValue{":p": s("bc")}, true},
		{"contains(tags, :p)", map[string]types.AttributeValue{":p": s("x")}, true},
		{"attribute_exists(n) AND NOT attribute_exists(zz)", nil, true},
		{"attribute_not_exists(n) OR (n > :v AND s = :s)", map[string]types.AttributeValue{":v": n("5"), ":s": s("abc")}, true},
		{"absent < :v", map[string]types.AttributeValue{":v": n("5")}, false},
		{"absent <> :v", map[string]types.AttributeValue{":v": n("5")}, true},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key("C", "C"),
				UpdateExpression: aws.String("SET touched = :t"), ConditionExpression: aws.String(c.expr),
				ExpressionAttributeValues: merge(c.vals, map[string]types.AttributeValue{":t": n("1")})})
			if c.ok && err != nil {
				t.Errorf("condition %q: err = %v, want success", c.expr, err)
			}
			if !c.ok && !isCCF(err) {
				t.Errorf("condition %q: err = %v, want ConditionalCheckFailedException", c.expr, err)
			}
		})
	}
}

func merge(ms ...map[string]types.AttributeValue) map[string]types.AttributeValue {
	out := map[string]types.AttributeValue{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func testUpdate(t *testing.T, db store.DB, admin store.Admin) {
	ctx := context.Background()
	table := newTable(t, admin)
	upd := func(expr string, vals map[string]types.AttributeValue) map[string]types.AttributeValue {
		t.Helper()
		names := map[string]string{"#a": "amount"}
		if strings.Contains(expr, "#c") {
			names["#c"] = "count"
		}
		out, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key("TOTAL", "TOTAL"),
			UpdateExpression: aws.String(expr), ExpressionAttributeValues: vals,
			ExpressionAttributeNames: names, ReturnValues: types.ReturnValueAllNew})
		if err != nil {
			t.Fatalf("update %q: %v", expr, err)
		}
		return out.Attributes
	}
	got := upd("ADD #a :x, #c :y", map[string]types.AttributeValue{":x": n("2500"), ":y": n("1")})
	if num(t, got, "amount") != "2500" || num(t, got, "count") != "1" {
		t.Fatalf("after first ADD: %v", got)
	}
	got = upd("ADD #a :x, #c :y", map[string]types.AttributeValue{":x": n("-500"), ":y": n("2")})
	if num(t, got, "amount") != "2000" || num(t, got, "count") != "3" {
		t.Fatalf("after second ADD: %v", got)
	}
	got = upd("SET #a = :v, #c = if_not_exists(#c, :z), label = if_not_exists(label, :l)",
		map[string]types.AttributeValue{":v": n("7"), ":z": n("0"), ":l": s("new")})
	if num(t, got, "amount") != "7" || num(t, got, "count") != "3" || got["label"].(*types.AttributeValueMemberS).Value != "new" {
		t.Fatalf("after SET: %v", got)
	}
	got = upd("SET #a = #a + :d REMOVE label", map[string]types.AttributeValue{":d": n("0.5")})
	if num(t, got, "amount") != "7.5" || got["label"] != nil {
		t.Fatalf("after SET +/REMOVE: %v", got)
	}
	if got["pk"].(*types.AttributeValueMemberS).Value != "TOTAL" {
		t.Errorf("key attributes missing from ALL_NEW: %v", got)
	}
	// UPDATED_NEW returns only the touched attributes.
	out, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key("TOTAL", "TOTAL"),
		UpdateExpression: aws.String("ADD votes :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1")},
		ReturnValues: types.ReturnValueUpdatedNew})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Attributes) != 1 || num(t, out.Attributes, "votes") != "1" {
		t.Errorf("UPDATED_NEW = %v, want only votes=1", out.Attributes)
	}
}

func testUpdateErrors(t *testing.T, db store.DB, admin store.Admin) {
	ctx := context.Background()
	table := newTable(t, admin)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: itemWith("E", "E", "name", s("x"))}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		expr  string
		vals  map[string]types.AttributeValue
		names map[string]string
	}{
		{"ADD to a string", "ADD #n :one", map[string]types.AttributeValue{":one": n("1")}, map[string]string{"#n": "name"}},
		{"syntax error", "SET a = = :v", map[string]types.AttributeValue{":v": n("1")}, nil},
		{"update the key", "SET pk = :v", map[string]types.AttributeValue{":v": s("y")}, nil},
		{"unused value", "SET a = :v", map[string]types.AttributeValue{":v": n("1"), ":unused": n("2")}, nil},
		{"undefined value", "SET a = :nope", map[string]types.AttributeValue{":v": n("1")}, nil},
		{"same attribute twice", "SET a = :v ADD a :v", map[string]types.AttributeValue{":v": n("1")}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key("E", "E"),
				UpdateExpression: aws.String(c.expr), ExpressionAttributeValues: c.vals, ExpressionAttributeNames: c.names})
			if !isValidation(err) {
				t.Errorf("%s: err = %v, want ValidationException", c.expr, err)
			}
		})
	}
}

func testDelete(t *testing.T, db store.DB, admin store.Admin) {
	ctx := context.Background()
	table := newTable(t, admin)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: itemWith("X", "X", "v", n("1"))}); err != nil {
		t.Fatal(err)
	}
	_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: key("X", "X"),
		ConditionExpression: aws.String("v = :two"), ExpressionAttributeValues: map[string]types.AttributeValue{":two": n("2")}})
	if !isCCF(err) {
		t.Fatalf("conditional delete: err = %v, want CCF", err)
	}
	out, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: key("X", "X"), ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		t.Fatal(err)
	}
	if num(t, out.Attributes, "v") != "1" {
		t.Errorf("ALL_OLD = %v", out.Attributes)
	}
	if get(t, db, table, "X", "X") != nil {
		t.Error("item still there after delete")
	}
}

func writeReqs(n int, pk string) []types.WriteRequest {
	var reqs []types.WriteRequest
	for i := 0; i < n; i++ {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: itemWith(pk, fmt.Sprintf("%03d", i), "i", n2(i))}})
	}
	return reqs
}

func n2(i int) types.AttributeValue { return n(fmt.Sprint(i)) }

func testBatchWrite(t *testing.T, db store.DB, admin store.Admin) {
	ctx := context.Background()
	table := newTable(t, admin)
	out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: writeReqs(25, "B")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.UnprocessedItems[table]) != 0 {
		t.Fatalf("unprocessed: %d", len(out.UnprocessedItems[table]))
	}
	for i := 0; i < 25; i++ {
		if get(t, db, table, "B", fmt.Sprintf("%03d", i)) == nil {
			t.Fatalf("item %d missing", i)
		}
	}
	// Deletes mixed with puts.
	_, err = db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: {
		{DeleteRequest: &types.DeleteRequest{Key: key("B", "000")}},
		{PutRequest: &types.PutRequest{Item: itemWith("B", "999")}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if get(t, db, table, "B", "000") != nil || get(t, db, table, "B", "999") == nil {
		t.Error("mixed delete/put not applied")
	}
	cases := []struct {
		name string
		reqs []types.WriteRequest
		// motoGap: DynamoDB rejects this, moto 5.2 accepts it.
		motoGap bool
	}{
		{"26 items", writeReqs(26, "C"), true},
		{"duplicate keys", append(writeReqs(2, "D"), writeReqs(1, "D")...), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: c.reqs}})
			if c.motoGap && err == nil {
				if _, isClient := db.(*dynamodb.Client); isClient {
					t.Log("moto does not enforce this DynamoDB limit; the embedded store does")
					return
				}
			}
			if !isValidation(err) {
				t.Errorf("err = %v, want ValidationException", err)
			}
		})
	}
}

func testBatchGet(t *testing.T, db store.DB, admin store.Admin) {
	ctx := context.Background()
	table := newTable(t, admin)
	if _, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: writeReqs(5, "G")}}); err != nil {
		t.Fatal(err)
	}
	out, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{table: {
		Keys: []map[string]types.AttributeValue{key("G", "000"), key("G", "004"), key("G", "nope")},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(out.Responses[table]); got != 2 {
		t.Errorf("BatchGetItem returned %d items, want 2", got)
	}
}

func testTransact(t *testing.T, db store.DB, admin store.Admin) {
	ctx := context.Background()
	table := newTable(t, admin)
	marker := func(id string) types.TransactWriteItem {
		return types.TransactWriteItem{Put: &types.Put{TableName: &table, Item: itemWith("DON#"+id, "DON", "amount", n("10")),
			ConditionExpression: aws.String("attribute_not_exists(pk)")}}
	}
	total := types.TransactWriteItem{Update: &types.Update{TableName: &table, Key: key("TOTAL", "TOTAL"),
		UpdateExpression: aws.String("ADD amount :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": n("20")}}}
	if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{marker("1"), marker("2"), total}}); err != nil {
		t.Fatal(err)
	}
	if got := num(t, get(t, db, table, "TOTAL", "TOTAL"), "amount"); got != "20" {
		t.Fatalf("total = %s, want 20", got)
	}
	// Replaying record 2 with a new record 3 cancels the whole transaction.
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{marker("3"), marker("2"), total}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("replay: err = %v, want TransactionCanceledException", err)
	}
	var codes []string
	for _, r := range tce.CancellationReasons {
		codes = append(codes, aws.ToString(r.Code))
	}
	if fmt.Sprint(codes) != "[None ConditionalCheckFailed None]" {
		t.Errorf("cancellation reasons = %v, want [None ConditionalCheckFailed None]", codes)
	}
	if get(t, db, table, "DON#3", "DON") != nil {
		t.Error("canceled transaction wrote DON#3")
	}
	if got := num(t, get(t, db, table, "TOTAL", "TOTAL"), "amount"); got != "20" {
		t.Errorf("total after canceled transaction = %s, want 20", got)
	}
	// Validation: two actions on one item, too many actions.
	_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{total, total}})
	if !isValidation(err) {
		t.Errorf("two actions on one item: err = %v, want ValidationException", err)
	}
	var many []types.TransactWriteItem
	for i := 0; i < 101; i++ {
		many = append(many, marker(fmt.Sprint("m", i)))
	}
	_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: many})
	if !isValidation(err) {
		t.Errorf("101 actions: err = %v, want ValidationException", err)
	}
	// ConditionCheck and Delete participate.
	_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: &table, Key: key("TOTAL", "TOTAL"), ConditionExpression: aws.String("amount = :a"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":a": n("20")}}},
		{Delete: &types.Delete{TableName: &table, Key: key("DON#1", "DON")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if get(t, db, table, "DON#1", "DON") != nil {
		t.Error("transactional delete not applied")
	}
}

func testQuery(t *testing.T, db store.DB, admin store.Admin) {
	ctx := context.Background()
	table := newTable(t, admin)
	for _, pk := range []string{"Q", "Q2"} {
		if _, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: writeReqs(20, pk)}}); err != nil {
			t.Fatal(err)
		}
	}
	q := func(in dynamodb.QueryInput) (sks []string, last map[string]types.AttributeValue) {
		t.Helper()
		in.TableName = &table
		out, err := db.Query(ctx, &in)
		if err != nil {
			t.Fatalf("query %s: %v", aws.ToString(in.KeyConditionExpression), err)
		}
		for _, it := range out.Items {
			sks = append(sks, it["sk"].(*types.AttributeValueMemberS).Value)
		}
		return sks, out.LastEvaluatedKey
	}
	vals := func(kv ...string) map[string]types.AttributeValue {
		m := map[string]types.AttributeValue{":p": s("Q")}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = s(kv[i+1])
		}
		return m
	}
	cases := []struct {
		name    string
		in      dynamodb.QueryInput
		first   string
		last    string
		count   int
		lastKey bool
	}{
		{"partition", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: vals()}, "000", "019", 20, false},
		{"begins_with", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND begins_with(sk, :b)"), ExpressionAttributeValues: vals(":b", "01")}, "010", "019", 10, false},
		{"between", dynamodb.QueryInput{KeyConditionExpression: aws.String("#k = :p AND #s BETWEEN :a AND :b"), ExpressionAttributeNames: map[string]string{"#k": "pk", "#s": "sk"}, ExpressionAttributeValues: vals(":a", "005", ":b", "007")}, "005", "007", 3, false},
		{"greater", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk > :a"), ExpressionAttributeValues: vals(":a", "017")}, "018", "019", 2, false},
		{"backward", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk <= :a"), ScanIndexForward: aws.Bool(false), ExpressionAttributeValues: vals(":a", "003")}, "003", "000", 4, false},
		{"limit", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), Limit: aws.Int32(5), ExpressionAttributeValues: vals()}, "000", "004", 5, true},
		{"backward limit", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), Limit: aws.Int32(3), ScanIndexForward: aws.Bool(false), ExpressionAttributeValues: vals()}, "019", "017", 3, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sks, last := q(c.in)
			if len(sks) != c.count || sks[0] != c.first || sks[len(sks)-1] != c.last {
				t.Errorf("got %v, want %d items %s..%s", sks, c.count, c.first, c.last)
			}
			if (last != nil) != c.lastKey {
				t.Errorf("LastEvaluatedKey = %v, want present=%v", last, c.lastKey)
			}
		})
	}
	t.Run("pagination", func(t *testing.T) {
		for _, forward := range []bool{true, false} {
			var all []string
			var start map[string]types.AttributeValue
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("pagination does not end")
				}
				sks, last := q(dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), Limit: aws.Int32(6),
					ScanIndexForward: aws.Bool(forward), ExclusiveStartKey: start, ExpressionAttributeValues: vals()})
				all = append(all, sks...)
				if last == nil {
					break
				}
				start = last
			}
			if len(all) != 20 || !sort.SliceIsSorted(all, func(i, j int) bool { return (all[i] < all[j]) == forward }) {
				t.Errorf("forward=%v: paged through %v", forward, all)
			}
		}
	})
	t.Run("filter", func(t *testing.T) {
		out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :p"),
			FilterExpression: aws.String("i >= :min"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("Q"), ":min": n("15")}})
		if err != nil {
			t.Fatal(err)
		}
		if out.Count != 5 || out.ScannedCount != 20 {
			t.Errorf("Count=%d ScannedCount=%d, want 5 and 20", out.Count, out.ScannedCount)
		}
	})
	t.Run("bad key condition", func(t *testing.T) {
		_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("sk = :p"),
			ExpressionAttributeValues: vals()})
		if !isValidation(err) {
			t.Errorf("err = %v, want ValidationException", err)
		}
	})
}

func testMissingTable(t *testing.T, db store.DB) {
	_, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("no-such-table"), Key: key("a", "b")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("err = %v, want ResourceNotFoundException", err)
	}
}

func testReadOptions(t *testing.T, db store.DB, admin store.Admin) {
	ctx := context.Background()
	table := newTable(t, admin)
	put := func(v string) *dynamodb.PutItemOutput {
		out, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: itemWith("R", "R", "a", s(v), "b", n("2")),
			ReturnValues: types.ReturnValueAllOld})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := put("one"); len(out.Attributes) != 0 {
		t.Errorf("ALL_OLD of a new item = %v, want none", out.Attributes)
	}
	if out := put("two"); out.Attributes["a"].(*types.AttributeValueMemberS).Value != "one" {
		t.Errorf("ALL_OLD = %v, want the first version", out.Attributes)
	}
	g, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key("R", "R"),
		ProjectionExpression: aws.String("#a, sk"), ExpressionAttributeNames: map[string]string{"#a": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Item) != 2 || g.Item["a"] == nil || g.Item["sk"] == nil {
		t.Errorf("projected item = %v, want a and sk", g.Item)
	}
	q, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("R")}, Select: types.SelectCount})
	if err != nil {
		t.Fatal(err)
	}
	if q.Count != 1 || len(q.Items) != 0 {
		t.Errorf("Select COUNT: Count=%d Items=%d, want 1 and none", q.Count, len(q.Items))
	}
}

func testDeleteTable(t *testing.T, db store.DB, admin store.Admin) {
	ctx := context.Background()
	table := newTable(t, admin)
	if _, err := admin.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &table}); err != nil {
		t.Fatal(err)
	}
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: key("a", "b")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("put into a deleted table: err = %v, want ResourceNotFoundException", err)
	}
	if err := store.EnsureTable(ctx, admin, table, "pk", "sk"); err != nil {
		t.Fatalf("recreate: %v", err)
	}
	if get(t, db, table, "a", "b") != nil {
		t.Error("recreated table is not empty")
	}
}
