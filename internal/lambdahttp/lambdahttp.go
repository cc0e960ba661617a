// Package lambdahttp runs a plain net/http handler on AWS Lambda and
// locally with one code path. Function URLs (BUFFERED invoke mode) and API
// Gateway HTTP APIs (payload format 2.0) send the same event shape, so one
// buffered adapter serves both front doors.
//
// aws-lambda-go's lambdaurl.Wrap is not used: it only supports Function
// URLs in RESPONSE_STREAM mode, which an HTTP API cannot invoke, and it
// drops the event's cookies. This adapter decodes base64 bodies, joins
// cookies into the Cookie header, turns Set-Cookie into the response's
// cookies, base64-encodes bodies that are not UTF-8, and puts the front
// door's request id in the context (obs.RequestID) for httpapi.RequestID.
package lambdahttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/campaignkit/campaignkit/internal/obs"
)

// Request is the payload format 2.0 event both front doors send; the
// Function URL event (events.LambdaFunctionURLRequest) has the same JSON
// shape minus the API Gateway-only fields.
type Request = events.APIGatewayV2HTTPRequest

// Response is the payload format 2.0 response both front doors accept.
type Response = events.APIGatewayV2HTTPResponse

// MaxResponseBytes is Lambda's limit on a buffered response payload (6 MB);
// a larger body would make the invocation fail, so the adapter answers 500
// instead (a handler bug, not a client mistake).
const MaxResponseBytes = 6 << 20

// Start serves h on Lambda and never returns. Wrap h with httpapi.Wrap to
// get request ids, cold-start marking and panic recovery.
func Start(h http.Handler) {
	lambda.Start(Handler(h))
}

// Handler returns the Lambda handler function that serves h for payload
// format 2.0 events. Exported for tests and for callers that need
// lambda.StartWithOptions.
func Handler(h http.Handler) func(context.Context, Request) (Response, error) {
	return func(ctx context.Context, ev Request) (Response, error) {
		ctx = obs.StartInvocation(ctx)
		if id := ev.RequestContext.RequestID; id != "" {
			ctx = obs.WithRequestID(ctx, id)
		}
		rec := &recorder{header: http.Header{}}
		req, err := NewRequest(ctx, ev)
		if err != nil {
			// Only a malformed event gets here (e.g. bad base64 from a
			// test tool); it is the caller's mistake, answer 400.
			return problem(http.StatusBadRequest, "the request could not be read: "+err.Error()), nil
		}
		h.ServeHTTP(rec, req)
		return rec.response(), nil
	}
}

// NewRequest converts a payload format 2.0 event into an *http.Request as
// net/http's server would build it (path-only URL, RequestURI, Host,
// RemoteAddr, ContentLength). A named HTTP API stage's path prefix
// ("/prod/api/x") is removed, so handlers see "/api/x" behind any stage.
func NewRequest(ctx context.Context, ev Request) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, fmt.Errorf("decode base64 body: %w", err)
		}
		body = b
	}
	target := ev.RawPath
	if target == "" {
		target = ev.RequestContext.HTTP.Path
	}
	// An HTTP API stage other than $default prefixes the path with its
	// name; handlers route on the path the client meant.
	if st := ev.RequestContext.Stage; st != "" && st != "$default" {
		if rest, ok := strings.CutPrefix(target, "/"+st); ok && (rest == "" || rest[0] == '/') {
			target = rest
		}
	}
	if target == "" {
		target = "/"
	}
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", method, target, err)
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v) // 2.0 already joined repeated headers with commas
	}
	if len(ev.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	req.Host = ev.RequestContext.DomainName
	if h := req.Header.Get("Host"); h != "" {
		req.Host = h
	}
	req.Header.Del("Host")
	if ip := ev.RequestContext.HTTP.SourceIP; ip != "" {
		req.RemoteAddr = net.JoinHostPort(ip, "0")
	}
	if p := ev.RequestContext.HTTP.Protocol; strings.HasPrefix(p, "HTTP/") {
		if maj, min, ok := http.ParseHTTPVersion(p); ok {
			req.Proto, req.ProtoMajor, req.ProtoMinor = p, maj, min
		}
	}
	req.RequestURI = target
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	return req, nil
}

// recorder buffers a response: Lambda returns it whole.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 && status >= 200 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if r.body.Len()+len(b) > MaxResponseBytes {
		return 0, errors.New("lambdahttp: response exceeds Lambda's 6 MB payload limit")
	}
	return r.body.Write(b)
}

// Flush implements http.Flusher as a no-op: the response is buffered.
func (r *recorder) Flush() {}

func (r *recorder) response() Response {
	r.WriteHeader(http.StatusOK)
	if r.body.Len() > MaxResponseBytes {
		return problem(http.StatusInternalServerError, "the response exceeds Lambda's 6 MB payload limit")
	}
	out := Response{StatusCode: r.status, Headers: make(map[string]string, len(r.header))}
	for k, vs := range r.header {
		if k == "Set-Cookie" {
			out.Cookies = append(out.Cookies, vs...)
			continue
		}
		out.Headers[k] = strings.Join(vs, ",")
	}
	b := r.body.Bytes()
	if utf8.Valid(b) {
		out.Body = string(b)
	} else {
		out.Body = base64.StdEncoding.EncodeToString(b)
		out.IsBase64Encoded = true
	}
	return out
}

func problem(status int, detail string) Response {
	body, _ := json.Marshal(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail})
	return Response{StatusCode: status, Headers: map[string]string{"Content-Type": "application/problem+json"}, Body: string(body)}
}

// Serve serves h on addr over plain HTTP for local runs until SIGINT or
// SIGTERM, then shuts down gracefully (in-flight requests get 10 s). An
// address without a host (":8080") binds to 127.0.0.1, never to every
// interface.
func Serve(addr string, h http.Handler) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return ServeContext(ctx, addr, h)
}

// ServeContext is Serve that stops when ctx is done instead of on a signal.
func ServeContext(ctx context.Context, addr string, h http.Handler) error {
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := NewServer(h)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down %s: %w", addr, err)
	}
	return nil
}

// NewServer returns the *http.Server campaignkit uses locally, with the
// timeouts a front door would enforce (slowloris-safe header timeout;
// Lambda's own 15-minute cap is far above any campaign handler).
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
