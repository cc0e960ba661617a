package local

import (
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/campaignkit/campaignkit/internal/httpapi"
)

// ThrottleErrorType is the x-amzn-ErrorType Lambda sends with a throttled
// invocation's 429.
const ThrottleErrorType = "TooManyRequestsException"

// Limiter admits at most a function's reserved concurrency of requests at
// once, as Lambda does: beyond it a request is not queued but answered 429
// with x-amzn-ErrorType: TooManyRequestsException and a problem body.
type Limiter struct {
	slots     chan struct{}
	throttled atomic.Int64
	served    atomic.Int64
}

// NewLimiter returns a limiter with n slots (n ≥ 1).
func NewLimiter(n int) *Limiter {
	return &Limiter{slots: make(chan struct{}, max(n, 1))}
}

// Limit wraps next.
func (l *Limiter) Limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case l.slots <- struct{}{}:
		default:
			l.throttled.Add(1)
			p := httpapi.NewProblem(http.StatusTooManyRequests, httpapi.TypeThrottled,
				fmt.Sprintf("rate exceeded: the function's reserved concurrency (%d) is in use; retry with backoff", cap(l.slots)))
			p.Header = http.Header{"X-Amzn-Errortype": {ThrottleErrorType}, "Retry-After": {"1"}}
			httpapi.WriteProblem(w, r, p)
			return
		}
		defer func() { <-l.slots }()
		l.served.Add(1)
		next.ServeHTTP(w, r)
	})
}

// Throttled counts requests answered 429.
func (l *Limiter) Throttled() int64 { return l.throttled.Load() }

// Served counts requests admitted.
func (l *Limiter) Served() int64 { return l.served.Load() }

// InFlight is the number of requests being served now.
func (l *Limiter) InFlight() int { return len(l.slots) }

// MaxRequestBytes is Lambda's limit on a synchronous invocation's payload
// (6 MB): a Function URL or HTTP API refuses larger requests with 413
// before the function runs.
const MaxRequestBytes = 6 << 20

// payloadLimit answers 413 for request bodies Lambda would refuse.
func payloadLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxRequestBytes {
			httpapi.WriteProblem(w, r, httpapi.NewProblem(http.StatusRequestEntityTooLarge, httpapi.TypeBodyTooLarge,
				fmt.Sprintf("the request exceeds Lambda's %d-byte invocation payload limit", MaxRequestBytes)))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBytes)
		next.ServeHTTP(w, r)
	})
}
