package writer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/campaignkit/campaignkit/internal/writer"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestRecordValidate(t *testing.T) {
	put := func(pk, sk string) writer.Item { return writer.Item{"pk": sv(pk), "sk": sv(sk)} }
	add := func(pk, attr string) writer.Add {
		return writer.Add{Key: writer.Key{PK: pk, SK: "S"}, Attr: attr, Delta: 1}
	}
	cases := []struct {
		name string
		rec  writer.Record
		want string // "" = valid
	}{
		{"donation", donation("1", "c", 5), ""},
		{"vote", vote("1", "a"), ""},
		{"profile", profile("1"), ""},
		{"no key", writer.Record{Adds: []writer.Add{add("A", "n")}}, "empty idempotency key"},
		{"nothing", writer.Record{IdempotencyKey: "k"}, "nothing to write"},
		{"put without sk", writer.Record{IdempotencyKey: "k", Puts: []writer.Item{{"pk": sv("A")}}}, `"sk"`},
		{"numeric pk", writer.Record{IdempotencyKey: "k", Puts: []writer.Item{{"pk": nv(1), "sk": sv("A")}}}, `"pk"`},
		{"same item twice", writer.Record{IdempotencyKey: "k", Puts: []writer.Item{put("A", "B"), put("A", "B")}}, "written twice"},
		{"add to key attribute", writer.Record{IdempotencyKey: "k", Adds: []writer.Add{add("A", "sk")}}, "bad attribute"},
		{"add without key", writer.Record{IdempotencyKey: "k", Adds: []writer.Add{{Attr: "n", Delta: 1}}}, "empty key"},
		{"add to own put", writer.Record{IdempotencyKey: "k", Puts: []writer.Item{put("A", "S")}, Adds: []writer.Add{add("A", "n")}}, "also put"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.rec.Validate("pk", "sk")
			switch {
			case c.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("err = %v, want it to mention %s", err, c.want)
			}
		})
	}
}

func TestMessageRoundTrip(t *testing.T) {
	r := writer.Record{IdempotencyKey: "donation#9",
		Puts: []writer.Item{{"pk": sv("DONATION#9"), "sk": sv("DONATION"),
			"amount":  &types.AttributeValueMemberN{Value: "12345678901234567890.25"},
			"anon":    &types.AttributeValueMemberBOOL{Value: true},
			"note":    &types.AttributeValueMemberNULL{Value: true},
			"tags":    &types.AttributeValueMemberL{Value: []types.AttributeValue{sv("a"), nv(2)}},
			"address": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"city": sv("Lyon")}}}},
		Adds: []writer.Add{{Key: total, Attr: "amount", Delta: 12}}}
	body, err := writer.EncodeMessage(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := writer.DecodeJSON("pk", "sk")(events.SQSMessage{MessageId: "m", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(itemJSON(t, r.Puts[0]))
	b, _ := json.Marshal(itemJSON(t, got.Puts[0]))
	if string(a) != string(b) || got.IdempotencyKey != r.IdempotencyKey || got.Adds[0] != r.Adds[0] {
		t.Errorf("round trip:\n got %s %+v\nwant %s %+v", b, got.Adds, a, r.Adds)
	}
	if n := got.Puts[0]["amount"].(*types.AttributeValueMemberN).Value; n != "12345678901234567890.25" {
		t.Errorf("number lost precision: %s", n)
	}
	// Binary attributes have no JSON form.
	if _, err := writer.EncodeMessage(writer.Record{IdempotencyKey: "k", Puts: []writer.Item{{"pk": sv("A"), "sk": sv("B"),
		"b": &types.AttributeValueMemberB{Value: []byte{1}}}}}); err == nil {
		t.Error("binary attribute encoded")
	}
}

func itemJSON(t *testing.T, it writer.Item) map[string]any {
	m, err := writer.ItemToJSON(it)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// blockingSink never finishes on its own: it waits for its context.
type blockingSink struct{}

func (blockingSink) Write(ctx context.Context, recs []writer.Record) []writer.Result {
	<-ctx.Done()
	res := make([]writer.Result, len(recs))
	for i := range res {
		res[i] = writer.Result{Outcome: writer.Failed, Err: ctx.Err()}
	}
	return res
}

// The sink gets less time than the invocation, so failures are reported
// before Lambda's deadline.
func TestHandleLeavesTimeToReport(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	w := newWriter(blockingSink{})
	resp, err := w.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{message(t, "m1", vote("1", "a"))}})
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Error("Handle returned after the invocation deadline")
	}
	if len(resp.BatchItemFailures) != 1 {
		t.Errorf("failures %+v, want m1", resp.BatchItemFailures)
	}
}

// Counter coalescing: increments to one key within a batch become one
// update, as long as the key's records fit in a transaction (99).
func TestCoalescedCounterUpdates(t *testing.T) {
	cases := []struct {
		votes, keys, batch int
		wantUpdates        int64
	}{
		{100, 10, 100, 10},
		{90, 10, 90, 10},
		{1000, 10, 1000, 20}, // 100 votes per key: 99 + 1
		{50, 1, 50, 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d votes over %d keys", c.votes, c.keys), func(t *testing.T) {
			db := openCounting(t)
			w := newWriter(writer.NewDynamoSink(db, writer.DynamoConfig{Table: "bench"}))
			var msgs []events.SQSMessage
			for i := 0; i < c.votes; i++ {
				msgs = append(msgs, message(t, fmt.Sprint(i), vote(fmt.Sprint(i), fmt.Sprint(i%c.keys))))
			}
			for i := 0; i < len(msgs); i += c.batch {
				if resp, _ := w.HandleStats(context.Background(), events.SQSEvent{Records: msgs[i:min(i+c.batch, len(msgs))]}); len(resp.BatchItemFailures) > 0 {
					t.Fatal(resp.BatchItemFailures)
				}
			}
			if got := db.updates.Load(); got != c.wantUpdates {
				t.Errorf("%d counter updates, want %d", got, c.wantUpdates)
			}
		})
	}
}

func TestRDSAuthToken(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	tok, err := writer.RDSAuthToken(context.Background(), "proxy.example.eu-west-1.rds.amazonaws.com:5432", "eu-west-1", "campaignkit", creds)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"proxy.example.eu-west-1.rds.amazonaws.com:5432/?",
		"Action=connect", "DBUser=campaignkit", "X-Amz-Algorithm=AWS4-HMAC-SHA256",
		"X-Amz-Credential=AKIDEXAMPLE%2F", "%2Feu-west-1%2Frds-db%2Faws4_request",
		"X-Amz-Expires=900", "X-Amz-SignedHeaders=host", "X-Amz-Signature=",
	} {
		if !strings.Contains(tok, want) {
			t.Errorf("token %s lacks %s", tok, want)
		}
	}
	if strings.HasPrefix(tok, "https://") {
		t.Error("token keeps the scheme")
	}
	if _, err := writer.RDSAuthToken(context.Background(), "h:5432", "", "u", creds); err == nil {
		t.Error("token without region: no error")
	}
}

func TestMarkerTTL(t *testing.T) {
	db := openCounting(t)
	w := newWriter(writer.NewDynamoSink(db, writer.DynamoConfig{Table: "bench", MarkerTTL: 400 * time.Hour}))
	if resp, _ := w.HandleStats(context.Background(), events.SQSEvent{Records: []events.SQSMessage{message(t, "m", vote("1", "a"))}}); len(resp.BatchItemFailures) > 0 {
		t.Fatal(resp.BatchItemFailures)
	}
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("bench"), Key: map[string]types.AttributeValue{
		"pk": sv("IDEMPOTENCY#vote#1"), "sk": sv("IDEMPOTENCY#vote#1")}})
	if err != nil {
		t.Fatal(err)
	}
	exp, ok := out.Item["expiresAt"].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("marker %v has no expiresAt", out.Item)
	}
	want := time.Now().Add(400 * time.Hour).Unix()
	if got, _ := strconv.ParseInt(exp.Value, 10, 64); got < want-60 || got > want+60 {
		t.Errorf("expiresAt = %d, want about %d", got, want)
	}
	env := map[string]string{"TABLE_NAME": "t", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "MARKER_TTL": "24h"}
	if _, err := writer.DynamoSinkFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("a MARKER_TTL shorter than SQS retention was accepted")
	}
}

// A record that cannot fit in one transaction fails alone, up front.
func TestDynamoRecordTooBigForATransaction(t *testing.T) {
	db := openCounting(t)
	sink := writer.NewDynamoSink(db, writer.DynamoConfig{Table: "bench"})
	big := writer.Record{IdempotencyKey: "big"}
	for i := 0; i < 100; i++ {
		big.Adds = append(big.Adds, writer.Add{Key: writer.Key{PK: fmt.Sprint("K", i), SK: "S"}, Attr: "n", Delta: 1})
	}
	res := sink.Write(context.Background(), []writer.Record{big, vote("1", "a")})
	if res[0].Outcome != writer.Failed || !strings.Contains(fmt.Sprint(res[0].Err), "101 transaction items") {
		t.Errorf("big record: %+v", res[0])
	}
	if res[1].Outcome != writer.Written {
		t.Errorf("vote: %+v", res[1])
	}
	if db.transacts.Load() != 1 {
		t.Errorf("%d transactions, want 1 (the big record is never sent)", db.transacts.Load())
	}
}

// The marker contract: by default a record's first Put is its marker, so
// an item created earlier by another record makes it look applied;
// DedicatedMarkers removes that dependency at the cost of one item.
func TestFirstPutMarkerContract(t *testing.T) {
	for _, c := range []struct {
		dedicated bool
		want      writer.Outcome
		total     int64
	}{{false, writer.Duplicate, 0}, {true, writer.Written, 100}} {
		t.Run(fmt.Sprint("dedicated=", c.dedicated), func(t *testing.T) {
			db := openCounting(t)
			sink := writer.NewDynamoSink(db, writer.DynamoConfig{Table: "bench", DedicatedMarkers: c.dedicated})
			other := writer.Record{IdempotencyKey: "import#1", Puts: []writer.Item{{"pk": sv("DONATION#z"), "sk": sv("DONATION")}}}
			if res := sink.Write(context.Background(), []writer.Record{other}); res[0].Outcome != writer.Written {
				t.Fatal(res[0])
			}
			res := sink.Write(context.Background(), []writer.Record{donation("z", "c", 100)})
			if res[0].Outcome != c.want {
				t.Errorf("outcome %v, want %v", res[0].Outcome, c.want)
			}
			out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("bench"),
				Key: map[string]types.AttributeValue{"pk": sv("TOTAL"), "sk": sv("TOTAL")}})
			if err != nil {
				t.Fatal(err)
			}
			var got int64
			if n, ok := out.Item["amount"].(*types.AttributeValueMemberN); ok {
				got, _ = strconv.ParseInt(n.Value, 10, 64)
			}
			if got != c.total {
				t.Errorf("TOTAL amount = %d, want %d", got, c.total)
			}
		})
	}
}
