// Package localapp registers the charity event with the local stack
// (`campaignkit local charityevent`): the same domain handler and writer the
// Lambdas run, wired to the local queue and store, plus a payment-provider
// simulator so the pledge → paid flow can be tried without a provider.
package localapp

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/campaignkit/campaignkit/apps/charityevent/config"
	"github.com/campaignkit/campaignkit/apps/charityevent/domain"
	"github.com/campaignkit/campaignkit/apps/charityevent/records"
	"github.com/campaignkit/campaignkit/apps/charityevent/site"
	"github.com/campaignkit/campaignkit/internal/httpapi"
	"github.com/campaignkit/campaignkit/internal/local"
	"github.com/campaignkit/campaignkit/internal/queue"
	"github.com/campaignkit/campaignkit/internal/writer"
)

// Names of the local resources (the CDK app names its own).
const (
	Name         = "charityevent"
	Table        = "charityevent"
	WritesQueue  = "charityevent-writes"
	DeadLetters  = "charityevent-writes-dlq"
	DefaultFile  = "campaigns/charity-week-test.yaml"
	localSecret  = "local-simulator-webhook-secret"
	simulatePath = "POST /api/payments/simulate"
)

func init() { local.Register(App()) }

// App describes the charity event for the local stack.
func App() local.App {
	return local.App{
		Name:    Name,
		Summary: "charity week: donations, live totals, song requests (campaign file: -campaign, default " + DefaultFile + ")",
		Site:    site.Public(),
		Tables:  []local.TableSpec{{Name: Table, PK: domain.PK, SK: domain.SK}},
		Queues: []queue.QueueConfig{
			{Name: WritesQueue, VisibilityTimeout: 30 * time.Second, MaxReceiveCount: 5, DeadLetterQueue: DeadLetters},
			{Name: DeadLetters},
		},
		API:                    api,
		APIReservedConcurrency: 200,
		Writers: []local.Writer{{
			Name: "writer", Queue: WritesQueue, Handler: writerHandler,
			BatchSize: 100, BatchWindow: 20 * time.Millisecond, MaxConcurrency: 4, VisibilityTimeout: 30 * time.Second,
		}},
	}
}

// Settings loads the campaign the local stack runs.
func Settings(deps local.Deps) (domain.Settings, error) {
	path := deps.Campaign
	if path == "" {
		path = DefaultFile
	}
	c, err := config.Load(path)
	if err != nil {
		return domain.Settings{}, fmt.Errorf("%w (run from the repository root or pass -campaign)", err)
	}
	return c.Settings(), nil
}

func api(deps local.Deps) (http.Handler, error) {
	settings, err := Settings(deps)
	if err != nil {
		return nil, err
	}
	verifier, err := domain.NewWebhookVerifier([]byte(localSecret), nil)
	if err != nil {
		return nil, err
	}
	producer := queue.NewProducer(deps.Sender, deps.QueueURL(WritesQueue))
	svc, err := domain.NewService(settings, deps.DB, producer, domain.Options{Table: Table, Payments: verifier, Logger: deps.Log, TotalsTTL: 250 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", svc.Handler())
	mux.Handle(simulatePath, simulator(svc.Handler(), verifier))
	return mux, nil
}

// simulator plays the payment provider: POST /api/payments/simulate with
// {"donationId","charityId","amountCents"} signs a payment.succeeded event
// and delivers it to the real webhook handler, signature check included.
func simulator(webhook http.Handler, v *domain.WebhookVerifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			DonationID  string `json:"donationId"`
			CharityID   string `json:"charityId"`
			AmountCents int64  `json:"amountCents"`
			Currency    string `json:"currency"`
		}
		if err := httpapi.DecodeJSON(w, r, &req, domain.MaxBodyBytes); err != nil {
			httpapi.Error(w, r, nil, err)
			return
		}
		var rnd [8]byte
		_, _ = rand.Read(rnd[:])
		ev := map[string]any{"id": "evt_sim_" + hex.EncodeToString(rnd[:]), "type": domain.EventPaymentSucceeded,
			"created": time.Now().Unix(), "data": map[string]any{"donationId": req.DonationID, "charityId": req.CharityID,
				"amountCents": req.AmountCents, "currency": req.Currency}}
		body, _ := json.Marshal(ev)
		fwd, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, "/api/payments/webhook", bytes.NewReader(body))
		fwd.Header.Set("Content-Type", "application/json")
		fwd.Header.Set(domain.SignatureHeader, v.Sign(body, time.Now()))
		webhook.ServeHTTP(w, fwd)
	})
}

func writerHandler(deps local.Deps) (queue.Handler, error) {
	sink := writer.NewDynamoSink(deps.DB, writer.DynamoConfig{Table: Table, PKName: domain.PK, SKName: domain.SK})
	w := writer.New(writer.Config{Decode: records.Decode, Sink: sink, Logger: deps.Log})
	return w.Handle, nil
}
