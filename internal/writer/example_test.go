package writer_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/campaignkit/campaignkit/internal/store"
	"github.com/campaignkit/campaignkit/internal/writer"
)

// A writer Lambda wired to DynamoDB (here the embedded store; on Lambda a
// *dynamodb.Client). The producer encodes a donation as a Message; the
// same batch delivered twice counts once.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	db, err := store.OpenEmbedded(filepath.Join(dir, "store.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := store.EnsureTable(ctx, db, "campaign", "pk", "sk"); err != nil {
		panic(err)
	}
	w := writer.New(writer.Config{
		Decode: writer.DecodeJSON("pk", "sk"),
		Sink:   writer.NewDynamoSink(db, writer.DynamoConfig{Table: "campaign"}),
		Logger: slog.New(slog.DiscardHandler),
	})

	// Producer side: one message per accepted request.
	body, _ := writer.EncodeMessage(writer.Record{
		IdempotencyKey: "donation#42",
		Puts: []writer.Item{{
			"pk": &types.AttributeValueMemberS{Value: "DONATION#42"}, "sk": &types.AttributeValueMemberS{Value: "DONATION"},
			"amount": &types.AttributeValueMemberN{Value: "2500"},
		}},
		Adds: []writer.Add{
			{Key: writer.Key{PK: "TOTAL", SK: "TOTAL"}, Attr: "amount", Delta: 2500},
			{Key: writer.Key{PK: "TOTAL", SK: "TOTAL"}, Attr: "count", Delta: 1},
		},
	})
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: body}, {MessageId: "m2", Body: "garbage"}}}
	for i := 0; i < 2; i++ {
		resp, st := w.HandleStats(ctx, ev)
		fmt.Printf("written=%d duplicate=%d failed=%v\n", st.Written, st.Duplicate, resp.BatchItemFailures)
	}
	// Output:
	// written=1 duplicate=0 failed=[{m2}]
	// written=0 duplicate=1 failed=[{m2}]
}
