package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// DefaultMaxBodyBytes is the body limit DecodeJSON applies when given 0.
const DefaultMaxBodyBytes = 64 << 10

// DecodeJSON decodes the JSON request body into dst. It answers every
// client mistake with a *Problem (write it with Error or WriteProblem):
//   - Content-Type not application/json (or +json): 415;
//   - body larger than maxBytes (0 means DefaultMaxBodyBytes): 413;
//   - empty body, malformed JSON, or data after the JSON value: 400;
//   - unknown fields or values of the wrong type: 422 with an errors array.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBodyBytes
	}
	if p := checkJSONContentType(r.Header.Get("Content-Type")); p != nil {
		return p
	}
	if r.ContentLength > maxBytes {
		return tooLarge(maxBytes)
	}
	body := http.MaxBytesReader(w, r.Body, maxBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeProblem(err, maxBytes)
	}
	// Exactly one value: anything but whitespace after it is an error.
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return NewProblem(http.StatusBadRequest, TypeMalformedJSON, "the body must hold exactly one JSON value; remove the data after it")
	default:
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(maxBytes)
		}
		return NewProblem(http.StatusBadRequest, TypeMalformedJSON, "the body must hold exactly one JSON value; remove the data after it")
	}
}

func checkJSONContentType(ct string) *Problem {
	if ct == "" {
		return NewProblem(http.StatusUnsupportedMediaType, TypeUnsupportedMediaType, "send the body as JSON with Content-Type: application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))) {
		return nil
	}
	p := NewProblem(http.StatusUnsupportedMediaType, TypeUnsupportedMediaType,
		fmt.Sprintf("Content-Type %q is not supported; send application/json", ct))
	p.Header = http.Header{"Accept-Post": {"application/json"}}
	return p
}

func tooLarge(maxBytes int64) *Problem {
	return NewProblem(http.StatusRequestEntityTooLarge, TypeBodyTooLarge,
		fmt.Sprintf("the body exceeds %d bytes; send a smaller request", maxBytes))
}

func decodeProblem(err error, maxBytes int64) *Problem {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return tooLarge(maxBytes)
	case errors.Is(err, io.EOF):
		return NewProblem(http.StatusBadRequest, TypeMalformedJSON, "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return NewProblem(http.StatusBadRequest, TypeMalformedJSON, "the body ends in the middle of a JSON value")
	case errors.As(err, &syn):
		return NewProblem(http.StatusBadRequest, TypeMalformedJSON, fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, syn.Error()))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return NewProblem(http.StatusBadRequest, TypeMalformedJSON, fmt.Sprintf("the body must be a JSON %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value))
		}
		p := NewProblem(http.StatusUnprocessableEntity, TypeValidation, "one or more fields are invalid")
		p.Errors = []FieldError{{Field: field, Detail: fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)}}
		return p
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		p := NewProblem(http.StatusUnprocessableEntity, TypeValidation, "one or more fields are invalid")
		p.Errors = []FieldError{{Field: field, Detail: "unknown field; remove it"}}
		return p
	}
	// Read errors (client went away, bad chunking) are still the client's.
	return NewProblem(http.StatusBadRequest, TypeMalformedJSON, "the body could not be read: "+err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	}
	return "a " + goKind
}
