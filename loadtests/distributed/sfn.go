package distributed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// StepFunctions is the part of Step Functions the coordinator uses. Its
// methods mirror the SDK v2 sfn client's (StartExecution, DescribeExecution,
// StopExecution) with the few fields used.
type StepFunctions interface {
	StartExecution(ctx context.Context, stateMachineARN, name, input string) (executionARN string, err error)
	DescribeExecution(ctx context.Context, executionARN string) (*Execution, error)
	StopExecution(ctx context.Context, executionARN, cause string) error
}

// Execution is the state of a Step Functions execution.
type Execution struct {
	Status string `json:"status"` // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
	Output string `json:"output"`
	Error  string `json:"error"`
	Cause  string `json:"cause"`
}

// SFNClient calls the Step Functions JSON API signed with SigV4 from the
// SDK's credentials. It stands in for the SDK's sfn client, which is not a
// dependency of the module yet; swap it in behind StepFunctions when it is.
type SFNClient struct {
	cfg      aws.Config
	endpoint string
	http     *http.Client
	signer   *v4.Signer
}

var _ StepFunctions = (*SFNClient)(nil)

// NewSFNClient returns a client for cfg's region; the endpoint is cfg's
// BaseEndpoint when set (moto in tests), else states.<region>.amazonaws.com.
func NewSFNClient(cfg aws.Config) *SFNClient {
	ep := "https://states." + cfg.Region + ".amazonaws.com/"
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		ep = *cfg.BaseEndpoint + "/"
	}
	return &SFNClient{cfg: cfg, endpoint: ep, http: &http.Client{Timeout: 30 * time.Second}, signer: v4.NewSigner()}
}

func (c *SFNClient) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("step functions %s: credentials: %w", op, err)
	}
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "states", c.cfg.Region, time.Now()); err != nil {
		return fmt.Errorf("step functions %s: sign: %w", op, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("step functions %s: %w", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("step functions %s: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("step functions %s: %s: %s", op, resp.Status, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("step functions %s: decode: %w", op, err)
	}
	return nil
}

// StartExecution implements StepFunctions.
func (c *SFNClient) StartExecution(ctx context.Context, stateMachineARN, name, input string) (string, error) {
	var out struct {
		ExecutionArn string `json:"executionArn"`
	}
	err := c.call(ctx, "StartExecution", map[string]string{"stateMachineArn": stateMachineARN, "name": name, "input": input}, &out)
	return out.ExecutionArn, err
}

// DescribeExecution implements StepFunctions.
func (c *SFNClient) DescribeExecution(ctx context.Context, executionARN string) (*Execution, error) {
	var out Execution
	if err := c.call(ctx, "DescribeExecution", map[string]string{"executionArn": executionARN}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// StopExecution implements StepFunctions.
func (c *SFNClient) StopExecution(ctx context.Context, executionARN, cause string) error {
	return c.call(ctx, "StopExecution", map[string]string{"executionArn": executionARN, "cause": cause}, nil)
}
