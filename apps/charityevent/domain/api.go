package domain

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/campaignkit/campaignkit/internal/httpapi"
)

// MaxBodyBytes bounds every request body (a donation with a song is < 1 KiB).
const MaxBodyBytes = 8 << 10

// HotPaths are the GET paths the edge micro-caches (see EdgeCachedSite).
var HotPaths = []string{"/api/totals", "/api/charities"}

// Handler returns the web tier's HTTP API:
//
//	GET  /api/health              liveness
//	GET  /api/charities           campaign settings and charities (micro-cached)
//	POST /api/donations           pledge → 202 {"id", "status": "pledged"}
//	GET  /api/totals              live counter + leaderboard (micro-cached)
//	GET  /api/songs?limit&cursor  song requests, newest first
//	POST /api/registrations       sign-up → 202 {"id"}
//	POST /api/payments/webhook    payment-provider webhook (signed)
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, r *http.Request) {
		_ = httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /api/charities", s.getCharities)
	mux.HandleFunc("POST /api/donations", s.postDonation)
	mux.HandleFunc("GET /api/totals", s.getTotals)
	mux.HandleFunc("GET /api/songs", s.getSongs)
	mux.HandleFunc("POST /api/registrations", s.postRegistration)
	mux.HandleFunc("POST /api/payments/webhook", s.postWebhook)
	return httpapi.Wrap(httpapi.Mux(mux), s.log)
}

// fail writes err: validation errors as 422 with every field, anything else
// through httpapi.Error (problems as they are, the rest as a logged 500).
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ve ValidationError
	if errors.As(err, &ve) {
		p := httpapi.NewProblem(http.StatusUnprocessableEntity, httpapi.TypeValidation, fmt.Sprintf("%d field(s) are invalid; see errors", len(ve)))
		for _, f := range ve {
			p.Errors = append(p.Errors, httpapi.FieldError{Field: f.Field, Detail: f.Detail})
		}
		httpapi.WriteProblem(w, r, p)
		return
	}
	httpapi.Error(w, r, s.log, err)
}

func cacheFor(w http.ResponseWriter, seconds int) {
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(seconds)+", stale-while-revalidate=5")
}

func (s *Service) getCharities(w http.ResponseWriter, r *http.Request) {
	cacheFor(w, 60)
	_ = httpapi.WriteJSON(w, http.StatusOK, map[string]any{
		"campaign": s.settings.Campaign, "title": "Charity Week", "currency": s.settings.Currency,
		"minCents": s.settings.MinCents, "maxCents": s.settings.MaxCents, "charities": s.settings.Charities,
	})
}

func (s *Service) postDonation(w http.ResponseWriter, r *http.Request) {
	var req DonationRequest
	if err := httpapi.DecodeJSON(w, r, &req, MaxBodyBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	if hk := r.Header.Get("Idempotency-Key"); hk != "" {
		if req.IdempotencyKey == "" {
			req.IdempotencyKey = hk
		} else if hk != req.IdempotencyKey {
			s.fail(w, r, ValidationError{{"idempotencyKey", "differs from the Idempotency-Key header; send one key"}})
			return
		}
	}
	d, err := s.Donate(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	_ = httpapi.WriteJSON(w, http.StatusAccepted, map[string]any{"id": d.ID, "status": "pledged", "amountCents": d.AmountCents, "charityId": d.CharityID})
}

func (s *Service) postRegistration(w http.ResponseWriter, r *http.Request) {
	var req RegistrationRequest
	if err := httpapi.DecodeJSON(w, r, &req, MaxBodyBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	reg, err := s.Register(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	_ = httpapi.WriteJSON(w, http.StatusAccepted, map[string]any{"id": reg.ID, "status": "registered"})
}

func (s *Service) getTotals(w http.ResponseWriter, r *http.Request) {
	t, err := s.Totals(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cacheFor(w, 2)
	_ = httpapi.WriteJSON(w, http.StatusOK, t)
}

func (s *Service) getSongs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			s.fail(w, r, ValidationError{{"limit", "must be a whole number from 1 to 100"}})
			return
		}
		limit = n
	}
	page, err := s.Songs(r.Context(), limit, q.Get("cursor"))
	if errors.Is(err, ErrBadCursor) {
		s.fail(w, r, ValidationError{{"cursor", err.Error()}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cacheFor(w, 5)
	_ = httpapi.WriteJSON(w, http.StatusOK, page)
}

func (s *Service) postWebhook(w http.ResponseWriter, r *http.Request) {
	if s.payments == nil {
		httpapi.WriteProblem(w, r, httpapi.NewProblem(http.StatusNotFound, httpapi.TypeNotFound, "payments are not configured for this campaign"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		httpapi.WriteProblem(w, r, httpapi.NewProblem(http.StatusRequestEntityTooLarge, httpapi.TypeBodyTooLarge, fmt.Sprintf("the body must be at most %d bytes", MaxBodyBytes)))
		return
	}
	if err := s.payments.Verify(r.Header.Get(SignatureHeader), body); err != nil {
		httpapi.WriteProblem(w, r, httpapi.NewProblem(http.StatusUnauthorized, httpapi.TypeBlank, err.Error()))
		return
	}
	ev, err := ParseEvent(body)
	if err != nil {
		var ve ValidationError
		if !errors.As(err, &ve) {
			httpapi.WriteProblem(w, r, httpapi.NewProblem(http.StatusBadRequest, httpapi.TypeMalformedJSON, err.Error()))
			return
		}
		s.fail(w, r, err)
		return
	}
	if ev.Type == EventPaymentSucceeded {
		p := Payment{EventID: ev.ID, DonationID: ev.Data.DonationID, CharityID: ev.Data.CharityID,
			AmountCents: ev.Data.AmountCents, Currency: ev.Data.Currency, PaidAt: time.Unix(ev.Created, 0).UTC()}
		if err := s.ConfirmPayment(r.Context(), p); err != nil {
			s.fail(w, r, err)
			return
		}
	} else {
		s.log.InfoContext(r.Context(), "payment failed", slog.String("event", ev.ID), slog.String("donation", ev.Data.DonationID))
	}
	_ = httpapi.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "accepted", "event": ev.ID})
}
