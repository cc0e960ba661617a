package domain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/campaignkit/campaignkit/internal/queue"
)

// Enqueuer is the write side this package needs: *queue.Producer satisfies it.
type Enqueuer interface {
	Enqueue(ctx context.Context, env queue.Envelope) (string, error)
}

// Options configure a Service.
type Options struct {
	// Table is the DynamoDB table name read for totals and songs. Required.
	Table string
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// TotalsTTL is how long a warm environment reuses the last totals.
	// Default 1 s (the edge micro-caches /api/totals for 2 s on top).
	TotalsTTL time.Duration
	// Payments verifies payment-provider webhooks. Nil disables the webhook.
	Payments *WebhookVerifier
	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger
}

// Service is the charity event's application service.
type Service struct {
	settings Settings
	db       Reader
	q        Enqueuer
	table    string
	now      func() time.Time
	cache    totalsCache
	payments *WebhookVerifier
	log      *slog.Logger
}

// NewService wires a Service. It never performs I/O.
func NewService(settings Settings, db Reader, q Enqueuer, opts Options) (*Service, error) {
	if db == nil || q == nil {
		return nil, errors.New("charityevent: NewService needs a Reader and an Enqueuer")
	}
	if opts.Table == "" {
		return nil, errors.New("charityevent: Options.Table is required")
	}
	if len(settings.Charities) == 0 {
		return nil, errors.New("charityevent: settings list no charities")
	}
	s := &Service{settings: settings, db: db, q: q, table: opts.Table, now: opts.Now, payments: opts.Payments, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	s.cache.ttl = opts.TotalsTTL
	if s.cache.ttl == 0 {
		s.cache.ttl = time.Second
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// Settings returns the campaign settings the service runs with.
func (s *Service) Settings() Settings { return s.settings }

func (s *Service) enqueue(ctx context.Context, kind, key string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s: %w", kind, err)
	}
	if _, err := s.q.Enqueue(ctx, queue.Envelope{Kind: kind, IdempotencyKey: key, Data: raw, EnqueuedAt: s.now().UTC()}); err != nil {
		return fmt.Errorf("enqueue %s %s: %w", kind, key, err)
	}
	return nil
}

// Donate validates a pledge and queues it. The returned id is stable for the
// idempotency key, so a client retry gets the same id and no second pledge.
func (s *Service) Donate(ctx context.Context, req DonationRequest) (Donation, error) {
	req.DonorName = strings.TrimSpace(req.DonorName)
	if err := s.settings.ValidateDonation(&req); err != nil {
		return Donation{}, err
	}
	d := Donation{ID: DonationID(s.settings.Campaign, req.IdempotencyKey), CharityID: req.CharityID,
		AmountCents: req.AmountCents, Currency: req.Currency, DonorName: req.DonorName, Song: req.Song,
		AcceptedAt: s.now().UTC()}
	if err := s.enqueue(ctx, KindDonation, d.ID, d); err != nil {
		return Donation{}, err
	}
	return d, nil
}

// Register validates a sign-up and queues it; one registration per e-mail.
func (s *Service) Register(ctx context.Context, req RegistrationRequest) (Registration, error) {
	req.Name, req.Email = strings.TrimSpace(req.Name), strings.TrimSpace(req.Email)
	if err := ValidateRegistration(&req); err != nil {
		return Registration{}, err
	}
	r := Registration{ID: RegistrationID(s.settings.Campaign, req.Email), Name: req.Name, Email: req.Email,
		FundraiserURL: req.FundraiserURL, AcceptedAt: s.now().UTC()}
	if err := s.enqueue(ctx, KindRegistration, r.ID, r); err != nil {
		return Registration{}, err
	}
	return r, nil
}

// Totals returns the live counter and leaderboard.
func (s *Service) Totals(ctx context.Context) (*Totals, error) { return s.readTotals(ctx) }

// Songs returns a page of song requests, newest first.
func (s *Service) Songs(ctx context.Context, limit int, cursor string) (*SongPage, error) {
	return s.listSongs(ctx, limit, cursor)
}

// ConfirmPayment queues a payment the provider confirmed (already verified).
func (s *Service) ConfirmPayment(ctx context.Context, p Payment) error {
	return s.enqueue(ctx, KindPayment, "payment-"+p.EventID, p)
}
