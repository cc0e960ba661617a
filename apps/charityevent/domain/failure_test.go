package domain_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

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
	db.EXPECT().GetItem(mock.Anything, mock.Anything).Return(nil, errors.New("dynamodb: ProvisionedThroughputExceeded on secret-table")).Once()
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
