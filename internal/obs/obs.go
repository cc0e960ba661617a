// Package obs is the observability kit every campaignkit handler uses:
// structured JSON logs (log/slog) that carry the request id and a cold-start
// flag, and business metrics written as CloudWatch Embedded Metric Format
// (EMF) lines on stdout, which Lambda ships to CloudWatch Logs and CloudWatch
// turns into metrics without any API call on the hot path.
package obs

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
)

type ctxKey struct{}

// invocation is what obs keeps in a request's context.
type invocation struct {
	requestID string
	cold      bool
	started   bool // StartInvocation ran for this context
}

func fromContext(ctx context.Context) invocation {
	if ctx == nil {
		return invocation{}
	}
	inv, _ := ctx.Value(ctxKey{}).(invocation)
	return inv
}

// WithRequestID returns a context that carries the request id id; logs and
// metrics written with that context include it as "request_id".
func WithRequestID(ctx context.Context, id string) context.Context {
	inv := fromContext(ctx)
	inv.requestID = id
	return context.WithValue(ctx, ctxKey{}, inv)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string { return fromContext(ctx).requestID }

// environmentUsed turns true at the first invocation of this process, which
// on Lambda is one execution environment.
var environmentUsed atomic.Bool

// StartInvocation marks ctx as one invocation (one request) of this
// execution environment. The first invocation of the process is the cold
// start; every later one is warm. Calling it again on a context that is
// already marked changes nothing, so the Lambda adapter and the HTTP
// middleware may both call it.
func StartInvocation(ctx context.Context) context.Context {
	inv := fromContext(ctx)
	if inv.started {
		return ctx
	}
	inv.started = true
	inv.cold = environmentUsed.CompareAndSwap(false, true)
	return context.WithValue(ctx, ctxKey{}, inv)
}

// ColdStart reports whether ctx belongs to the first invocation of this
// execution environment (false for contexts StartInvocation never marked).
func ColdStart(ctx context.Context) bool { return fromContext(ctx).cold }

// NewLogger returns a JSON slog logger writing to w (os.Stdout on Lambda,
// where each line becomes one CloudWatch Logs event). Records logged with a
// context (InfoContext, ErrorContext...) carry "request_id" and
// "cold_start" taken from it. A nil level means slog.LevelInfo.
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	if level == nil {
		level = slog.LevelInfo
	}
	return slog.New(NewHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// NewHandler wraps any slog.Handler so that records carry the request id
// and cold-start flag of their context.
func NewHandler(h slog.Handler) slog.Handler { return contextHandler{h} }

type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if inv := fromContext(ctx); inv.started || inv.requestID != "" {
		if inv.requestID != "" {
			r.AddAttrs(slog.String("request_id", inv.requestID))
		}
		if inv.started {
			r.AddAttrs(slog.Bool("cold_start", inv.cold))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
