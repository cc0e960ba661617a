package lambdahttp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/campaignkit/campaignkit/internal/httpapi"
	"github.com/campaignkit/campaignkit/internal/lambdahttp"
	"github.com/campaignkit/campaignkit/internal/obs"
)

// seen is what the test handler observed of the request.
type seen struct {
	Method, Path, RawQuery, Host, RemoteAddr, RequestURI string
	Query                                                map[string][]string
	Cookies                                              []string
	Accept, ContentType                                  string
	Body                                                 []byte
	ContentLength                                        int64
	RequestID                                            string
	Cold                                                 bool
}

func handler(got *seen) http.Handler {
	mux := http.NewServeMux()
	record := func(r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*got = seen{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Host: r.Host, RemoteAddr: r.RemoteAddr,
			RequestURI: r.RequestURI, Query: r.URL.Query(), Accept: r.Header.Get("Accept"), ContentType: r.Header.Get("Content-Type"),
			Body: b, ContentLength: r.ContentLength, RequestID: obs.RequestID(r.Context()), Cold: obs.ColdStart(r.Context())}
		for _, c := range r.Cookies() {
			got.Cookies = append(got.Cookies, c.Name+"="+c.Value)
		}
	}
	mux.HandleFunc("GET /api/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", HttpOnly: true})
		w.Header().Add("Vary", "Accept")
		w.Header().Add("Vary", "Cookie")
		_ = httpapi.WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("POST /api/echo", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		w.Header().Set("Content-Type", got.ContentType)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(got.Body)
	})
	return httpapi.Wrap(httpapi.Mux(mux), nil)
}

func loadEvent(t *testing.T, name string) lambdahttp.Request {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	// Function URL events decode into the same shape: check both types agree.
	var furl events.LambdaFunctionURLRequest
	if err := json.Unmarshal(b, &furl); err != nil {
		t.Fatalf("%s as a Function URL event: %v", name, err)
	}
	var ev lambdahttp.Request
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestHandlerEvents(t *testing.T) {
	tests := []struct {
		event       string
		want        seen
		wantStatus  int
		wantHeaders map[string]string
		wantCookies []string
		wantBody    []byte
		wantB64     bool
	}{
		{
			event: "function-url-get.json",
			want: seen{Method: "GET", Path: "/api/items/42", RawQuery: "q=caf%C3%A9&tag=a&tag=b", Host: "abcdefghijklmnop.lambda-url.eu-west-1.on.aws",
				RemoteAddr: "203.0.113.7:0", RequestURI: "/api/items/42?q=caf%C3%A9&tag=a&tag=b", Query: map[string][]string{"q": {"café"}, "tag": {"a", "b"}},
				Cookies: []string{"session=abc", "theme=dark"}, Accept: "application/json,text/plain", Body: []byte{},
				RequestID: "0b7d6c2e-1f8a-4c9b-9d1e-2a3b4c5d6e7f"},
			wantStatus:  200,
			wantHeaders: map[string]string{"Content-Type": "application/json", "Vary": "Accept,Cookie", "X-Request-Id": "0b7d6c2e-1f8a-4c9b-9d1e-2a3b4c5d6e7f"},
			wantCookies: []string{"a=1", "b=2; HttpOnly"},
			wantBody:    []byte(`{"id":"42"}` + "\n"),
		},
		{
			event: "httpapi-post-json.json",
			want: seen{Method: "POST", Path: "/api/echo", Host: "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com", RemoteAddr: "198.51.100.9:0",
				RequestURI: "/api/echo", Query: map[string][]string{}, ContentType: "application/json", Body: []byte(`{"name":"Ada","amount":25}`),
				ContentLength: 26, RequestID: "client-chosen-id"},
			wantStatus:  201,
			wantHeaders: map[string]string{"Content-Type": "application/json", "X-Request-Id": "client-chosen-id"},
			wantBody:    []byte(`{"name":"Ada","amount":25}`),
		},
		{
			event: "function-url-post-base64.json",
			want: seen{Method: "POST", Path: "/api/echo", Host: "abcdefghijklmnop.lambda-url.eu-west-1.on.aws", RemoteAddr: "203.0.113.8:0",
				RequestURI: "/api/echo", Query: map[string][]string{}, ContentType: "application/octet-stream", Body: []byte{0, 1, 0xfe, 0xff},
				ContentLength: 4, RequestID: "base64-request-id"},
			wantStatus:  201,
			wantHeaders: map[string]string{"Content-Type": "application/octet-stream"},
			wantBody:    []byte{0, 1, 0xfe, 0xff},
			wantB64:     true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.event, func(t *testing.T) {
			var got seen
			res, err := lambdahttp.Handler(handler(&got))(context.Background(), loadEvent(t, tc.event))
			if err != nil {
				t.Fatal(err)
			}
			got.Cold = false // covered by TestColdStartOnlyOnce
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("request seen by the handler:\n got %+v\nwant %+v", got, tc.want)
			}
			if res.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d", res.StatusCode, tc.wantStatus)
			}
			for k, v := range tc.wantHeaders {
				if res.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, res.Headers[k], v)
				}
			}
			if _, ok := res.Headers["Set-Cookie"]; ok {
				t.Error("Set-Cookie must travel in cookies, not headers")
			}
			if !reflect.DeepEqual(res.Cookies, tc.wantCookies) {
				t.Errorf("cookies = %q, want %q", res.Cookies, tc.wantCookies)
			}
			body := []byte(res.Body)
			if res.IsBase64Encoded {
				body, _ = base64.StdEncoding.DecodeString(res.Body)
			}
			if res.IsBase64Encoded != tc.wantB64 || string(body) != string(tc.wantBody) {
				t.Errorf("body = %q (base64 %v), want %q (base64 %v)", body, res.IsBase64Encoded, tc.wantBody, tc.wantB64)
			}
		})
	}
}

func TestHandlerBadEventIs400(t *testing.T) {
	ev := loadEvent(t, "function-url-post-base64.json")
	ev.Body = "%%%not base64"
	res, err := lambdahttp.Handler(http.NotFoundHandler())(context.Background(), ev)
	if err != nil || res.StatusCode != 400 || res.Headers["Content-Type"] != "application/problem+json" {
		t.Fatalf("got %d %v %v, want a 400 problem", res.StatusCode, res.Headers, err)
	}
	if !json.Valid([]byte(res.Body)) {
		t.Fatalf("problem body is not JSON: %s", res.Body)
	}
}

func TestHandlerDefaultsAndEmptyResponse(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" || r.URL.Path != "/" {
			t.Errorf("got %s %s, want GET /", r.Method, r.URL.Path)
		}
	})
	res, err := lambdahttp.Handler(h)(context.Background(), lambdahttp.Request{})
	if err != nil || res.StatusCode != 200 || res.Body != "" {
		t.Fatalf("got %+v %v", res, err)
	}
}

func TestServeContextBindsLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- lambdahttp.ServeContext(ctx, "127.0.0.1:0", http.NotFoundHandler())
	}()
	cancel()
	if err := <-errc; err != nil && !strings.Contains(err.Error(), "closed") {
		t.Fatalf("ServeContext: %v", err)
	}
}

func TestColdStartOnlyOnce(t *testing.T) {
	var got seen
	h := lambdahttp.Handler(handler(&got))
	ev := loadEvent(t, "function-url-get.json")
	for i := range 3 {
		if _, err := h(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		if i > 0 && got.Cold {
			t.Fatalf("invocation %d is cold; only the first of an environment may be", i+1)
		}
	}
}

func TestNamedStagePrefixIsStripped(t *testing.T) {
	tests := []struct{ stage, rawPath, want string }{
		{"$default", "/api/echo", "/api/echo"},
		{"prod", "/prod/api/echo", "/api/echo"},
		{"prod", "/prod", "/"},
		{"prod", "/production/api", "/production/api"},
	}
	for _, tc := range tests {
		t.Run(tc.stage+tc.rawPath, func(t *testing.T) {
			ev := lambdahttp.Request{RawPath: tc.rawPath}
			ev.RequestContext.Stage = tc.stage
			req, err := lambdahttp.NewRequest(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if req.URL.Path != tc.want {
				t.Fatalf("path = %q, want %q", req.URL.Path, tc.want)
			}
		})
	}
}
