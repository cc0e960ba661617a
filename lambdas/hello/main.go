// Command hello is the smallest campaignkit web-tier handler: a plain
// net/http handler served on Lambda behind a Function URL or an HTTP API.
// Both deliver the same payload format 2.0 event, so lambdahttp's buffered
// adapter serves either front door. The webtier example deploys it; tests build it
// as a baseline.
package main

import (
	"encoding/json"
	"net/http"

	"github.com/campaignkit/campaignkit/internal/lambdahttp"
)

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"message": "hello from campaignkit"})
	})
	return mux
}

func main() {
	lambdahttp.Start(handler())
}
