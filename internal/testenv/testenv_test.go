package testenv_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/jackc/pgx/v5"

	"github.com/campaignkit/campaignkit/internal/testenv"
)

func TestMotoAnswersSQS(t *testing.T) {
	ctx := context.Background()
	m, err := testenv.StartMoto(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	cfg, err := m.AWSConfig(ctx, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	c := sqs.NewFromConfig(cfg)
	if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")}); err != nil {
		t.Fatal(err)
	}
	if err := m.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.QueueUrls) != 0 {
		t.Fatalf("reset left queues: %v", out.QueueUrls)
	}
}

func TestPostgresAnswers(t *testing.T) {
	ctx := context.Background()
	p, err := testenv.StartPostgres(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	conn, err := pgx.Connect(ctx, p.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "select 40 + 2").Scan(&n); err != nil || n != 42 {
		t.Fatalf("select: %d %v", n, err)
	}
}
