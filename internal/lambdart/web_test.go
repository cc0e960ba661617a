package lambdart_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/campaignkit/campaignkit/internal/httpapi"
	"github.com/campaignkit/campaignkit/internal/lambdart"
)

const webEntry = "github.com/campaignkit/campaignkit/internal/lambdart/testdata/webfn"

func urlEvent(method, path, query, body string, b64 bool, requestID string, cookies ...string) []byte {
	ev := map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
		"headers":         map[string]string{"host": "abc.lambda-url.eu-west-1.on.aws", "content-type": "application/json"},
		"cookies":         cookies,
		"body":            body,
		"isBase64Encoded": b64,
		"requestContext": map[string]any{"requestId": requestID, "domainName": "abc.lambda-url.eu-west-1.on.aws",
			"http": map[string]string{"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"}},
	}
	b, _ := json.Marshal(ev)
	return b
}

// The runtime packages work end to end in a real bootstrap: lambdahttp
// adapts the events, httpapi answers problems and recovers panics without
// killing the environment, obs marks only the first invocation cold.
func TestWebRuntimeEndToEnd(t *testing.T) {
	res := lambdart.RunWith(t, webEntry, lambdart.Options{},
		urlEvent("GET", "/api/echo", "q=caf%C3%A9", "", false, "req-1", "session=s1"),
		urlEvent("GET", "/api/echo", "", "", false, "req-2"),
		urlEvent("POST", "/api/echo", "", base64.StdEncoding.EncodeToString([]byte(`{"name":"Ada"}`)), true, "req-3"),
		urlEvent("POST", "/api/echo", "", `{"name":`, false, "req-4"),
		urlEvent("GET", "/api/panic", "", "", false, "req-5"),
		urlEvent("GET", "/api/echo", "", "", false, "req-6"),
	)
	tests := []struct {
		status      int
		contains    []string
		wantCookies int
	}{
		{status: 200, contains: []string{`"query":"café"`, `"session":"s1"`, `"requestId":"req-1"`, `"cold":true`}, wantCookies: 1},
		{status: 200, contains: []string{`"requestId":"req-2"`, `"cold":false`}, wantCookies: 1},
		{status: 201, contains: []string{`"name":"Ada"`, `"requestId":"req-3"`}},
		{status: 400, contains: []string{httpapi.TypeMalformedJSON, `"request_id":"req-4"`}},
		{status: 500, contains: []string{httpapi.TypeInternal, `"request_id":"req-5"`}},
		{status: 200, contains: []string{`"requestId":"req-6"`, `"cold":false`}, wantCookies: 1},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("event %d", i+1), func(t *testing.T) {
			resp, err := res[i].HTTP()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, resp.Body)
			}
			for _, c := range tc.contains {
				if !strings.Contains(string(resp.Body), c) {
					t.Errorf("body %s lacks %s", resp.Body, c)
				}
			}
			if len(resp.Cookies) != tc.wantCookies {
				t.Errorf("cookies %q, want %d", resp.Cookies, tc.wantCookies)
			}
		})
	}
}
