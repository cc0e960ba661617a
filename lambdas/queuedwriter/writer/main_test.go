package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/jackc/pgx/v5"

	"github.com/campaignkit/campaignkit/internal/store"
	"github.com/campaignkit/campaignkit/internal/testenv"
	"github.com/campaignkit/campaignkit/internal/writer"
)

var (
	moto *testenv.Moto
	pg   *testenv.Postgres
)

func TestMain(m *testing.M) {
	ctx := context.Background()
	var err error
	if moto, err = testenv.StartMoto(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if pg, err = testenv.StartPostgres(ctx); err != nil {
		moto.Stop()
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	pg.Stop()
	moto.Stop()
	os.Exit(code)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// envOf is a Lambda-like environment pointed at moto plus m.
func envOf(m map[string]string) func(string) string {
	env := map[string]string{"AWS_ENDPOINT_URL": moto.Endpoint, "AWS_REGION": "eu-west-1",
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "token"}
	for k, v := range m {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

func donationEvent(t *testing.T) events.SQSEvent {
	t.Helper()
	body, err := writer.EncodeMessage(writer.Record{IdempotencyKey: "donation#1",
		Puts: []writer.Item{{"pk": &types.AttributeValueMemberS{Value: "DONATION#1"}, "sk": &types.AttributeValueMemberS{Value: "DONATION"}}},
		Adds: []writer.Add{{Key: writer.Key{PK: "TOTAL", SK: "TOTAL"}, Attr: "amount", Delta: 2500}}})
	if err != nil {
		t.Fatal(err)
	}
	return events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: body}, {MessageId: "poison", Body: "nope"}}}
}

// handleTwice delivers the sample batch twice: the poison message fails
// both times, the donation is applied once.
func handleTwice(t *testing.T, w *writer.Writer) {
	t.Helper()
	for i := 0; i < 2; i++ {
		resp, err := w.Handle(context.Background(), donationEvent(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "poison" {
			t.Fatalf("delivery %d: failures %+v, want only the poison message", i, resp.BatchItemFailures)
		}
	}
}

func TestSetupDynamoDB(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	client := dynamodb.NewFromConfig(cfg)
	if err := store.EnsureTable(ctx, client, "donations", "pk", "sk"); err != nil {
		t.Fatal(err)
	}
	w, closeFn, err := setup(ctx, envOf(map[string]string{"SINK": "dynamodb", "TABLE_NAME": "donations", "PK_NAME": "pk", "SK_NAME": "sk"}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	handleTwice(t, w)
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("donations"),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TOTAL"}, "sk": &types.AttributeValueMemberS{Value: "TOTAL"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Item["amount"].(*types.AttributeValueMemberN).Value; got != "2500" {
		t.Errorf("TOTAL amount = %s, want 2500", got)
	}
}

func TestSetupPostgres(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
	}{
		{"password in URL", map[string]string{"SINK": "postgres", "DATABASE_URL": pg.URL, "DB_SCHEMA": "plain"}},
		// The test server trusts loopback, so the signed token is accepted
		// as any password would be: this proves the hook runs and connects.
		{"IAM auth token", map[string]string{"DATABASE_URL": pg.URL, "DB_IAM_AUTH": "true", "DB_MAX_CONNS": "2", "DB_SCHEMA": "iam"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			w, closeFn, err := setup(ctx, envOf(c.env), quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			handleTwice(t, w)
			conn, err := pgx.Connect(ctx, pg.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var v int64
			if err := conn.QueryRow(ctx, `SELECT value FROM `+pgx.Identifier{c.env["DB_SCHEMA"], "counters"}.Sanitize()+
				` WHERE pk = 'TOTAL' AND attr = 'amount'`).Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v != 2500 {
				t.Errorf("TOTAL amount = %d, want 2500", v)
			}
		})
	}
}

func TestSetupRejectsBadEnvironment(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing set", map[string]string{}, "DATABASE_URL"},
		{"unknown sink", map[string]string{"SINK": "mysql"}, "SINK"},
		{"dynamodb without table", map[string]string{"SINK": "dynamodb"}, "TABLE_NAME"},
		{"bad pool size", map[string]string{"SINK": "postgres", "DATABASE_URL": "postgres://u@127.0.0.1:1/db", "DB_MAX_CONNS": "zero"}, "DB_MAX_CONNS"},
		{"no region", map[string]string{"TABLE_NAME": "t", "AWS_REGION": ""}, "AWS_REGION"},
		{"no credentials", map[string]string{"TABLE_NAME": "t", "AWS_ACCESS_KEY_ID": ""}, "AWS_ACCESS_KEY_ID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := setup(context.Background(), envOf(c.env), quiet)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %s", err, c.want)
			}
		})
	}
}
