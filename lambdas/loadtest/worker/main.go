// Command worker is the LoadGenerator's Lambda function: it receives one
// Map item of a distributed load test (the shared job and its worker
// index), runs Vegeta for that worker's slice of the rate and stores the raw
// results in S3 under its own attack name (see loadtests/distributed).
package main

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/campaignkit/campaignkit/internal/awsenv"
	"github.com/campaignkit/campaignkit/loadtests/distributed"
	"github.com/campaignkit/campaignkit/loadtests/runner"
)

func main() {
	cfg, err := awsenv.Config(os.Getenv, "AWS_ENDPOINT_URL_S3")
	if err != nil {
		log.Fatalf("aws config: %v", err)
	}
	// Progress lines every 10 s land in the function's log group.
	w := &distributed.Worker{S3: s3.NewFromConfig(cfg), Opts: []runner.Option{runner.WithProgress(os.Stdout, 10*time.Second)}}
	lambda.Start(func(ctx context.Context, item distributed.MapItem) (*distributed.WorkerResult, error) {
		return w.Handle(ctx, item.Job())
	})
}
