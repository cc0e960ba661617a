package httpapi

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/campaignkit/campaignkit/internal/obs"
)

// RequestIDHeader is the header that carries request ids in and out.
const RequestIDHeader = "X-Request-Id"

// Wrap applies the standard middleware to h, outermost first: invocation
// marking (cold start), request ids, panic recovery. Every campaignkit web
// handler is served as httpapi.Wrap(h, log), on Lambda and locally.
func Wrap(h http.Handler, log *slog.Logger) http.Handler {
	return RequestID(Recover(h, log))
}

// RequestID gives each request an id and echoes it in the X-Request-Id
// response header. The id is, in order: a well-formed X-Request-Id sent by
// the client (at most 128 characters of [A-Za-z0-9._:-]), the id the Lambda
// adapter put in the context (the Function URL / API Gateway request id),
// the Lambda invocation id, or a random one. Handlers read it with
// obs.RequestID(r.Context()). It also marks the request as one invocation
// of this execution environment (obs.StartInvocation).
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := obs.StartInvocation(r.Context())
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = obs.RequestID(ctx)
		}
		if id == "" {
			if lc, ok := lambdacontext.FromContext(ctx); ok {
				id = lc.AwsRequestID
			}
		}
		if id == "" {
			id = NewRequestID()
		}
		if id != obs.RequestID(ctx) {
			ctx = obs.WithRequestID(ctx, id)
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// NewRequestID returns a random 128-bit id in hex.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// Recover turns a panic in next into a logged 500 problem (when nothing was
// written yet) instead of a dropped connection or a dead Lambda
// environment. http.ErrAbortHandler is re-panicked, as net/http expects.
func Recover(next http.Handler, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.ErrorContext(r.Context(), "handler panic", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !tw.wrote {
				WriteProblem(w, r, NewProblem(http.StatusInternalServerError, TypeInternal,
					"the server could not complete the request; retry later and quote the request id"))
			}
		}()
		next.ServeHTTP(tw, r)
	})
}

// trackingWriter remembers whether the response was started.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	if code >= 200 {
		t.wrote = true
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(p []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// Flush implements http.Flusher when the underlying writer does.
func (t *trackingWriter) Flush() {
	t.wrote = true
	_ = http.NewResponseController(t.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker when the underlying writer does.
func (t *trackingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	t.wrote = true
	return http.NewResponseController(t.ResponseWriter).Hijack()
}

// AllowMethods answers 405 with an Allow header and a problem body for any
// method not in methods (HEAD is allowed with GET), and calls next otherwise.
func AllowMethods(next http.Handler, methods ...string) http.Handler {
	allowed := slices.Clone(methods)
	if slices.Contains(allowed, http.MethodGet) && !slices.Contains(allowed, http.MethodHead) {
		allowed = append(allowed, http.MethodHead)
	}
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !slices.Contains(allowed, r.Method) {
			WriteProblem(w, r, methodNotAllowed(r.Method, allow))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func methodNotAllowed(method, allow string) *Problem {
	p := NewProblem(http.StatusMethodNotAllowed, TypeMethodNotAllowed,
		fmt.Sprintf("method %s is not allowed here; use %s", method, allow))
	p.Header = http.Header{"Allow": {allow}}
	return p
}

// Mux serves mux but answers its own 404 and 405 responses (plain text in
// net/http) with problem documents; a 405 keeps the Allow header the mux
// computed from its method patterns. Responses of matched handlers, even
// 404s, pass through untouched. The request is routed once: a response is
// the mux's own when mux.ServeHTTP left r.Pattern empty (no route matched).
func Mux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(&muxWriter{ResponseWriter: w, r: r}, r)
	})
}

// muxWriter replaces the mux's plain-text 404/405 with a problem.
type muxWriter struct {
	http.ResponseWriter
	r          *http.Request
	started    bool
	suppressed bool
}

func (m *muxWriter) WriteHeader(code int) {
	if m.started {
		m.ResponseWriter.WriteHeader(code)
		return
	}
	m.started = true
	if m.r.Pattern == "" && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) {
		m.suppressed = true
		h := m.ResponseWriter.Header()
		h.Del("Content-Type")
		if code == http.StatusNotFound {
			WriteProblem(m.ResponseWriter, m.r, NewProblem(http.StatusNotFound, TypeNotFound, fmt.Sprintf("no resource at %s", m.r.URL.Path)))
			return
		}
		allow := h.Get("Allow")
		WriteProblem(m.ResponseWriter, m.r, methodNotAllowed(m.r.Method, allow))
		return
	}
	m.ResponseWriter.WriteHeader(code)
}

func (m *muxWriter) Write(p []byte) (int, error) {
	if !m.started {
		m.WriteHeader(http.StatusOK)
	}
	if m.suppressed {
		return len(p), nil // the mux's plain-text body; the problem is written
	}
	return m.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (m *muxWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// Flush implements http.Flusher.
func (m *muxWriter) Flush() {
	if !m.started {
		m.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(m.ResponseWriter).Flush()
}
