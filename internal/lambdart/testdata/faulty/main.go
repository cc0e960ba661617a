// Command faulty misbehaves on request so that the lambdart harness can be
// tested against every way a function fails on Lambda. FAULT chooses:
// "init-exit" exits before serving, "init-error" reports an init error
// through the Runtime API; events {"do":"error"|"panic"|"exit"|"sleep"|"big"}
// fail that way at invocation time; anything else echoes the event.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Do string `json:"do"`
}

type reply struct {
	Env       map[string]string `json:"env"`
	RequestID string            `json:"requestId"`
	ARN       string            `json:"arn"`
	Deadline  int64             `json:"deadlineMs"`
	Big       string            `json:"big,omitempty"`
}

func handle(ctx context.Context, ev event) (*reply, error) {
	switch ev.Do {
	case "error":
		return nil, errors.New("donation rejected")
	case "panic":
		panic("handler exploded")
	case "exit":
		os.Exit(7)
	case "sleep":
		time.Sleep(time.Minute)
	}
	lc, _ := lambdacontext.FromContext(ctx)
	dl, _ := ctx.Deadline()
	r := &reply{Env: map[string]string{}, RequestID: lc.AwsRequestID, ARN: lc.InvokedFunctionArn, Deadline: dl.UnixMilli()}
	for _, k := range []string{"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION", "_HANDLER", "EXTRA", "HOME", "_X_AMZN_TRACE_ID"} {
		r.Env[k] = os.Getenv(k)
	}
	if ev.Do == "big" {
		r.Big = strings.Repeat("x", 7<<20)
	}
	return r, nil
}

func main() {
	switch os.Getenv("FAULT") {
	case "init-exit":
		fmt.Fprintln(os.Stderr, "config missing: TABLE_NAME")
		os.Exit(3)
	case "init-error":
		body, _ := json.Marshal(map[string]string{"errorType": "Config.Missing", "errorMessage": "TABLE_NAME is not set"})
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "Config.Missing")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
		os.Exit(1)
	}
	lambda.Start(handle)
}
