// Command writer is the generic queued-database-writer Lambda that the
// QueuedDatabaseWriter construct deploys by default. It reads SQS batches of
// writer.Message JSON bodies and applies them exactly once to DynamoDB or
// PostgreSQL, reporting failed records as batch item failures (enable
// ReportBatchItemFailures on the event source).
//
// Environment (read once at init; the construct's contract):
//
//	SINK                 "dynamodb" or "postgres" (default: dynamodb when
//	                     TABLE_NAME is set, else postgres)
//	PK_NAME, SK_NAME     key attribute / column names (default pk, sk)
//	TABLE_NAME           DynamoDB table
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
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
	pk, sk := or(getenv("PK_NAME"), "pk"), or(getenv("SK_NAME"), "sk")
	sinkKind := getenv("SINK")
	if sinkKind == "" {
		sinkKind = "postgres"
		if getenv("TABLE_NAME") != "" {
			sinkKind = "dynamodb"
		}
	}
	var sink writer.Sink
	closeFn := func() {}
	switch sinkKind {
	case "dynamodb":
		table := getenv("TABLE_NAME")
		if table == "" {
			return nil, nil, fmt.Errorf("SINK=dynamodb needs TABLE_NAME")
		}
		cfg, err := awsConfig(getenv)
		if err != nil {
			return nil, nil, err
		}
		sink = writer.NewDynamoSink(dynamodb.NewFromConfig(cfg), writer.DynamoConfig{Table: table, PKName: pk, SKName: sk})
	case "postgres":
		pool, err := openPool(ctx, getenv)
		if err != nil {
			return nil, nil, err
		}
		ps := writer.NewPostgresSink(pool, writer.PostgresConfig{Schema: getenv("DB_SCHEMA"), PKName: pk, SKName: sk})
		if err := ps.Migrate(ctx); err != nil {
			pool.Close()
			return nil, nil, err
		}
		sink, closeFn = ps, pool.Close
	default:
		return nil, nil, fmt.Errorf("SINK %q: want dynamodb or postgres", sinkKind)
	}
	log.Info("writer: ready", "sink", sinkKind, "table", getenv("TABLE_NAME"))
	return writer.New(writer.Config{Decode: writer.DecodeJSON(pk, sk), Sink: sink, Logger: log}), closeFn, nil
}

// openPool connects to DATABASE_URL, signing an RDS IAM auth token as the
// password of every new connection when DB_IAM_AUTH is "true".
func openPool(ctx context.Context, getenv func(string) string) (*pgxpool.Pool, error) {
	url := getenv("DATABASE_URL")
	if url == "" {
		return nil, fmt.Errorf("SINK=postgres needs DATABASE_URL")
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	pcfg.MaxConns = 1
	if v := getenv("DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("DB_MAX_CONNS %q: want a positive integer", v)
		}
		pcfg.MaxConns = int32(n)
	}
	if getenv("DB_IAM_AUTH") == "true" {
		awsCfg, err := awsConfig(getenv)
		if err != nil {
			return nil, err
		}
		pcfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
			token, err := rdsAuthToken(ctx, fmt.Sprintf("%s:%d", cc.Host, cc.Port), awsCfg.Region, cc.User, awsCfg.Credentials)
			if err != nil {
				return err
			}
			cc.Password = token
			return nil
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	return pool, nil
}

// awsConfig builds the SDK config from the variables the Lambda runtime
// sets (AWS_REGION and the execution role's AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), honouring AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_DYNAMODB. On Lambda this is what the default chain would
// resolve; skipping config.LoadDefaultConfig (SSO, STS, IMDS, profiles)
// keeps about 5 MB out of the bootstrap.
func awsConfig(getenv func(string) string) (aws.Config, error) {
	region := or(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"))
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
	if ep := or(getenv("AWS_ENDPOINT_URL_DYNAMODB"), getenv("AWS_ENDPOINT_URL")); ep != "" {
		cfg.BaseEndpoint = aws.String(ep)
	}
	return cfg, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
