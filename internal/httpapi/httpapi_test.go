package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/campaignkit/campaignkit/internal/httpapi"
	"github.com/campaignkit/campaignkit/internal/obs"
)

type donation struct {
	Name   string `json:"name"`
	Email  string `json:"email"`
	Amount int    `json:"amount"`
}

// donate is a handler the way apps write them.
func donate(log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in donation
		if err := httpapi.DecodeJSON(w, r, &in, 256); err != nil {
			httpapi.Error(w, r, log, err)
			return
		}
		var v httpapi.Validator
		v.Required("name", in.Name)
		v.Email("email", in.Email)
		httpapi.Between(&v, "amount", in.Amount, 1, 10_000)
		if err := v.Err(); err != nil {
			httpapi.Error(w, r, log, err)
			return
		}
		_ = httpapi.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "queued"})
	})
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) httpapi.Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != httpapi.ProblemContentType {
		t.Fatalf("Content-Type = %q, want %q (body %s)", ct, httpapi.ProblemContentType, rec.Body)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, rec.Body)
	}
	return p
}

func TestDecodeAndValidate(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantStatus  int
		wantType    string
		wantErrors  []httpapi.FieldError
		wantHeader  map[string]string
	}{
		{name: "valid", contentType: "application/json", body: `{"name":"Ada","email":"ada@example.org","amount":25}`, wantStatus: 202},
		{name: "valid with charset and trailing whitespace", contentType: "application/json; charset=utf-8", body: "{\"name\":\"Ada\",\"email\":\"ada@example.org\",\"amount\":25}\n\n", wantStatus: 202},
		{name: "+json media type", contentType: "application/merge-patch+json", body: `{"name":"Ada","email":"ada@example.org","amount":2}`, wantStatus: 202},
		{name: "no content type", body: `{}`, wantStatus: 415, wantType: httpapi.TypeUnsupportedMediaType},
		{name: "form content type", contentType: "application/x-www-form-urlencoded", body: `a=b`, wantStatus: 415, wantType: httpapi.TypeUnsupportedMediaType, wantHeader: map[string]string{"Accept-Post": "application/json"}},
		{name: "empty body", contentType: "application/json", wantStatus: 400, wantType: httpapi.TypeMalformedJSON},
		{name: "syntax error", contentType: "application/json", body: `{"name":`, wantStatus: 400, wantType: httpapi.TypeMalformedJSON},
		{name: "garbage", contentType: "application/json", body: `}{`, wantStatus: 400, wantType: httpapi.TypeMalformedJSON},
		{name: "trailing data", contentType: "application/json", body: `{"name":"Ada","email":"ada@example.org","amount":1}{"x":1}`, wantStatus: 400, wantType: httpapi.TypeMalformedJSON},
		{name: "trailing garbage", contentType: "application/json", body: `{"name":"Ada","email":"ada@example.org","amount":1} x`, wantStatus: 400, wantType: httpapi.TypeMalformedJSON},
		{name: "not an object", contentType: "application/json", body: `[1,2]`, wantStatus: 400, wantType: httpapi.TypeMalformedJSON},
		{name: "too large", contentType: "application/json", body: `{"name":"` + strings.Repeat("a", 300) + `"}`, wantStatus: 413, wantType: httpapi.TypeBodyTooLarge},
		{name: "unknown field", contentType: "application/json", body: `{"name":"Ada","admin":true}`, wantStatus: 422, wantType: httpapi.TypeValidation,
			wantErrors: []httpapi.FieldError{{Field: "admin", Detail: "unknown field; remove it"}}},
		{name: "wrong type", contentType: "application/json", body: `{"amount":"ten"}`, wantStatus: 422, wantType: httpapi.TypeValidation,
			wantErrors: []httpapi.FieldError{{Field: "amount", Detail: "must be an integer, not string"}}},
		{name: "every invalid field at once", contentType: "application/json", body: `{"name":" ","email":"nope","amount":0}`, wantStatus: 422, wantType: httpapi.TypeValidation,
			wantErrors: []httpapi.FieldError{
				{Field: "name", Detail: "is required"},
				{Field: "email", Detail: "must be an e-mail address like name@example.org"},
				{Field: "amount", Detail: "must be between 1 and 10000"},
			}},
	}
	h := httpapi.Wrap(donate(slog.New(slog.DiscardHandler)), slog.New(slog.DiscardHandler))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/donations", strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			id := rec.Header().Get(httpapi.RequestIDHeader)
			if len(id) != 32 {
				t.Errorf("X-Request-Id = %q, want a generated 32-hex id", id)
			}
			if tc.wantType == "" {
				return
			}
			p := decodeProblem(t, rec)
			if p.Type != tc.wantType || p.Status != tc.wantStatus || p.Title == "" || p.Detail == "" {
				t.Errorf("problem = %+v, want type %s status %d with title and detail", p, tc.wantType, tc.wantStatus)
			}
			if p.Instance != "/api/donations" || p.RequestID != id {
				t.Errorf("instance/request_id = %q/%q, want /api/donations/%q", p.Instance, p.RequestID, id)
			}
			if !reflect.DeepEqual(p.Errors, tc.wantErrors) {
				t.Errorf("errors = %+v, want %+v", p.Errors, tc.wantErrors)
			}
			for k, v := range tc.wantHeader {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestRequestIDSources(t *testing.T) {
	lambdaCtx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-invocation-id"})
	tests := []struct {
		name   string
		header string
		ctx    context.Context
		want   string // "" means generated
	}{
		{name: "client header wins", header: "abc-123", ctx: obs.WithRequestID(lambdaCtx, "apigw-id"), want: "abc-123"},
		{name: "malformed header ignored", header: "bad id\n<script>", ctx: obs.WithRequestID(context.Background(), "apigw-id"), want: "apigw-id"},
		{name: "event request id", ctx: obs.WithRequestID(lambdaCtx, "apigw-id"), want: "apigw-id"},
		{name: "lambda invocation id", ctx: lambdaCtx, want: "lambda-invocation-id"},
		{name: "too long header generates", header: strings.Repeat("a", 129), ctx: context.Background()},
		{name: "generated", ctx: context.Background()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seen string
			h := httpapi.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = obs.RequestID(r.Context())
			}))
			req := httptest.NewRequestWithContext(tc.ctx, http.MethodGet, "/", nil)
			if tc.header != "" {
				req.Header.Set(httpapi.RequestIDHeader, tc.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get(httpapi.RequestIDHeader)
			if got != seen {
				t.Errorf("echoed %q but handler saw %q", got, seen)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("request id = %q, want %q", got, tc.want)
			}
			if tc.want == "" && len(got) != 32 {
				t.Errorf("request id = %q, want a generated one", got)
			}
		})
	}
}

func TestRecover(t *testing.T) {
	var logs bytes.Buffer
	log := obs.NewLogger(&logs, nil)
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		wantBody   string
	}{
		{name: "panic before writing", handler: func(w http.ResponseWriter, r *http.Request) { panic("boom") }, wantStatus: 500},
		{name: "panic after writing keeps the response", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, "partial")
			panic("late boom")
		}, wantStatus: 202, wantBody: "partial"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			rec := httptest.NewRecorder()
			httpapi.Wrap(tc.handler, log).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/x", nil))
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			if tc.wantStatus == 500 {
				p := decodeProblem(t, rec)
				if p.Type != httpapi.TypeInternal || strings.Contains(p.Detail, "boom") {
					t.Errorf("problem %+v must be internal and hide the panic value", p)
				}
			} else if rec.Body.String() != tc.wantBody {
				t.Errorf("body = %q, want %q", rec.Body, tc.wantBody)
			}
			if !strings.Contains(logs.String(), `"msg":"handler panic"`) || !strings.Contains(logs.String(), `"request_id":"`) {
				t.Errorf("panic not logged with request id: %s", logs.String())
			}
		})
	}
}

func TestRecoverRepanicsAbort(t *testing.T) {
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	h := httpapi.Recover(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }), nil)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}

func TestMethodsAndRoutes(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		_ = httpapi.WriteJSON(w, 200, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("POST /api/items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.Handle("/api/only-put", httpapi.AllowMethods(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), http.MethodPut))
	mux.Handle("/dir/", http.NotFoundHandler())
	h := httpapi.Wrap(httpapi.Mux(mux), nil)
	tests := []struct {
		method, path string
		wantStatus   int
		wantType     string
		wantAllow    string
		wantBody     string
	}{
		{method: "GET", path: "/api/items/7", wantStatus: 200, wantBody: `{"id":"7"}` + "\n"},
		{method: "DELETE", path: "/api/items/7", wantStatus: 405, wantType: httpapi.TypeMethodNotAllowed, wantAllow: "GET, HEAD, POST"},
		{method: "GET", path: "/api/nothing", wantStatus: 404, wantType: httpapi.TypeNotFound},
		{method: "POST", path: "/api/only-put", wantStatus: 405, wantType: httpapi.TypeMethodNotAllowed, wantAllow: "PUT"},
		{method: "GET", path: "/dir", wantStatus: -1}, // the mux's own redirect, replayed
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			if tc.wantStatus == -1 {
				raw := httptest.NewRecorder()
				mux.ServeHTTP(raw, httptest.NewRequest(tc.method, tc.path, nil))
				tc.wantStatus = raw.Code
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantType != "" {
				if p := decodeProblem(t, rec); p.Type != tc.wantType {
					t.Errorf("type = %q, want %q", p.Type, tc.wantType)
				}
			}
			if got := rec.Header().Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tc.wantAllow)
			}
			if tc.wantBody != "" && rec.Body.String() != tc.wantBody {
				t.Errorf("body = %q, want %q", rec.Body, tc.wantBody)
			}
		})
	}
}

func TestErrorHidesInternalErrors(t *testing.T) {
	var logs bytes.Buffer
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/x", nil)
	httpapi.Error(rec, req, obs.NewLogger(&logs, nil), io.ErrClosedPipe)
	p := decodeProblem(t, rec)
	if rec.Code != 500 || p.Status != 500 || strings.Contains(p.Detail, "closed pipe") {
		t.Errorf("got %d %+v, want a 500 that hides the cause", rec.Code, p)
	}
	if !strings.Contains(logs.String(), "closed pipe") {
		t.Errorf("cause not logged: %s", logs.String())
	}
}

func BenchmarkWrapDecode(b *testing.B) {
	h := httpapi.Wrap(donate(slog.New(slog.DiscardHandler)), nil)
	body := []byte(`{"name":"Ada","email":"ada@example.org","amount":25}`)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/donations", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
