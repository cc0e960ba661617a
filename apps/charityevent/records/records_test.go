package records_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/campaignkit/campaignkit/apps/charityevent/records"
)

func TestDecode(t *testing.T) {
	env := func(kind, data string) events.SQSMessage {
		return events.SQSMessage{MessageId: "m", Body: `{"kind":"` + kind + `","idempotencyKey":"k-12345678","enqueuedAt":"2026-12-14T20:00:00Z","data":` + data + `}`}
	}
	at := time.Date(2026, 12, 14, 20, 0, 0, 0, time.UTC).Format(time.RFC3339Nano)
	rec, err := records.Decode(env("donation", `{"id":"d_1","charityId":"foodbanks","amountCents":2500,"currency":"EUR","acceptedAt":"`+at+`","song":{"title":"Heroes"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if rec.IdempotencyKey != "donation#d_1" || len(rec.Puts) != 2 || len(rec.Adds) != 4 {
		t.Fatalf("donation record %+v", rec)
	}
	if err := rec.Validate("pk", "sk"); err != nil {
		t.Fatal(err)
	}
	poison := []struct{ name, body, want string }{
		{"not JSON", "nope", "decode envelope"},
		{"unknown kind", `{"kind":"vote","idempotencyKey":"k-12345678","data":{}}`, "unknown message kind"},
		{"donation without amount", env("donation", `{"id":"d_1","charityId":"foodbanks"}`).Body, "malformed"},
		{"payment without event", env("payment", `{"donationId":"d_1","amountCents":5}`).Body, "malformed"},
		{"registration without email", env("registration", `{"id":"p_1"}`).Body, "malformed"},
	}
	for _, p := range poison {
		if _, err := records.Decode(events.SQSMessage{Body: p.body}); err == nil || !strings.Contains(err.Error(), p.want) {
			t.Errorf("%s: %v, want %q", p.name, err, p.want)
		}
	}
}
