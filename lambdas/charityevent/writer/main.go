// Command writer is the charity event's queued database writer: it turns
// donation, sign-up and payment messages into exactly-once writes (items
// plus coalesced counters) in the DynamoDB table.
//
// Environment (read once per execution environment):
//
//	TABLE_NAME   the campaign's DynamoDB table (pk/sk)
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/campaignkit/campaignkit/apps/charityevent/domain"
	"github.com/campaignkit/campaignkit/apps/charityevent/records"
	"github.com/campaignkit/campaignkit/internal/awsenv"
	"github.com/campaignkit/campaignkit/internal/obs"
	"github.com/campaignkit/campaignkit/internal/writer"
)

func main() {
	log := obs.NewLogger(os.Stdout, slog.LevelInfo)
	w, err := setup(context.Background(), log)
	if err != nil {
		log.Error("writer: init failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(w.Handle)
}

func setup(ctx context.Context, log *slog.Logger) (*writer.Writer, error) {
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		return nil, fmt.Errorf("TABLE_NAME is required")
	}
	cfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	sink := writer.NewDynamoSink(dynamodb.NewFromConfig(cfg), writer.DynamoConfig{Table: table, PKName: domain.PK, SKName: domain.SK})
	return writer.New(writer.Config{Decode: records.Decode, Sink: sink, Logger: log}), nil
}
