package lambdart_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/campaignkit/campaignkit/internal/lambdart"
)

const (
	helloEntry   = "github.com/campaignkit/campaignkit/lambdas/hello"
	faultyEntry  = "github.com/campaignkit/campaignkit/internal/lambdart/testdata/faulty"
	minimalEntry = "github.com/campaignkit/campaignkit/internal/lambdart/testdata/minimal"
)

// Sample events as a Function URL and an HTTP API (payload 2.0) send them.
const (
	functionURLGet = `{"version":"2.0","routeKey":"$default","rawPath":"/api/hello","rawQueryString":"lang=en",
	 "cookies":["session=abc"],"headers":{"host":"abcdefghijklmnop.lambda-url.eu-west-1.on.aws","accept":"application/json"},
	 "queryStringParameters":{"lang":"en"},
	 "requestContext":{"accountId":"anonymous","apiId":"abcdefghijklmnop","domainName":"abcdefghijklmnop.lambda-url.eu-west-1.on.aws",
	  "http":{"method":"GET","path":"/api/hello","protocol":"HTTP/1.1","sourceIp":"203.0.113.7","userAgent":"curl/8.5.0"},
	  "requestId":"0b7d6c2e-1f8a-4c9b-9d1e-2a3b4c5d6e7f","routeKey":"$default","stage":"$default","timeEpoch":1795311000000},
	 "isBase64Encoded":false}`
	httpAPIGet = `{"version":"2.0","routeKey":"GET /api/hello","rawPath":"/api/hello","rawQueryString":"",
	 "headers":{"host":"a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"},
	 "requestContext":{"accountId":"123456789012","apiId":"a1b2c3d4e5","domainName":"a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
	  "http":{"method":"GET","path":"/api/hello","protocol":"HTTP/1.1","sourceIp":"198.51.100.9","userAgent":"vegeta"},
	  "requestId":"JKJaXmPLvHcESHA=","routeKey":"GET /api/hello","stage":"$default","timeEpoch":1795311001000},
	 "isBase64Encoded":false}`
	badBase64 = `{"version":"2.0","rawPath":"/api/hello","requestContext":{"http":{"method":"POST","path":"/api/hello"}},
	 "body":"%%%","isBase64Encoded":true}`
)

// The real hello bootstrap starts under the Runtime API, answers both front
// doors' events, and reports errors through the error endpoint.
func TestHelloFidelity(t *testing.T) {
	res := lambdart.Run(t, helloEntry,
		[]byte(functionURLGet), []byte(httpAPIGet), []byte(`"not an event"`), []byte(badBase64))

	for i, name := range []string{"function URL", "HTTP API"} {
		t.Run(name, func(t *testing.T) {
			resp, err := res[i].HTTP()
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]string
			if resp.StatusCode != 200 || json.Unmarshal(resp.Body, &body) != nil || body["message"] == "" {
				t.Fatalf("got %d %v %q, want 200 with a JSON message", resp.StatusCode, resp.Headers, resp.Body)
			}
			if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
	tests := []struct {
		name     string
		res      *lambdart.Result
		wantType string
	}{
		{name: "event that is not an object", res: res[2], wantType: "UnmarshalTypeError"},
	}
	// A body the client garbled is the client's error: a 400 problem, not a
	// function error (which would be a 502 at the front door).
	if resp, err := res[3].HTTP(); err != nil || resp.StatusCode != 400 {
		t.Errorf("bad base64 body: %v %v, want a 400 response", resp, err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fe := tc.res.Error
			if fe == nil {
				t.Fatalf("no function error; payload %s", tc.res.Payload)
			}
			if fe.Type == "" || fe.Message == "" || (tc.wantType != "" && fe.Type != tc.wantType) {
				t.Fatalf("error = %+v, want errorType %q and an errorMessage", fe, tc.wantType)
			}
			if tc.res.Payload != nil {
				t.Errorf("a failed invocation has no payload, got %s", tc.res.Payload)
			}
		})
	}
}

func TestInvocationContextAndEnvironment(t *testing.T) {
	rt := lambdart.New(t, faultyEntry, lambdart.Options{FunctionName: "donations-writer", MemoryMB: 512, Region: "us-east-1",
		Timeout: 5 * time.Second, Env: map[string]string{"EXTRA": "table-x"}})
	if rt.InitDuration() <= 0 || rt.InitDuration() > 5*time.Second {
		t.Errorf("init duration %s", rt.InitDuration())
	}
	before := time.Now()
	res, err := rt.Invoke(context.Background(), []byte(`{"do":"echo"}`))
	if err != nil || res.Error != nil {
		t.Fatalf("invoke: %v %+v\n%s", err, res.Error, rt.Logs())
	}
	var got struct {
		Env       map[string]string
		RequestID string
		ARN       string
		Deadline  int64 `json:"deadlineMs"`
	}
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v", res.Payload, err)
	}
	want := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "donations-writer", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
		"AWS_REGION": "us-east-1", "_HANDLER": "bootstrap", "EXTRA": "table-x", "HOME": ""}
	for k, v := range want {
		if got.Env[k] != v {
			t.Errorf("env %s = %q, want %q", k, got.Env[k], v)
		}
	}
	if !strings.HasPrefix(got.Env["_X_AMZN_TRACE_ID"], "Root=1-") {
		t.Errorf("trace id = %q", got.Env["_X_AMZN_TRACE_ID"])
	}
	if got.RequestID != res.RequestID || got.ARN != "arn:aws:lambda:us-east-1:123456789012:function:donations-writer" {
		t.Errorf("request id %q (result %q), arn %q", got.RequestID, res.RequestID, got.ARN)
	}
	if dl := time.UnixMilli(got.Deadline); dl.Before(before.Add(4*time.Second)) || dl.After(time.Now().Add(5*time.Second)) {
		t.Errorf("deadline %s is not about now + 5 s", dl)
	}
	// The same environment serves the next event (warm).
	if res, err := rt.Invoke(context.Background(), []byte(`{}`)); err != nil || res.Error != nil {
		t.Fatalf("second invoke: %v %+v", err, res)
	}
}

func TestFunctionFailures(t *testing.T) {
	tests := []struct {
		event       string
		timeout     time.Duration
		wantType    string
		wantMessage string
		wantDead    bool // the environment is gone afterwards
	}{
		{event: `{"do":"error"}`, wantType: "errorString", wantMessage: "donation rejected"},
		{event: `{"do":"panic"}`, wantType: "string", wantMessage: "handler exploded", wantDead: true},
		{event: `{"do":"exit"}`, wantType: "Runtime.ExitError", wantMessage: "exit status 7", wantDead: true},
		{event: `{"do":"sleep"}`, timeout: time.Second, wantType: "Sandbox.Timedout", wantMessage: "Task timed out after 1.00 seconds", wantDead: true},
		{event: `{"do":"big"}`, wantType: "Function.ResponseSizeTooLarge", wantMessage: "exceeded maximum allowed payload size", wantDead: true}, // aws-lambda-go exits when the API refuses its response
	}
	for _, tc := range tests {
		t.Run(tc.event, func(t *testing.T) {
			rt := lambdart.New(t, faultyEntry, lambdart.Options{Timeout: tc.timeout})
			res, err := rt.Invoke(context.Background(), []byte(tc.event))
			if err != nil {
				t.Fatal(err)
			}
			if res.Error == nil || res.Error.Type != tc.wantType || !strings.Contains(res.Error.Message, tc.wantMessage) {
				t.Fatalf("error = %+v, want %s containing %q", res.Error, tc.wantType, tc.wantMessage)
			}
			if tc.wantDead {
				// The environment is gone; the harness says so rather than hanging.
				time.Sleep(100 * time.Millisecond)
				if _, err := rt.Invoke(context.Background(), []byte(`{}`)); err == nil {
					t.Fatal("invoke after the environment died succeeded")
				}
			} else if res, err := rt.Invoke(context.Background(), []byte(`{}`)); err != nil || res.Error != nil {
				t.Fatalf("environment should survive: %v %+v", err, res)
			}
		})
	}
}

func TestInitFailures(t *testing.T) {
	art, err := lambdart.Build(faultyEntry)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fault, wantType, wantMessage, wantLog string
	}{
		{fault: "init-exit", wantType: "Runtime.ExitError", wantMessage: "exit status 3", wantLog: "config missing: TABLE_NAME"},
		{fault: "init-error", wantType: "Config.Missing", wantMessage: "TABLE_NAME is not set"},
	}
	for _, tc := range tests {
		t.Run(tc.fault, func(t *testing.T) {
			rt, err := lambdart.Start(context.Background(), art.BinaryPath, lambdart.Options{Env: map[string]string{"FAULT": tc.fault}})
			if err == nil {
				rt.Close()
				t.Fatal("init succeeded")
			}
			var ie *lambdart.InitError
			if !errors.As(err, &ie) || ie.Err.Type != tc.wantType || !strings.Contains(ie.Err.Message, tc.wantMessage) || !strings.Contains(ie.Logs, tc.wantLog) {
				t.Fatalf("got %v (%+v), want %s %q with logs containing %q", err, ie, tc.wantType, tc.wantMessage, tc.wantLog)
			}
		})
	}
}
