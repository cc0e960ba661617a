package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/campaignkit/campaignkit/internal/httpapi"
)

// A handler decodes, validates, and answers every client mistake with one
// problem document.
func ExampleValidator() {
	h := httpapi.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Name   string `json:"name"`
			Amount int    `json:"amount"`
		}
		if err := httpapi.DecodeJSON(w, r, &in, 1024); err != nil {
			httpapi.Error(w, r, nil, err)
			return
		}
		var v httpapi.Validator
		v.Required("name", in.Name)
		httpapi.Between(&v, "amount", in.Amount, 1, 100)
		if err := v.Err(); err != nil {
			httpapi.Error(w, r, nil, err)
			return
		}
		_ = httpapi.WriteJSON(w, http.StatusAccepted, in)
	}), nil)

	req := httptest.NewRequest("POST", "/api/donations", strings.NewReader(`{"name":"","amount":500}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "req-1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body.String())
	// Output:
	// 422 application/problem+json
	// {"type":"urn:campaignkit:problem:validation","title":"Invalid request","status":422,"detail":"2 field(s) are invalid; see errors","instance":"/api/donations","errors":[{"field":"name","detail":"is required"},{"field":"amount","detail":"must be between 1 and 100"}],"request_id":"req-1"}
}
