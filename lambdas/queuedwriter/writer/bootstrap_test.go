package main

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/jackc/pgx/v5"

	"github.com/campaignkit/campaignkit/internal/lambdart"
	"github.com/campaignkit/campaignkit/internal/store"
)

const module = "github.com/campaignkit/campaignkit/lambdas/queuedwriter/writer"

// TestBootstraps runs the real bootstraps (combined and one-sink) under a
// Lambda Runtime API: each starts, takes an SQS batch twice, reports only
// the poison message, and applies the donation once. lambdart logs each
// bootstrap's size and init time.
func TestBootstraps(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(cfg)
	cases := []struct {
		name, entry string
		env         map[string]string
	}{
		{"combined/dynamodb", module, map[string]string{"SINK": "dynamodb", "TABLE_NAME": "boot-combined"}},
		{"dynamodb", module + "/dynamodb", map[string]string{"TABLE_NAME": "boot-dynamodb"}},
		{"combined/postgres", module, map[string]string{"SINK": "postgres", "DATABASE_URL": pg.URL, "DB_SCHEMA": "boot_combined"}},
		{"postgres", module + "/postgres", map[string]string{"DATABASE_URL": pg.URL, "DB_SCHEMA": "boot_postgres"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.env["AWS_ENDPOINT_URL"] = moto.Endpoint
			if tbl := c.env["TABLE_NAME"]; tbl != "" {
				if err := store.EnsureTable(ctx, ddb, tbl, "pk", "sk"); err != nil {
					t.Fatal(err)
				}
			}
			rt := lambdart.New(t, c.entry, lambdart.Options{FunctionName: "writer", Env: c.env})
			payload, err := json.Marshal(donationEvent(t))
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				res, err := rt.Invoke(ctx, payload)
				if err != nil {
					t.Fatal(err)
				}
				if res.Error != nil {
					t.Fatalf("invocation failed: %+v", res.Error)
				}
				var resp events.SQSEventResponse
				if err := json.Unmarshal(res.Payload, &resp); err != nil {
					t.Fatalf("response %s: %v", res.Payload, err)
				}
				if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "poison" {
					t.Fatalf("delivery %d: %s, want only the poison message", i, res.Payload)
				}
			}
			var got string
			if tbl := c.env["TABLE_NAME"]; tbl != "" {
				out, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tbl),
					Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TOTAL"}, "sk": &types.AttributeValueMemberS{Value: "TOTAL"}}})
				if err != nil {
					t.Fatal(err)
				}
				got = out.Item["amount"].(*types.AttributeValueMemberN).Value
			} else {
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
				got = strconv.FormatInt(v, 10)
			}
			if got != "2500" {
				t.Errorf("TOTAL amount = %s, want 2500 (applied once)", got)
			}
		})
	}
}
