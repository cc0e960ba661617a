package runner

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/campaignkit/campaignkit/loadtests/report"
	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

type totalsValue struct{ count, sum int64 }

type totalsReader struct {
	client *http.Client
	url    string
	rc     *scenario.Reconcile
}

func (t *totalsReader) read(ctx context.Context) (totalsValue, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
	if err != nil {
		return totalsValue{}, err
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return totalsValue{}, fmt.Errorf("GET %s: %w", t.url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return totalsValue{}, fmt.Errorf("GET %s: %w", t.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return totalsValue{}, fmt.Errorf("GET %s: %s", t.url, resp.Status)
	}
	var v totalsValue
	if v.count, err = scenario.Field(b, strings.Split(t.rc.CountField, ".")); err != nil {
		return v, fmt.Errorf("totals countField: %w", err)
	}
	if v.sum, err = scenario.Field(b, strings.Split(t.rc.SumField, ".")); err != nil {
		return v, fmt.Errorf("totals sumField: %w", err)
	}
	return v, nil
}

// drain polls the totals until every accepted write shows up (and one more
// poll confirms nothing beyond what was sent arrives), or the timeout
// passes, then fills in the verdict.
func (t *totalsReader) drain(ctx context.Context, r *report.Reconciliation, rc *scenario.Reconcile, log io.Writer) {
	start := time.Now()
	deadline := start.Add(rc.Timeout)
	settled := false
	var last totalsValue
	var lastErr error
	for {
		v, err := t.read(ctx)
		if err == nil {
			dc, ds := v.count-r.BeforeCount, v.sum-r.BeforeSum
			if settled && v == last {
				break
			}
			last, lastErr = v, nil
			settled = dc >= r.AcceptedCount && ds >= r.AcceptedSum
			if log != nil {
				fmt.Fprintf(log, "[drain %5s] totals +%d (sum +%d), accepted %d (sum %d)\n", time.Since(start).Round(time.Second), dc, ds, r.AcceptedCount, r.AcceptedSum)
			}
		} else {
			lastErr = err
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(rc.PollInterval)
	}
	r.Drain = time.Since(start)
	r.AfterCount, r.AfterSum = last.count, last.sum
	dc, ds := last.count-r.BeforeCount, last.sum-r.BeforeSum
	r.Lost = max(0, r.AcceptedCount-dc)
	switch {
	case lastErr != nil && last == (totalsValue{}):
		r.Detail = fmt.Sprintf("could not read the totals after the attack: %v", lastErr)
	case dc == r.AcceptedCount && ds == r.AcceptedSum:
		r.Pass = true
		r.Detail = fmt.Sprintf("all %d accepted writes (sum %d) are in the totals after %s", dc, ds, r.Drain.Round(time.Millisecond))
	case dc < r.AcceptedCount || ds < r.AcceptedSum:
		r.Detail = fmt.Sprintf("totals grew by %d (sum %d) but %d writes (sum %d) were accepted: %d lost or not drained within %s",
			dc, ds, r.AcceptedCount, r.AcceptedSum, r.AcceptedCount-dc, rc.Timeout)
	case dc-r.AcceptedCount <= r.Unanswered:
		r.Pass = true
		r.Detail = fmt.Sprintf("all %d accepted writes are in the totals; %d more came from the %d writes that got no response (accepted after the client gave up)",
			r.AcceptedCount, dc-r.AcceptedCount, r.Unanswered)
	default:
		r.Detail = fmt.Sprintf("totals grew by %d (sum %d) for %d accepted and %d unanswered writes: counted twice (idempotency) or another writer is active",
			dc, ds, r.AcceptedCount, r.Unanswered)
	}
}

// ReadTotals reads the count and sum from the scenario's totals endpoint at
// base (the distributed coordinator's baseline).
func ReadTotals(ctx context.Context, base string, rc *scenario.Reconcile) (count, sum int64, err error) {
	t := &totalsReader{client: &http.Client{Timeout: 10 * time.Second}, url: base + rc.TotalsPath, rc: rc}
	v, err := t.read(ctx)
	return v.count, v.sum, err
}

// Drain polls the totals at base until the accepted writes in r (and its
// Before* baseline) show up or rc.Timeout passes, and fills in the verdict.
func Drain(ctx context.Context, base string, rc *scenario.Reconcile, r *report.Reconciliation, log io.Writer) {
	t := &totalsReader{client: &http.Client{Timeout: 10 * time.Second}, url: base + rc.TotalsPath, rc: rc}
	t.drain(ctx, r, rc, log)
}
