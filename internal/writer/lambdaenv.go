package writer

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/campaignkit/campaignkit/internal/awsenv"
)

// Building sinks from a writer Lambda's environment, as the
// QueuedDatabaseWriter construct sets it (see lambdas/queuedwriter/writer).
// getenv is os.Getenv in a main, a map in tests.

// KeyNamesFromEnv returns PK_NAME and SK_NAME (default "pk", "sk").
func KeyNamesFromEnv(getenv func(string) string) (pk, sk string) {
	return or(getenv("PK_NAME"), "pk"), or(getenv("SK_NAME"), "sk")
}

// AWSConfigFromEnv is the SDK config of a writer Lambda: awsenv.Config
// with AWS_ENDPOINT_URL_DYNAMODB taking precedence over AWS_ENDPOINT_URL.
func AWSConfigFromEnv(getenv func(string) string) (aws.Config, error) {
	return awsenv.Config(getenv, "AWS_ENDPOINT_URL_DYNAMODB")
}

// DynamoSinkFromEnv returns a DynamoSink on TABLE_NAME with a DynamoDB
// client built by AWSConfigFromEnv. MARKER_TTL (a Go duration such as
// "408h") and TTL_ATTRIBUTE set DynamoConfig.MarkerTTL and TTLAttribute.
func DynamoSinkFromEnv(getenv func(string) string) (*DynamoSink, error) {
	table := getenv("TABLE_NAME")
	if table == "" {
		return nil, fmt.Errorf("the DynamoDB sink needs TABLE_NAME")
	}
	cfg, err := AWSConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	pk, sk := KeyNamesFromEnv(getenv)
	dc := DynamoConfig{Table: table, PKName: pk, SKName: sk, TTLAttribute: getenv("TTL_ATTRIBUTE")}
	if v := getenv("MARKER_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 15*24*time.Hour {
			return nil, fmt.Errorf("MARKER_TTL %q: want a duration of at least 360h (SQS keeps messages up to 14 days)", v)
		}
		dc.MarkerTTL = d
	}
	return NewDynamoSink(dynamodb.NewFromConfig(cfg), dc), nil
}

// PostgresSinkFromEnv connects to DATABASE_URL (pool size DB_MAX_CONNS,
// default 1), signing an RDS IAM auth token as the password of every new
// connection when DB_IAM_AUTH is "true", migrates the schema DB_SCHEMA
// (default campaignkit) and returns the sink and a func closing the pool.
func PostgresSinkFromEnv(ctx context.Context, getenv func(string) string) (*PostgresSink, func(), error) {
	url := getenv("DATABASE_URL")
	if url == "" {
		return nil, nil, fmt.Errorf("the PostgreSQL sink needs DATABASE_URL")
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	pcfg.MaxConns = 1
	if v := getenv("DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, nil, fmt.Errorf("DB_MAX_CONNS %q: want a positive integer", v)
		}
		pcfg.MaxConns = int32(n)
	}
	if getenv("DB_IAM_AUTH") == "true" {
		awsCfg, err := AWSConfigFromEnv(getenv)
		if err != nil {
			return nil, nil, err
		}
		pcfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
			token, err := RDSAuthToken(ctx, fmt.Sprintf("%s:%d", cc.Host, cc.Port), awsCfg.Region, cc.User, awsCfg.Credentials)
			if err != nil {
				return err
			}
			cc.Password = token
			return nil
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, nil, fmt.Errorf("connect postgres: %w", err)
	}
	pk, sk := KeyNamesFromEnv(getenv)
	s := NewPostgresSink(pool, PostgresConfig{Schema: getenv("DB_SCHEMA"), PKName: pk, SKName: sk})
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, nil, err
	}
	return s, pool.Close, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
