package writer

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// emptyPayloadHash is the SHA-256 of an empty body.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// tokenLifetime is how long an RDS IAM auth token is valid (the maximum).
const tokenLifetime = 15 * time.Minute

// RDSAuthToken signs an RDS IAM authentication token for user at endpoint
// (host:port), as feature/rds/auth.BuildAuthToken does: a SigV4-presigned
// "connect" request for service rds-db, without its scheme. It is the
// password for the connection and is valid for 15 minutes.
func RDSAuthToken(ctx context.Context, endpoint, region, user string, creds aws.CredentialsProvider) (string, error) {
	if region == "" {
		return "", fmt.Errorf("rds auth token: no AWS region")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+endpoint+"/", nil)
	if err != nil {
		return "", fmt.Errorf("rds auth token: %w", err)
	}
	q := req.URL.Query()
	q.Set("Action", "connect")
	q.Set("DBUser", user)
	q.Set("X-Amz-Expires", strconv.Itoa(int(tokenLifetime/time.Second)))
	req.URL.RawQuery = q.Encode()
	c, err := creds.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("rds auth token: credentials: %w", err)
	}
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, c, req, emptyPayloadHash, "rds-db", region, time.Now().UTC())
	if err != nil {
		return "", fmt.Errorf("rds auth token: sign: %w", err)
	}
	return strings.TrimPrefix(signed, "https://"), nil
}
