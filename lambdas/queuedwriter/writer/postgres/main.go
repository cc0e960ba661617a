// Command postgres is the queued-database writer Lambda for the PostgreSQL
// sink only: the same handler and environment as
// lambdas/queuedwriter/writer (DATABASE_URL, DB_IAM_AUTH, DB_MAX_CONNS,
// DB_SCHEMA, PK_NAME, SK_NAME, LOG_LEVEL and, for IAM auth, the Lambda
// runtime's AWS_* variables) without the DynamoDB client linked in, for a
// smaller bootstrap.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/campaignkit/campaignkit/internal/writer"
)

func main() {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(os.Getenv("LOG_LEVEL")))
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: lvl}))
	w, closeFn, err := setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("writer: init failed", "error", err.Error())
		os.Exit(1)
	}
	defer closeFn()
	lambda.Start(w.Handle)
}

func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*writer.Writer, func(), error) {
	sink, closeFn, err := writer.PostgresSinkFromEnv(ctx, getenv)
	if err != nil {
		return nil, nil, err
	}
	pk, sk := writer.KeyNamesFromEnv(getenv)
	return writer.New(writer.Config{Decode: writer.DecodeJSON(pk, sk), Sink: sink, Logger: log}), closeFn, nil
}
