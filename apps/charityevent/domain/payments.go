package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The payment provider's webhook contract.
//
// A donation is a pledge until the provider confirms the charge; only a
// verified webhook moves money into paidCents. The provider POSTs JSON to
// /api/payments/webhook:
//
//	{"id": "evt_…", "type": "payment.succeeded" | "payment.failed", "created": <unix s>,
//	 "data": {"donationId": "d_…", "charityId": "…", "amountCents": 2500, "currency": "EUR"}}
//
// with the header
//
//	Campaignkit-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// Several v1 entries may be given (secret rotation). A signature older than
// the tolerance (5 minutes) is refused, so a captured request cannot be
// replayed later; a replay within it is harmless because events are written
// idempotently by id. Answers: 202 accepted (also for a repeated event), 400
// malformed event, 401 bad or missing signature.
const SignatureHeader = "Campaignkit-Signature"

// Payment event types.
const (
	EventPaymentSucceeded = "payment.succeeded"
	EventPaymentFailed    = "payment.failed"
)

// ErrSignature is returned for a missing, malformed, stale or wrong signature.
var ErrSignature = errors.New("webhook signature not valid")

// WebhookEvent is the provider's event body.
type WebhookEvent struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		DonationID  string `json:"donationId"`
		CharityID   string `json:"charityId"`
		AmountCents int64  `json:"amountCents"`
		Currency    string `json:"currency"`
	} `json:"data"`
}

// WebhookVerifier checks webhook signatures.
type WebhookVerifier struct {
	secret    []byte
	tolerance time.Duration
	now       func() time.Time
}

// NewWebhookVerifier returns a verifier for secret (at least 16 bytes).
func NewWebhookVerifier(secret []byte, now func() time.Time) (*WebhookVerifier, error) {
	if len(secret) < 16 {
		return nil, errors.New("payment webhook secret must be at least 16 bytes")
	}
	if now == nil {
		now = time.Now
	}
	return &WebhookVerifier{secret: secret, tolerance: 5 * time.Minute, now: now}, nil
}

// Sign returns the signature header value for body at time t (used by the
// local simulator and tests; a real provider signs on its side).
func (v *WebhookVerifier) Sign(body []byte, t time.Time) string {
	return fmt.Sprintf("t=%d,v1=%s", t.Unix(), v.mac(t.Unix(), body))
}

func (v *WebhookVerifier) mac(ts int64, body []byte) string {
	m := hmac.New(sha256.New, v.secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks header against body.
func (v *WebhookVerifier) Verify(header string, body []byte) error {
	var ts int64 = -1
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return fmt.Errorf("%w: bad timestamp", ErrSignature)
			}
			ts = n
		case "v1":
			sigs = append(sigs, val)
		}
	}
	if ts < 0 || len(sigs) == 0 {
		return fmt.Errorf("%w: header needs t=<unix>,v1=<hex>", ErrSignature)
	}
	age := v.now().Sub(time.Unix(ts, 0))
	if age > v.tolerance || age < -v.tolerance {
		return fmt.Errorf("%w: timestamp outside the %s tolerance", ErrSignature, v.tolerance)
	}
	want := v.mac(ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("%w: no matching v1 signature", ErrSignature)
}

// ParseEvent decodes and checks a webhook event body.
func ParseEvent(body []byte) (WebhookEvent, error) {
	var ev WebhookEvent
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&ev); err != nil {
		return ev, fmt.Errorf("malformed event: %w", err)
	}
	var errs ValidationError
	if !keyRE.MatchString(strings.ReplaceAll(ev.ID, ".", "_")) {
		errs = append(errs, FieldError{"id", "must be 8–128 letters, digits, '-', '_' or '.'"})
	}
	if ev.Type != EventPaymentSucceeded && ev.Type != EventPaymentFailed {
		errs = append(errs, FieldError{"type", "must be payment.succeeded or payment.failed"})
	}
	if ev.Data.DonationID == "" {
		errs = append(errs, FieldError{"data.donationId", "is required"})
	}
	if ev.Data.AmountCents <= 0 {
		errs = append(errs, FieldError{"data.amountCents", "must be > 0"})
	}
	if len(errs) > 0 {
		return ev, errs
	}
	return ev, nil
}
