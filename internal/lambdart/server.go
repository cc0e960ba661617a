// Package lambdart is a Lambda Runtime API server for tests: it starts a
// real `bootstrap` binary the way Lambda does (AWS_LAMBDA_RUNTIME_API and the
// usual environment), hands it events through the real protocol
// (GET /2018-06-01/runtime/invocation/next, POST …/{id}/response,
// POST …/{id}/error, POST /2018-06-01/runtime/init/error), returns its
// responses and errors, and measures its init time (process start → first
// `next` call). Run and New build a Lambda main package for the host with
// golambda.Build and wire everything into a testing.TB.
package lambdart

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIVersion is the Runtime API version prefix Lambda serves.
const APIVersion = "2018-06-01"

// MaxResponseBytes is Lambda's limit on a buffered invocation response.
const MaxResponseBytes = 6 << 20

// Runtime API headers.
const (
	HeaderRequestID          = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMS         = "Lambda-Runtime-Deadline-Ms"
	HeaderInvokedFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID            = "Lambda-Runtime-Trace-Id"
	HeaderFunctionErrorType  = "Lambda-Runtime-Function-Error-Type"
	HeaderFunctionErrorBody  = "Lambda-Runtime-Function-Error-Body"
	HeaderResponseMode       = "Lambda-Runtime-Function-Response-Mode"
)

// FunctionError is an error as Lambda reports it to the invoker: the body
// the runtime posted to the error endpoint ({"errorType","errorMessage",
// "stackTrace"}), or one Lambda itself produces (Sandbox.Timedout,
// Runtime.ExitError, Function.ResponseSizeTooLarge).
type FunctionError struct {
	Type       string          `json:"errorType"`
	Message    string          `json:"errorMessage"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
	// HeaderType is the Lambda-Runtime-Function-Error-Type header the
	// runtime sent with the error, if any.
	HeaderType string `json:"-"`
}

// Error implements error.
func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Result is the outcome of one invocation.
type Result struct {
	RequestID string
	// Payload is the response body the function posted (nil on error).
	Payload []byte
	// ContentType is the Content-Type of the posted response.
	ContentType string
	// Streamed reports a response posted in streaming mode
	// (Lambda-Runtime-Function-Response-Mode: streaming, or the
	// http-integration-response content type lambdaurl.Wrap sends).
	Streamed bool
	// Error is set when the invocation failed the Lambda way.
	Error *FunctionError
	// Duration runs from handing out the event to receiving the outcome.
	Duration time.Duration
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	trace    string
	sent     time.Time
	done     chan *Result
	once     sync.Once
}

func (inv *invocation) finish(r *Result) bool {
	ok := false
	inv.once.Do(func() {
		r.RequestID = inv.id
		r.Duration = time.Since(inv.sent)
		inv.done <- r
		ok = true
	})
	return ok
}

// server implements the Runtime API for one execution environment.
type server struct {
	arn      string
	ln       net.Listener
	srv      *http.Server
	queue    chan *invocation
	closed   chan struct{}
	mu       sync.Mutex
	pending  map[string]*invocation
	firstOne sync.Once
	firstAt  time.Time
	ready    chan struct{} // closed at the first `next`
	initErr  chan *FunctionError
	nexts    int
}

func newServer(functionARN string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdart: listen: %w", err)
	}
	s := &server{
		arn:     functionARN,
		ln:      ln,
		queue:   make(chan *invocation),
		closed:  make(chan struct{}),
		pending: map[string]*invocation{},
		ready:   make(chan struct{}),
		initErr: make(chan *FunctionError, 1),
	}
	mux := http.NewServeMux()
	base := "/" + APIVersion + "/runtime"
	mux.HandleFunc("GET "+base+"/invocation/next", s.next)
	mux.HandleFunc("POST "+base+"/invocation/{id}/response", s.response)
	mux.HandleFunc("POST "+base+"/invocation/{id}/error", s.invocationError)
	mux.HandleFunc("POST "+base+"/init/error", s.initError)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *server) addr() string { return s.ln.Addr().String() }

func (s *server) close() {
	select {
	case <-s.closed:
		return
	default:
	}
	close(s.closed)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx) // a runtime blocked in `next` is cut off by Close below
	_ = s.srv.Close()
}

func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}

// next blocks until an invocation is queued, as the real endpoint does.
func (s *server) next(w http.ResponseWriter, r *http.Request) {
	s.firstOne.Do(func() {
		s.firstAt = time.Now()
		close(s.ready)
	})
	var inv *invocation
	select {
	case inv = <-s.queue:
	case <-r.Context().Done():
		return
	case <-s.closed:
		writeAPIError(w, http.StatusInternalServerError, "Runtime.Shutdown", "the execution environment is shutting down")
		return
	}
	s.mu.Lock()
	s.pending[inv.id] = inv
	s.nexts++
	s.mu.Unlock()
	h := w.Header()
	h.Set(HeaderRequestID, inv.id)
	h.Set(HeaderDeadlineMS, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(HeaderInvokedFunctionARN, s.arn)
	h.Set(HeaderTraceID, inv.trace)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

func (s *server) take(w http.ResponseWriter, r *http.Request) *invocation {
	id := r.PathValue("id")
	s.mu.Lock()
	inv := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no pending invocation "+id)
	}
	return inv
}

func (s *server) response(w http.ResponseWriter, r *http.Request) {
	inv := s.take(w, r)
	if inv == nil {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes+1))
	ct := r.Header.Get("Content-Type")
	res := &Result{ContentType: ct, Streamed: r.Header.Get(HeaderResponseMode) == "streaming" || ct == StreamingHTTPContentType}
	switch {
	case err != nil:
		res.Error = &FunctionError{Type: "Runtime.ReadError", Message: err.Error()}
	case len(body) > MaxResponseBytes && !res.Streamed:
		res.Error = &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: fmt.Sprintf("response payload size exceeded maximum allowed payload size (%d bytes)", MaxResponseBytes)}
		inv.finish(res)
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", res.Error.Message)
		return
	case r.Trailer.Get(HeaderFunctionErrorType) != "":
		// A streamed (or trailer-carrying) response that failed midway.
		res.Error = &FunctionError{Type: r.Trailer.Get(HeaderFunctionErrorType), HeaderType: r.Trailer.Get(HeaderFunctionErrorType)}
		if raw := r.Trailer.Get(HeaderFunctionErrorBody); raw != "" {
			if b, err := base64.StdEncoding.DecodeString(raw); err == nil {
				_ = json.Unmarshal(b, res.Error)
			}
		}
		res.Payload = body
	default:
		res.Payload = body
	}
	inv.finish(res)
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func (s *server) invocationError(w http.ResponseWriter, r *http.Request) {
	inv := s.take(w, r)
	if inv == nil {
		return
	}
	inv.finish(&Result{Error: readFunctionError(r)})
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func (s *server) initError(w http.ResponseWriter, r *http.Request) {
	select {
	case s.initErr <- readFunctionError(r):
	default:
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func readFunctionError(r *http.Request) *FunctionError {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	fe := &FunctionError{HeaderType: r.Header.Get(HeaderFunctionErrorType)}
	if err := json.Unmarshal(body, fe); err != nil || fe.Type == "" && fe.Message == "" {
		fe.Message = strings.TrimSpace(string(body))
	}
	if fe.Type == "" {
		fe.Type = fe.HeaderType
	}
	if fe.Type == "" {
		fe.Type = "Runtime.Unknown"
	}
	return fe
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func newTraceID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0;Lineage=1:%s:0", time.Now().Unix(), h[:24], h[24:40], h[:8])
}

var errClosed = errors.New("lambdart: execution environment is closed")
