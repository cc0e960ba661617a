package domain_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/campaignkit/campaignkit/apps/charityevent/domain"
	"github.com/campaignkit/campaignkit/internal/queue"
)

var settings = domain.Settings{Campaign: "charity-week", Stage: "test", Currency: "EUR", MinCents: 100, MaxCents: 1_000_000,
	Charities: []domain.Charity{{ID: "foodbanks", Name: "Food Banks"}, {ID: "shelters", Name: "Winter Shelters"}}}

// recorder is a fake Enqueuer that keeps what was queued.
type recorder struct {
	mu   sync.Mutex
	envs []queue.Envelope
}

func (r *recorder) Enqueue(_ context.Context, env queue.Envelope) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.envs = append(r.envs, env)
	return "m", nil
}

// noReads fails any read: the write paths must not read.
type noReads struct{ t *testing.T }

func (n noReads) BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	n.t.Error("unexpected BatchGetItem")
	return &dynamodb.BatchGetItemOutput{}, nil
}
func (n noReads) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	n.t.Error("unexpected Query")
	return &dynamodb.QueryOutput{}, nil
}

func newAPI(t *testing.T) (http.Handler, *recorder) {
	t.Helper()
	rec := &recorder{}
	v, err := domain.NewWebhookVerifier([]byte("0123456789abcdef-secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := domain.NewService(settings, noReads{t}, rec, domain.Options{Table: "t", Payments: v})
	if err != nil {
		t.Fatal(err)
	}
	return svc.Handler(), rec
}

func do(h http.Handler, method, path, ctype, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

const good = `{"charityId":"foodbanks","amountCents":2500,"currency":"EUR","idempotencyKey":"0b6f5a0e-1c1d-4a57-9b1e-000000000001"}`

func TestBadInputIsA4xxProblemAndStoresNothing(t *testing.T) {
	long := strings.Repeat("x", 300)
	cases := []struct {
		name, ctype, body string
		status            int
		field             string
	}{
		{"malformed JSON", "application/json", `{"charityId":`, 400, ""},
		{"trailing data", "application/json", good + `{}`, 400, ""},
		{"not JSON content type", "text/plain", good, 415, ""},
		{"oversized body", "application/json", `{"charityId":"` + strings.Repeat("a", domain.MaxBodyBytes) + `"}`, 413, ""},
		{"unknown field", "application/json", `{"charityId":"foodbanks","amountCents":2500,"currency":"EUR","idempotencyKey":"abcdefgh1","x":1}`, 422, ""},
		{"wrong type", "application/json", `{"charityId":"foodbanks","amountCents":"25","currency":"EUR","idempotencyKey":"abcdefgh1"}`, 422, ""},
		{"unknown charity", "application/json", `{"charityId":"nope","amountCents":2500,"currency":"EUR","idempotencyKey":"abcdefgh1"}`, 422, "charityId"},
		{"missing charity", "application/json", `{"amountCents":2500,"currency":"EUR","idempotencyKey":"abcdefgh1"}`, 422, "charityId"},
		{"amount below min", "application/json", `{"charityId":"foodbanks","amountCents":99,"currency":"EUR","idempotencyKey":"abcdefgh1"}`, 422, "amountCents"},
		{"amount above max", "application/json", `{"charityId":"foodbanks","amountCents":1000001,"currency":"EUR","idempotencyKey":"abcdefgh1"}`, 422, "amountCents"},
		{"negative amount", "application/json", `{"charityId":"foodbanks","amountCents":-5,"currency":"EUR","idempotencyKey":"abcdefgh1"}`, 422, "amountCents"},
		{"fractional amount", "application/json", `{"charityId":"foodbanks","amountCents":25.5,"currency":"EUR","idempotencyKey":"abcdefgh1"}`, 422, ""},
		{"wrong currency", "application/json", `{"charityId":"foodbanks","amountCents":2500,"currency":"USD","idempotencyKey":"abcdefgh1"}`, 422, "currency"},
		{"short key", "application/json", `{"charityId":"foodbanks","amountCents":2500,"currency":"EUR","idempotencyKey":"abc"}`, 422, "idempotencyKey"},
		{"key with spaces", "application/json", `{"charityId":"foodbanks","amountCents":2500,"currency":"EUR","idempotencyKey":"abc def ghi"}`, 422, "idempotencyKey"},
		{"donor name too long", "application/json", `{"charityId":"foodbanks","amountCents":2500,"currency":"EUR","idempotencyKey":"abcdefgh1","donorName":"` + long + `"}`, 422, "donorName"},
		{"song without title", "application/json", `{"charityId":"foodbanks","amountCents":2500,"currency":"EUR","idempotencyKey":"abcdefgh1","song":{"artist":"x"}}`, 422, "song.title"},
		{"song message too long", "application/json", `{"charityId":"foodbanks","amountCents":2500,"currency":"EUR","idempotencyKey":"abcdefgh1","song":{"title":"t","message":"` + long + `"}}`, 422, "song.message"},
		{"control characters", "application/json", `{"charityId":"foodbanks","amountCents":2500,"currency":"EUR","idempotencyKey":"abcdefgh1","donorName":"a\u0007b"}`, 422, "donorName"},
	}
	h, rec := newAPI(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := do(h, "POST", "/api/donations", c.ctype, c.body)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			var p struct {
				Status int
				Errors []struct{ Field string }
			}
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != c.status {
				t.Fatalf("problem body %s (%v)", w.Body, err)
			}
			if c.field != "" {
				found := false
				for _, e := range p.Errors {
					found = found || e.Field == c.field
				}
				if !found {
					t.Fatalf("no error for field %s: %s", c.field, w.Body)
				}
			}
		})
	}
	regCases := []struct{ name, body, field string }{
		{"no name", `{"name":"","email":"a@b.example"}`, "name"},
		{"bad email", `{"name":"Ann","email":"not-an-email"}`, "email"},
		{"bad url", `{"name":"Ann","email":"a@b.example","fundraiserUrl":"javascript:alert(1)"}`, "fundraiserUrl"},
	}
	for _, c := range regCases {
		w := do(h, "POST", "/api/registrations", "application/json", c.body)
		if w.Code != 422 || !strings.Contains(w.Body.String(), c.field) {
			t.Errorf("registration %s: %d %s", c.name, w.Code, w.Body)
		}
	}
	if w := do(h, "GET", "/api/songs?limit=1000", "", ""); w.Code != 422 {
		t.Errorf("limit=1000: %d", w.Code)
	}
	if w := do(h, "GET", "/api/songs?cursor=garbage", "", ""); w.Code != 422 {
		t.Errorf("bad cursor: %d", w.Code)
	}
	if w := do(h, "DELETE", "/api/donations", "", ""); w.Code != 405 || w.Header().Get("Allow") == "" {
		t.Errorf("DELETE: %d allow=%q", w.Code, w.Header().Get("Allow"))
	}
	if w := do(h, "GET", "/api/nope", "", ""); w.Code != 404 {
		t.Errorf("unknown path: %d", w.Code)
	}
	if len(rec.envs) != 0 {
		t.Fatalf("bad input queued %d message(s)", len(rec.envs))
	}
}

func TestDonationAcceptedAndIdempotent(t *testing.T) {
	h, rec := newAPI(t)
	w1 := do(h, "POST", "/api/donations", "application/json", good)
	w2 := do(h, "POST", "/api/donations", "application/json", good)
	if w1.Code != 202 || w2.Code != 202 {
		t.Fatalf("status %d/%d: %s", w1.Code, w2.Code, w1.Body)
	}
	var a, b struct{ ID string }
	_ = json.Unmarshal(w1.Body.Bytes(), &a)
	_ = json.Unmarshal(w2.Body.Bytes(), &b)
	if a.ID == "" || a.ID != b.ID {
		t.Fatalf("retry got a different id: %q vs %q", a.ID, b.ID)
	}
	if len(rec.envs) != 2 || rec.envs[0].IdempotencyKey != rec.envs[1].IdempotencyKey {
		t.Fatalf("both attempts must carry one idempotency key: %+v", rec.envs)
	}
	// Header and body keys must agree.
	if w := do(h, "POST", "/api/donations", "application/json", good, "Idempotency-Key", "another-key-123"); w.Code != 422 {
		t.Fatalf("conflicting keys: %d", w.Code)
	}
}

func TestWebhookSignature(t *testing.T) {
	h, rec := newAPI(t)
	v, _ := domain.NewWebhookVerifier([]byte("0123456789abcdef-secret"), nil)
	body := `{"id":"evt_000000001","type":"payment.succeeded","created":1700000000,"data":{"donationId":"d_x","charityId":"foodbanks","amountCents":2500,"currency":"EUR"}}`
	if w := do(h, "POST", "/api/payments/webhook", "application/json", body); w.Code != 401 {
		t.Fatalf("unsigned: %d", w.Code)
	}
	if w := do(h, "POST", "/api/payments/webhook", "application/json", body, domain.SignatureHeader, v.Sign([]byte(body+" "), time.Now())); w.Code != 401 {
		t.Fatalf("signature over other body: %d", w.Code)
	}
	if w := do(h, "POST", "/api/payments/webhook", "application/json", body, domain.SignatureHeader, v.Sign([]byte(body), time.Now().Add(-10*time.Minute))); w.Code != 401 {
		t.Fatalf("stale signature: %d", w.Code)
	}
	if len(rec.envs) != 0 {
		t.Fatal("unverified webhook queued a payment")
	}
	if w := do(h, "POST", "/api/payments/webhook", "application/json", body, domain.SignatureHeader, v.Sign([]byte(body), time.Now())); w.Code != 202 {
		t.Fatalf("signed: %d %s", w.Code, w.Body)
	}
	if len(rec.envs) != 1 || rec.envs[0].Kind != domain.KindPayment {
		t.Fatalf("queued %+v", rec.envs)
	}
}
