// Package awsenv builds an AWS SDK v2 config from the variables the Lambda
// runtime sets, without linking config.LoadDefaultConfig (SSO, STS, IMDS,
// shared profiles): on Lambda the default chain resolves to exactly these
// variables, and leaving the rest out keeps about 5 MB out of a bootstrap.
package awsenv

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Config returns a config for AWS_REGION (or AWS_DEFAULT_REGION) with the
// execution role's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN. The base endpoint is the first set variable among
// endpointVars (e.g. "AWS_ENDPOINT_URL_DYNAMODB"), else AWS_ENDPOINT_URL
// (moto, LocalStack). getenv is os.Getenv in a main, a map in tests.
func Config(getenv func(string) string, endpointVars ...string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, fmt.Errorf("AWS_REGION is not set")
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, fmt.Errorf("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set (the Lambda runtime sets them from the execution role)")
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))),
	}
	for _, v := range append(endpointVars, "AWS_ENDPOINT_URL") {
		if ep := getenv(v); ep != "" {
			cfg.BaseEndpoint = aws.String(ep)
			break
		}
	}
	return cfg, nil
}
