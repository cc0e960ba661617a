package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/campaignkit/campaignkit/internal/lambdahttp"
)

// The same event shape arrives from a Function URL and an HTTP API
// (payload format 2.0); the buffered adapter must serve both.
func TestServesPayloadV2(t *testing.T) {
	serve := lambdahttp.Handler(handler())
	const functionURLEvent = `{"version":"2.0","rawPath":"/api/hello","rawQueryString":"a=1",
	 "headers":{"host":"abc.lambda-url.eu-west-1.on.aws"},"cookies":["s=1"],
	 "requestContext":{"http":{"method":"GET","path":"/api/hello","sourceIp":"203.0.113.7"}},"isBase64Encoded":false}`
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal([]byte(functionURLEvent), &ev); err != nil {
		t.Fatal(err)
	}
	res, err := serve(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Headers["Content-Type"] != "application/json" {
		t.Fatalf("got %d %v", res.StatusCode, res.Headers)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil || body["message"] == "" {
		t.Fatalf("body %q: %v", res.Body, err)
	}

	ev.RequestContext.HTTP.Method = "POST"
	ev.Body, ev.IsBase64Encoded = "eyJ4IjoxfQ==", true
	res, err = serve(context.Background(), ev)
	if err != nil || res.StatusCode != 405 {
		t.Fatalf("POST: %d %v, want 405", res.StatusCode, err)
	}
	ev.Body = "%%%"
	if res, err := serve(context.Background(), ev); err != nil || res.StatusCode != 400 {
		t.Fatalf("bad base64: %d %v, want a 400 problem", res.StatusCode, err)
	}
}
