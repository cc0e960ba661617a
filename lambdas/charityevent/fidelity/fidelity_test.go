package fidelity_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/campaignkit/campaignkit/apps/charityevent/config"
	"github.com/campaignkit/campaignkit/apps/charityevent/domain"
	"github.com/campaignkit/campaignkit/internal/lambdart"
	"github.com/campaignkit/campaignkit/internal/store"
	"github.com/campaignkit/campaignkit/internal/testenv"
)

var moto *testenv.Moto

func TestMain(m *testing.M) {
	var err error
	if moto, err = testenv.StartMoto(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

const (
	apiEntry    = "github.com/campaignkit/campaignkit/lambdas/charityevent/api"
	writerEntry = "github.com/campaignkit/campaignkit/lambdas/charityevent/writer"
)

func urlEvent(method, path, body string) []byte {
	ev := events.LambdaFunctionURLRequest{
		Version: "2.0", RawPath: path, Body: body,
		Headers: map[string]string{"content-type": "application/json", "host": "abc.lambda-url.eu-west-1.on.aws"},
		RequestContext: events.LambdaFunctionURLRequestContext{RequestID: "req-1",
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1"}},
	}
	b, _ := json.Marshal(ev)
	return b
}

func TestBootstrapsEndToEnd(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	ddb, sq := dynamodb.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	if err := store.EnsureTable(ctx, ddb, "charity", domain.PK, domain.SK); err != nil {
		t.Fatal(err)
	}
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("charity-writes")})
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Load("../../../campaigns/charity-week-test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AWS_ENDPOINT_URL": moto.Endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
		"TABLE_NAME": "charity", "QUEUE_URL": *q.QueueUrl, domain.SettingsEnv: c.Settings().JSON()}

	// The API: a donation is accepted (202) and queued; bad input is a 4xx problem.
	api := lambdart.New(t, apiEntry, lambdart.Options{Env: env, MemoryMB: 512})
	t.Logf("api init %s", api.InitDuration())
	donation := `{"charityId":"foodbanks","amountCents":4200,"currency":"EUR","idempotencyKey":"fidelity-0001","song":{"title":"Heroes"}}`
	for _, c := range []struct {
		body   string
		status int
	}{{donation, 202}, {`{"charityId":"nope"}`, 422}, {`{`, 400}} {
		res, err := api.Invoke(ctx, urlEvent("POST", "/api/donations", c.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := res.HTTP()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.status {
			t.Fatalf("POST %s: %d %s, want %d", c.body, resp.StatusCode, resp.Body, c.status)
		}
	}
	msgs, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs.Messages) != 1 {
		t.Fatalf("queued %d messages, want only the valid donation", len(msgs.Messages))
	}

	// The writer: the queued message, delivered twice with a poison one, is applied once.
	writer := lambdart.New(t, writerEntry, lambdart.Options{Env: env, MemoryMB: 256})
	t.Logf("writer init %s", writer.InitDuration())
	batch, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: *msgs.Messages[0].MessageId, Body: *msgs.Messages[0].Body, EventSource: "aws:sqs"},
		{MessageId: "poison", Body: `{"kind":"donation"}`, EventSource: "aws:sqs"},
	}})
	for i := 0; i < 2; i++ {
		res, err := writer.Invoke(ctx, batch)
		if err != nil || res.Error != nil {
			t.Fatalf("writer: %v %v", err, res.Error)
		}
		var out events.SQSEventResponse
		if err := json.Unmarshal(res.Payload, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.BatchItemFailures) != 1 || out.BatchItemFailures[0].ItemIdentifier != "poison" {
			t.Fatalf("delivery %d: failures %+v, want only the poison message", i, out.BatchItemFailures)
		}
	}
	// The API reads the totals the writer wrote.
	res, err := api.Invoke(ctx, urlEvent("GET", "/api/totals", ""))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := res.HTTP()
	if err != nil {
		t.Fatal(err)
	}
	var tot domain.Totals
	if err := json.Unmarshal(resp.Body, &tot); err != nil {
		t.Fatalf("totals %s: %v", resp.Body, err)
	}
	if tot.Count != 1 || tot.TotalCents != 4200 {
		t.Fatalf("totals %+v, want one donation of 4200", tot)
	}
	item, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("charity"), Key: map[string]types.AttributeValue{
		domain.PK: &types.AttributeValueMemberS{Value: domain.CharityKey("foodbanks")}, domain.SK: &types.AttributeValueMemberS{Value: domain.TotalKey}}})
	if err != nil || !strings.Contains(fmt.Sprint(item.Item[domain.AttrPledgedCents]), "4200") {
		t.Fatalf("charity total %v %v", item.Item, err)
	}
}
