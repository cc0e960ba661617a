package domain_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/mock"

	"github.com/campaignkit/campaignkit/apps/charityevent/domain"
	"github.com/campaignkit/campaignkit/apps/charityevent/domain/mocks"
)

// When the queue or the table fails, the API answers a 500 problem that does
// not leak the cause, never a 202: a pledge is only acknowledged once queued.
func TestInfrastructureFailuresAreNotAcknowledged(t *testing.T) {
	q := mocks.NewEnqueuer(t)
	db := mocks.NewReader(t)
	q.EXPECT().Enqueue(mock.Anything, mock.Anything).Return("", errors.New("sqs: throttled by secret-queue-name")).Once()
	db.EXPECT().BatchGetItem(mock.Anything, mock.Anything).Return(nil, errors.New("dynamodb: ProvisionedThroughputExceeded on secret-table")).Once()
	svc, err := domain.NewService(settings, db, q, domain.Options{Table: "t"})
	if err != nil {
		t.Fatal(err)
	}
	h := svc.Handler()
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/donations", good},
		{"GET", "/api/totals", ""},
	} {
		w := do(h, c.method, c.path, "application/json", c.body)
		if w.Code != http.StatusInternalServerError {
			t.Fatalf("%s %s: %d, want 500", c.method, c.path, w.Code)
		}
		if b := w.Body.String(); strings.Contains(b, "secret") || !strings.Contains(b, "request_id") {
			t.Fatalf("%s %s: problem leaks the cause or lacks the request id: %s", c.method, c.path, b)
		}
	}
}

// The live totals are one BatchGetItem; keys DynamoDB leaves unprocessed
// are asked for again, and the leaderboard is sorted by amount.
func TestTotalsRetryUnprocessedKeys(t *testing.T) {
	item := func(pk string, cents int64) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "TOTAL"},
			"pledgedCents": &types.AttributeValueMemberN{Value: strconv.FormatInt(cents, 10)}, "donations": &types.AttributeValueMemberN{Value: "1"}}
	}
	db := mocks.NewReader(t)
	db.EXPECT().BatchGetItem(mock.Anything, mock.MatchedBy(func(in *dynamodb.BatchGetItemInput) bool { return len(in.RequestItems["t"].Keys) == 3 })).
		Return(&dynamodb.BatchGetItemOutput{
			Responses:       map[string][]map[string]types.AttributeValue{"t": {item("TOTAL", 700), item("CHARITY#foodbanks", 200)}},
			UnprocessedKeys: map[string]types.KeysAndAttributes{"t": {Keys: []map[string]types.AttributeValue{{"pk": &types.AttributeValueMemberS{Value: "CHARITY#shelters"}}}}},
		}, nil).Once()
	db.EXPECT().BatchGetItem(mock.Anything, mock.MatchedBy(func(in *dynamodb.BatchGetItemInput) bool { return len(in.RequestItems["t"].Keys) == 1 })).
		Return(&dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{"t": {item("CHARITY#shelters", 500)}}}, nil).Once()
	svc, err := domain.NewService(settings, db, mocks.NewEnqueuer(t), domain.Options{Table: "t"})
	if err != nil {
		t.Fatal(err)
	}
	tot, err := svc.Totals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tot.TotalCents != 700 || len(tot.Charities) != 2 || tot.Charities[0].ID != "shelters" || tot.Charities[0].TotalCents != 500 || tot.Charities[1].TotalCents != 200 {
		t.Fatalf("totals %+v", tot)
	}
}
