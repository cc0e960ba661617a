package lambdart

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// StreamingHTTPContentType is the content type of a Function URL response
// posted in RESPONSE_STREAM mode: a JSON prelude (status, headers,
// cookies), eight NUL bytes, then the body.
const StreamingHTTPContentType = "application/vnd.awslambda.http-integration-response"

// HTTPResponse is the HTTP response a Function URL or HTTP API would send
// for an invocation result.
type HTTPResponse struct {
	StatusCode int
	Headers    map[string]string
	Cookies    []string
	Body       []byte
}

// HTTP decodes a web-tier result into the HTTP response the front door
// would send: a buffered payload 2.0 response (events.APIGatewayV2HTTPResponse,
// base64 bodies decoded) or a streamed http-integration-response.
func (r *Result) HTTP() (*HTTPResponse, error) {
	if r.Error != nil {
		return nil, fmt.Errorf("lambdart: invocation failed: %w", r.Error)
	}
	if r.ContentType == StreamingHTTPContentType {
		prelude, body, ok := bytes.Cut(r.Payload, make([]byte, 8))
		if !ok {
			return nil, fmt.Errorf("lambdart: streamed response without the 8-byte prelude delimiter")
		}
		var p struct {
			StatusCode int               `json:"statusCode"`
			Headers    map[string]string `json:"headers"`
			Cookies    []string          `json:"cookies"`
		}
		if err := json.Unmarshal(prelude, &p); err != nil {
			return nil, fmt.Errorf("lambdart: streamed response prelude: %w", err)
		}
		if p.StatusCode == 0 {
			p.StatusCode = 200
		}
		return &HTTPResponse{StatusCode: p.StatusCode, Headers: p.Headers, Cookies: p.Cookies, Body: body}, nil
	}
	var res events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(r.Payload, &res); err != nil {
		return nil, fmt.Errorf("lambdart: payload 2.0 response: %w", err)
	}
	body := []byte(res.Body)
	if res.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(res.Body)
		if err != nil {
			return nil, fmt.Errorf("lambdart: base64 body: %w", err)
		}
		body = b
	}
	if res.StatusCode == 0 {
		res.StatusCode = 200
	}
	return &HTTPResponse{StatusCode: res.StatusCode, Headers: res.Headers, Cookies: res.Cookies, Body: body}, nil
}
