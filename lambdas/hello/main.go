// Command hello is the smallest campaignkit web-tier handler: a plain
// net/http handler served on Lambda through a Function URL or HTTP API
// event. The webtier example deploys it; tests build it as a baseline.
package main

import (
	"encoding/json"
	"net/http"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdaurl"
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
	lambda.Start(lambdaurl.Wrap(handler()))
}
