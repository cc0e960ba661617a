// Command writer is the generic queued-database-writer Lambda that the
// QueuedDatabaseWriter construct deploys by default. It reads SQS batches of
// writer.Message JSON bodies and applies them exactly once to DynamoDB or
// PostgreSQL, reporting failed records as batch item failures.
//
// Environment (read once at init):
//
//	TABLE_NAME           DynamoDB table (selects the DynamoDB sink)
//	PK_NAME, SK_NAME     table key attribute names (default pk, sk)
//	DATABASE_URL         PostgreSQL connection string (selects the PostgreSQL sink)
//	DB_SCHEMA            PostgreSQL schema for the writer's tables (default campaignkit)
//	DB_MAX_CONNS         pool size per execution environment (default 2)
//	LOG_LEVEL            debug, info (default), warn, error
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/campaignkit/campaignkit/internal/writer"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level(os.Getenv("LOG_LEVEL"))}))
	h, err := setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("writer: init failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func level(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// setup builds the writer from the environment: clients are created once
// per execution environment.
func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*writer.Writer, error) {
	pk, sk := or(getenv("PK_NAME"), "pk"), or(getenv("SK_NAME"), "sk")
	var sink writer.Sink
	switch {
	case getenv("TABLE_NAME") != "":
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("load aws config: %w", err)
		}
		sink = writer.NewDynamoSink(dynamodb.NewFromConfig(cfg), writer.DynamoConfig{
			Table: getenv("TABLE_NAME"), PKName: pk, SKName: sk,
		})
	case getenv("DATABASE_URL") != "":
		pcfg, err := pgxpool.ParseConfig(getenv("DATABASE_URL"))
		if err != nil {
			return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
		}
		pcfg.MaxConns = 2
		if n, err := strconv.Atoi(getenv("DB_MAX_CONNS")); err == nil && n > 0 {
			pcfg.MaxConns = int32(n)
		}
		pool, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			return nil, fmt.Errorf("connect postgres: %w", err)
		}
		ps := writer.NewPostgresSink(pool, writer.PostgresConfig{Schema: getenv("DB_SCHEMA"), PKName: pk, SKName: sk})
		if err := ps.Migrate(ctx); err != nil {
			return nil, err
		}
		sink = ps
	default:
		return nil, fmt.Errorf("set TABLE_NAME (DynamoDB) or DATABASE_URL (PostgreSQL)")
	}
	return writer.New(writer.Config{Decode: writer.DecodeJSON(pk, sk), Sink: sink, Logger: log}), nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
