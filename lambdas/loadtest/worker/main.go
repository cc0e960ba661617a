// Command worker is the LoadGenerator's Lambda function: it receives one
// Map item of a distributed load test (the shared job and its worker
// index), runs Vegeta for that worker's slice of the rate and stores the raw
// results in S3 under its own attack name (see loadtests/distributed).
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/campaignkit/campaignkit/loadtests/distributed"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("aws config: %v", err)
	}
	w := &distributed.Worker{S3: s3.NewFromConfig(cfg)}
	lambda.Start(func(ctx context.Context, item distributed.MapItem) (*distributed.WorkerResult, error) {
		return w.Handle(ctx, item.Job())
	})
}
