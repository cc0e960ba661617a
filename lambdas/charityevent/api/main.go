// Command api is the charity event's web-tier Lambda: the domain's HTTP API
// behind the ScalableWebTier's alias (Function URL or HTTP API).
//
// Environment (read once per execution environment):
//
//	CAMPAIGN_SETTINGS              campaign settings JSON (set by the CDK app)
//	TABLE_NAME                     DynamoDB table with totals and songs
//	QUEUE_URL                      the QueuedDatabaseWriter's queue
//	PAYMENT_WEBHOOK_SECRET_ARN     Secrets Manager secret for webhook signatures (optional)
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/campaignkit/campaignkit/apps/charityevent/domain"
	"github.com/campaignkit/campaignkit/internal/awsenv"
	"github.com/campaignkit/campaignkit/internal/lambdahttp"
	"github.com/campaignkit/campaignkit/internal/obs"
	"github.com/campaignkit/campaignkit/internal/queue"
)

func main() {
	log := obs.NewLogger(os.Stdout, slog.LevelInfo)
	svc, err := setup(context.Background(), log)
	if err != nil {
		log.Error("api: init failed", "error", err.Error())
		os.Exit(1)
	}
	lambdahttp.Start(svc.Handler())
}

func setup(ctx context.Context, log *slog.Logger) (*domain.Service, error) {
	settings, err := domain.SettingsFromEnv()
	if err != nil {
		return nil, err
	}
	table, queueURL := os.Getenv("TABLE_NAME"), os.Getenv("QUEUE_URL")
	if table == "" || queueURL == "" {
		return nil, fmt.Errorf("TABLE_NAME and QUEUE_URL are required")
	}
	cfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	opts := domain.Options{Table: table, Logger: log}
	if arn := os.Getenv("PAYMENT_WEBHOOK_SECRET_ARN"); arn != "" {
		out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("read payment webhook secret: %w", err)
		}
		v, err := domain.NewWebhookVerifier([]byte(aws.ToString(out.SecretString)), nil)
		if err != nil {
			return nil, err
		}
		opts.Payments = v
	}
	producer := queue.NewProducer(sqs.NewFromConfig(cfg), queueURL)
	return domain.NewService(settings, dynamodb.NewFromConfig(cfg), producer, opts)
}
