// Command dynamodb is the queued-database writer Lambda for the DynamoDB
// sink only: the same handler and environment as
// lambdas/queuedwriter/writer (TABLE_NAME, PK_NAME, SK_NAME, LOG_LEVEL and
// the Lambda runtime's AWS_* variables) without PostgreSQL linked in, for a
// smaller bootstrap.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/campaignkit/campaignkit/internal/writer"
)

func main() {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(os.Getenv("LOG_LEVEL")))
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: lvl}))
	w, err := setup(os.Getenv, log)
	if err != nil {
		log.Error("writer: init failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(w.Handle)
}

func setup(getenv func(string) string, log *slog.Logger) (*writer.Writer, error) {
	sink, err := writer.DynamoSinkFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	pk, sk := writer.KeyNamesFromEnv(getenv)
	return writer.New(writer.Config{Decode: writer.DecodeJSON(pk, sk), Sink: sink, Logger: log}), nil
}
