// Package httpapi holds the request helpers every campaignkit HTTP handler
// uses, on Lambda and locally alike: RFC 9457 problem responses, JSON
// decoding with a size limit that rejects unknown fields and trailing data,
// validation that collects field errors into one problem, request ids and
// panic recovery. Anything the client sent wrong is a 4xx problem, never a 5xx.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/campaignkit/campaignkit/internal/obs"
)

// ProblemContentType is the media type of RFC 9457 problem documents.
const ProblemContentType = "application/problem+json"

// Problem types campaignkit handlers return. "about:blank" means the HTTP
// status says it all (RFC 9457 §4.2.1); the URNs name specific problems.
const (
	TypeBlank                = "about:blank"
	TypeMalformedJSON        = "urn:campaignkit:problem:malformed-json"
	TypeValidation           = "urn:campaignkit:problem:validation"
	TypeBodyTooLarge         = "urn:campaignkit:problem:body-too-large"
	TypeUnsupportedMediaType = "urn:campaignkit:problem:unsupported-media-type"
	TypeMethodNotAllowed     = "urn:campaignkit:problem:method-not-allowed"
	TypeNotFound             = "urn:campaignkit:problem:not-found"
	TypeThrottled            = "urn:campaignkit:problem:throttled"
	TypeInternal             = "urn:campaignkit:problem:internal"
)

// FieldError is one invalid field of a request: Field is a JSON-pointer-like
// dotted path ("donor.email"), Detail says what is wrong and how to fix it.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Problem is an RFC 9457 problem document. It is also an error, so helpers
// such as DecodeJSON return one and Error writes it.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
	// RequestID is an extension member: the id echoed in X-Request-Id.
	RequestID string `json:"request_id,omitempty"`
	// Header holds response headers that belong to the problem (Allow for
	// 405, Retry-After for 429...). Not serialised.
	Header http.Header `json:"-"`
}

// NewProblem returns a problem of the given status, type and detail; the
// title is the type's title (or the status text for about:blank).
func NewProblem(status int, typ, detail string) *Problem {
	if typ == "" {
		typ = TypeBlank
	}
	return &Problem{Type: typ, Title: title(typ, status), Status: status, Detail: detail}
}

func title(typ string, status int) string {
	switch typ {
	case TypeMalformedJSON:
		return "Malformed JSON body"
	case TypeValidation:
		return "Invalid request"
	case TypeBodyTooLarge:
		return "Request body too large"
	case TypeUnsupportedMediaType:
		return "Unsupported media type"
	case TypeMethodNotAllowed:
		return "Method not allowed"
	case TypeNotFound:
		return "Not found"
	case TypeThrottled:
		return "Too many requests"
	case TypeInternal:
		return "Internal error"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error " + strconv.Itoa(status)
}

// Error implements error.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail)
	}
	return fmt.Sprintf("%d %s", p.Status, p.Title)
}

// WriteProblem writes p as application/problem+json. Instance defaults to
// the request path and RequestID to the request's id.
func WriteProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	out := *p
	if out.Status == 0 {
		out.Status = http.StatusInternalServerError
	}
	if out.Type == "" {
		out.Type = TypeBlank
	}
	if out.Title == "" {
		out.Title = title(out.Type, out.Status)
	}
	if r != nil {
		if out.Instance == "" && r.URL != nil {
			out.Instance = r.URL.Path
		}
		if out.RequestID == "" {
			out.RequestID = obs.RequestID(r.Context())
		}
	}
	body, err := json.Marshal(&out)
	if err != nil { // only strings and ints: cannot happen
		body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
		out.Status = http.StatusInternalServerError
	}
	h := w.Header()
	for k, vs := range out.Header {
		h[k] = vs
	}
	h.Set("Content-Type", ProblemContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(out.Status)
	_, _ = w.Write(append(body, '\n'))
}

// Error writes err as a problem: a *Problem (anywhere in the chain) as it
// is, anything else as a 500 whose detail hides the cause, which is logged
// with log (slog.Default when nil).
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var p *Problem
	if errors.As(err, &p) {
		WriteProblem(w, r, p)
		return
	}
	if log == nil {
		log = slog.Default()
	}
	log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	WriteProblem(w, r, NewProblem(http.StatusInternalServerError, TypeInternal,
		"the server could not complete the request; retry later and quote the request id"))
}

// WriteJSON writes v as application/json with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, err = w.Write(append(body, '\n'))
	return err
}
