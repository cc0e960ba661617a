// Command writer is the generic queued-database-writer Lambda that the
// QueuedDatabaseWriter construct deploys by default. It reads SQS batches of
// writer.Message JSON bodies and applies them exactly once to DynamoDB or
// PostgreSQL, reporting failed records as batch item failures (enable
// ReportBatchItemFailures on the event source). It links both sinks; the
// dynamodb and postgres subdirectories build one-sink writers that are
// smaller (see their doc comments).
//
// Environment (read once at init; the construct's contract):
//
//	SINK                 "dynamodb" or "postgres" (default: dynamodb when
//	                     TABLE_NAME is set, else postgres)
//	PK_NAME, SK_NAME     key attribute / column names (default pk, sk)
//	TABLE_NAME           DynamoDB table
//	MARKER_TTL           optional expiry of idempotency markers (≥ 360h), in
//	                     TTL_ATTRIBUTE (default expiresAt); enable table TTL on it
//	DATABASE_URL         PostgreSQL URL; without a password when DB_IAM_AUTH
//	                     is "true" (RDS Proxy IAM authentication: a fresh
//	                     token is signed for every new connection)
//	DB_IAM_AUTH          "true" to use IAM auth tokens as the password
//	DB_MAX_CONNS         pool size per execution environment (default 1)
//	DB_SCHEMA            schema of the writer's tables (default campaignkit);
//	                     they are created at cold start when missing
//	LOG_LEVEL            debug, info (default), warn, error
//	AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//	                     set by the Lambda runtime; AWS_ENDPOINT_URL(_DYNAMODB)
//	                     points the SDK at an emulator
//
// Other keys the construct sets (QUEUE_URL, DB_SECRET_ARN, PROXY_ENDPOINT,
// DB_NAME, DB_USER, DB_PORT) are not needed by the writer.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/campaignkit/campaignkit/internal/writer"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level(os.Getenv("LOG_LEVEL"))}))
	w, closeFn, err := setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("writer: init failed", "error", err.Error())
		os.Exit(1)
	}
	defer closeFn()
	lambda.Start(w.Handle)
}

func level(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// setup builds the writer from the environment; clients are created once
// per execution environment. The returned func releases them.
func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*writer.Writer, func(), error) {
	kind := getenv("SINK")
	if kind == "" {
		kind = "postgres"
		if getenv("TABLE_NAME") != "" {
			kind = "dynamodb"
		}
	}
	var sink writer.Sink
	closeFn := func() {}
	switch kind {
	case "dynamodb":
		s, err := writer.DynamoSinkFromEnv(getenv)
		if err != nil {
			return nil, nil, err
		}
		sink = s
	case "postgres":
		s, c, err := writer.PostgresSinkFromEnv(ctx, getenv)
		if err != nil {
			return nil, nil, err
		}
		sink, closeFn = s, c
	default:
		return nil, nil, fmt.Errorf("SINK %q: want dynamodb or postgres", kind)
	}
	log.Info("writer: ready", "sink", kind)
	pk, sk := writer.KeyNamesFromEnv(getenv)
	return writer.New(writer.Config{Decode: writer.DecodeJSON(pk, sk), Sink: sink, Logger: log}), closeFn, nil
}
