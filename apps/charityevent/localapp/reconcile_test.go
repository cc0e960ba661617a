package localapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/campaignkit/campaignkit/apps/charityevent/domain"
	"github.com/campaignkit/campaignkit/apps/charityevent/localapp"
	"github.com/campaignkit/campaignkit/internal/local"
	"github.com/campaignkit/campaignkit/internal/queue"
	"github.com/campaignkit/campaignkit/internal/store"
)

// stack wires the charity event exactly as the local stack does, on the
// embedded queue and store in a temp dir, with the writer polling.
type stack struct {
	api  *httptest.Server
	q    *queue.Embedded
	stop func()
}

func newStack(t *testing.T) *stack {
	t.Helper()
	dir := t.TempDir()
	app := localapp.App()
	q, err := queue.OpenEmbedded(filepath.Join(dir, "queue.db"), queue.EmbeddedOptions{Queues: app.Queues, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenEmbedded(filepath.Join(dir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := store.EnsureTable(ctx, db, localapp.Table, domain.PK, domain.SK); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	deps := local.Deps{DB: db, Sender: q, QueueURL: func(n string) string { return queue.EmbeddedURL(n) }, Log: log,
		Mode: local.ModeEmbedded, Campaign: "../../../" + localapp.DefaultFile}
	h, err := app.API(deps)
	if err != nil {
		t.Fatal(err)
	}
	w := app.Writers[0]
	handler, err := w.Handler(deps)
	if err != nil {
		t.Fatal(err)
	}
	poller, err := queue.NewPoller(q, queue.EmbeddedURL(w.Queue), handler, queue.PollerOptions{
		BatchSize: w.BatchSize, BatchWindow: w.BatchWindow, MaxConcurrency: w.MaxConcurrency, WaitTime: time.Second, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = poller.Run(ctx); close(done) }()
	srv := httptest.NewServer(h)
	s := &stack{api: srv, q: q}
	s.stop = func() { srv.Close(); cancel(); <-done; q.Close(); db.Close() }
	t.Cleanup(s.stop)
	return s
}

// drain waits until the writer has consumed the queue.
func (s *stack) drain(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.q.Depth(localapp.WritesQueue)+s.q.InFlight(localapp.WritesQueue) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("writer did not drain: depth %d in flight %d", s.q.Depth(localapp.WritesQueue), s.q.InFlight(localapp.WritesQueue))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // totals cache TTL of the local API
}

func (s *stack) totals(t *testing.T) domain.Totals {
	t.Helper()
	resp, err := http.Get(s.api.URL + "/api/totals")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tot domain.Totals
	if err := json.NewDecoder(resp.Body).Decode(&tot); err != nil {
		t.Fatal(err)
	}
	return tot
}

type sent struct {
	body    string
	charity string
	amount  int64
}

func post(url, body string) (int, string, error) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// N concurrent donations accepted → N stored, totals == sum of amounts,
// replays (same idempotency keys, concurrently and after the drain) ignored.
func TestReconciliation(t *testing.T) {
	s := newStack(t)
	charities := []string{"kinderkanker", "foodbanks", "homeless-shelters", "mental-health"}
	const n = 400
	rng := rand.New(rand.NewPCG(7, 11))
	donations := make([]sent, n)
	for i := range donations {
		ch := charities[rng.IntN(len(charities))]
		amt := int64(100 + rng.IntN(99_900))
		song := ""
		if i%5 == 0 {
			song = fmt.Sprintf(`,"song":{"title":"Song %d","artist":"Band","dedication":"Mum"}`, i)
		}
		donations[i] = sent{charity: ch, amount: amt,
			body: fmt.Sprintf(`{"charityId":%q,"amountCents":%d,"currency":"EUR","idempotencyKey":"recon-%06d-key"%s}`, ch, amt, i, song)}
	}
	send := func(list []sent) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 32)
		for _, d := range list {
			wg.Add(1)
			sem <- struct{}{}
			go func(d sent) {
				defer wg.Done()
				defer func() { <-sem }()
				code, body, err := post(s.api.URL+"/api/donations", d.body)
				if err != nil || code != http.StatusAccepted {
					t.Errorf("donation: %d %s %v", code, body, err)
				}
			}(d)
		}
		wg.Wait()
	}
	// Every donation, plus a concurrent replay of the first quarter.
	send(append(append([]sent{}, donations...), donations[:n/4]...))
	s.drain(t)
	var want int64
	perCharity := map[string]int64{}
	for _, d := range donations {
		want += d.amount
		perCharity[d.charity] += d.amount
	}
	check := func(when string) {
		tot := s.totals(t)
		if tot.Count != n || tot.TotalCents != want {
			t.Fatalf("%s: totals count %d sum %d, want %d and %d", when, tot.Count, tot.TotalCents, n, want)
		}
		for _, c := range tot.Charities {
			if c.TotalCents != perCharity[c.ID] {
				t.Errorf("%s: charity %s %d, want %d", when, c.ID, c.TotalCents, perCharity[c.ID])
			}
		}
	}
	check("after first delivery")
	// A late replay of everything (a client retrying after a lost response).
	send(donations)
	s.drain(t)
	check("after replaying all")

	// The presenters' list holds each song request once, newest first.
	var page domain.SongPage
	seen := map[string]bool{}
	cursor := ""
	for {
		resp, err := http.Get(s.api.URL + "/api/songs?limit=25&cursor=" + cursor)
		if err != nil {
			t.Fatal(err)
		}
		page = domain.SongPage{}
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for i, sg := range page.Songs {
			if seen[sg.DonationID] {
				t.Fatalf("song of %s listed twice", sg.DonationID)
			}
			seen[sg.DonationID] = true
			if i > 0 && sg.RequestedAt.After(page.Songs[i-1].RequestedAt) {
				t.Fatal("songs not newest first")
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != n/5 {
		t.Fatalf("listed %d song requests, want %d", len(seen), n/5)
	}
}

// The simulator's signed webhook moves a pledge into paidCents once.
func TestPaymentSimulator(t *testing.T) {
	s := newStack(t)
	code, body, err := post(s.api.URL+"/api/donations", `{"charityId":"foodbanks","amountCents":2500,"currency":"EUR","idempotencyKey":"pay-test-0001"}`)
	if err != nil || code != 202 {
		t.Fatalf("donate: %d %s %v", code, body, err)
	}
	var d struct{ ID string }
	_ = json.Unmarshal([]byte(body), &d)
	sim := fmt.Sprintf(`{"donationId":%q,"charityId":"foodbanks","amountCents":2500,"currency":"EUR"}`, d.ID)
	if code, body, _ := post(s.api.URL+"/api/payments/simulate", sim); code != 202 {
		t.Fatalf("simulate: %d %s", code, body)
	}
	s.drain(t)
	tot := s.totals(t)
	if tot.PaidCents != 2500 || tot.TotalCents != 2500 {
		t.Fatalf("paid %d pledged %d, want 2500/2500", tot.PaidCents, tot.TotalCents)
	}
	// An unsigned webhook is refused and changes nothing.
	if code, _, _ := post(s.api.URL+"/api/payments/webhook", `{"id":"evt_forged_0001","type":"payment.succeeded","created":1,"data":{"donationId":"x","amountCents":100000}}`); code != 401 {
		t.Fatalf("forged webhook: %d", code)
	}
	s.drain(t)
	if tot := s.totals(t); tot.PaidCents != 2500 {
		t.Fatalf("forged webhook counted: %d", tot.PaidCents)
	}
}
