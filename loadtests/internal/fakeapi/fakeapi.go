// Package fakeapi is a stand-in for the charity-event API in load-test
// tests: donations are accepted (202) and applied to the totals later by a
// background "writer", like the queued writer does, so reconciliation has
// something to drain. Faults (lost or doubled writes) are opt-in.
package fakeapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Options choose the fake's behaviour.
type Options struct {
	// WriteDelay is how long an accepted donation waits before it counts.
	WriteDelay time.Duration
	// LoseEvery drops every n-th accepted donation (0: none).
	LoseEvery int
	// DoubleEvery counts every n-th accepted donation twice (0: none).
	DoubleEvery int
	// Latency is added to every request.
	Latency time.Duration
}

// Server is a running fake on 127.0.0.1.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	count    int64
	sum      int64
	accepted int64
	keys     map[string]bool
	wg       sync.WaitGroup
}

// Start serves the fake on 127.0.0.1; Close it when done.
func Start(o Options) *Server {
	s := &Server{keys: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/totals", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(o.Latency)
		s.mu.Lock()
		c, t := s.count, s.sum
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"totalCents": t, "count": c, "charities": []any{}})
	})
	mux.HandleFunc("GET /api/songs", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(o.Latency)
		_, _ = w.Write([]byte(`[{"title":"Heroes","artist":"David Bowie"}]`))
	})
	mux.HandleFunc("GET /api/charities", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(o.Latency)
		_, _ = w.Write([]byte(`[{"id":"kinderkanker","name":"Children's Cancer Fund"}]`))
	})
	mux.HandleFunc("POST /api/registrations", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(o.Latency)
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /api/donations", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(o.Latency)
		var d struct {
			AmountCents    int64  `json:"amountCents"`
			IdempotencyKey string `json:"idempotencyKey"`
		}
		if err := json.NewDecoder(r.Body).Decode(&d); err != nil || d.AmountCents <= 0 || d.IdempotencyKey == "" {
			http.Error(w, `{"error":"bad donation"}`, http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		dup := s.keys[d.IdempotencyKey]
		s.keys[d.IdempotencyKey] = true
		s.accepted++
		n := s.accepted
		s.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"id":"` + d.IdempotencyKey + `"}`))
		if dup || (o.LoseEvery > 0 && n%int64(o.LoseEvery) == 0) {
			return
		}
		times := int64(1)
		if o.DoubleEvery > 0 && n%int64(o.DoubleEvery) == 0 {
			times = 2
		}
		s.wg.Add(1)
		time.AfterFunc(o.WriteDelay, func() {
			defer s.wg.Done()
			s.mu.Lock()
			s.count += times
			s.sum += times * d.AmountCents
			s.mu.Unlock()
		})
	})
	s.Server = httptest.NewServer(mux)
	return s
}

// Close waits for pending writes and stops the server.
func (s *Server) Close() {
	s.Server.Close()
	s.wg.Wait()
}
