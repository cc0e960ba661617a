package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/campaignkit/campaignkit/internal/queue"
	"github.com/campaignkit/campaignkit/internal/store"
)

// Data file names inside Options.DataDir.
const (
	QueueFile    = "queue.db"
	StoreFile    = "store.db"
	EndpointFile = "endpoint.json"
)

// backend is one set of adapters.
type backend struct {
	mode     Mode
	region   string
	db       store.DB
	sender   queue.Sender
	receiver queue.Receiver
	urls     map[string]string
	embedded *queue.Embedded // nil in AWS mode
	where    []string        // human description for the start-up output
	close    func() error
}

func openEmbedded(ctx context.Context, app App, dir string) (*backend, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	qpath, spath := filepath.Join(dir, QueueFile), filepath.Join(dir, StoreFile)
	q, err := queue.OpenEmbedded(qpath, queue.EmbeddedOptions{Queues: app.Queues})
	if err != nil {
		return nil, fmt.Errorf("open queue (is another `campaignkit local` using %s?): %w", dir, err)
	}
	s, err := store.OpenEmbedded(spath)
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("open store (is another `campaignkit local` using %s?): %w", dir, err)
	}
	for _, t := range app.Tables {
		if err := store.EnsureTable(ctx, s, t.Name, t.PK, t.SK); err != nil {
			q.Close()
			s.Close()
			return nil, err
		}
	}
	b := &backend{mode: ModeEmbedded, region: "local", db: s, sender: q, receiver: q, urls: map[string]string{}, embedded: q,
		where: []string{"queue " + qpath, "store " + spath}}
	for _, c := range app.Queues {
		b.urls[c.Name] = queue.EmbeddedURL(c.Name)
	}
	b.close = func() error {
		// Queue first: pollers are stopped, nothing sends any more.
		return errors.Join(q.Close(), s.Close())
	}
	return b, nil
}

// awsConfig loads the SDK config for --aws mode: it must point at an
// explicit endpoint (AWS_ENDPOINT_URL), never at a real account by accident.
func awsConfig(ctx context.Context, opts Options) (aws.Config, error) {
	if opts.AWSConfig != nil {
		return *opts.AWSConfig, nil
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		return aws.Config{}, errors.New("--aws needs AWS_ENDPOINT_URL (e.g. http://127.0.0.1:5000 for moto_server); the local stack never creates resources in a real account")
	}
	region := opts.Region
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	if region == "" {
		region = "eu-west-1"
	}
	var lo []func(*config.LoadOptions) error
	lo = append(lo, config.WithRegion(region), config.WithBaseEndpoint(endpoint))
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
		// Emulators accept any credentials; don't make users invent them.
		lo = append(lo, config.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "campaignkit-local"}, nil
		})))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	return cfg, nil
}

func openAWS(ctx context.Context, app App, opts Options) (*backend, error) {
	cfg, err := awsConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	sq := sqs.NewFromConfig(cfg)
	ddb := dynamodb.NewFromConfig(cfg)
	endpoint := aws.ToString(cfg.BaseEndpoint)
	b := &backend{mode: ModeAWS, region: cfg.Region, db: ddb, sender: sq, receiver: sq, urls: map[string]string{},
		where: []string{"endpoint " + endpoint + " (region " + cfg.Region + ")"}, close: func() error { return nil }}
	for _, t := range app.Tables {
		if err := store.EnsureTable(ctx, ddb, t.Name, t.PK, t.SK); err != nil {
			return nil, err
		}
	}
	// Dead-letter queues first: a redrive policy names its target's ARN.
	created := map[string]bool{}
	var create func(c queue.QueueConfig) error
	byName := map[string]queue.QueueConfig{}
	for _, c := range app.Queues {
		byName[c.Name] = c
	}
	create = func(c queue.QueueConfig) error {
		if created[c.Name] {
			return nil
		}
		attrs := map[string]string{}
		if c.VisibilityTimeout > 0 {
			attrs[string(sqstypes.QueueAttributeNameVisibilityTimeout)] = strconv.Itoa(int(c.VisibilityTimeout.Seconds()))
		}
		if c.FIFO {
			attrs[string(sqstypes.QueueAttributeNameFifoQueue)] = "true"
			if c.ContentBasedDeduplication {
				attrs[string(sqstypes.QueueAttributeNameContentBasedDeduplication)] = "true"
			}
		}
		if c.DeadLetterQueue != "" {
			if err := create(byName[c.DeadLetterQueue]); err != nil {
				return err
			}
			arn, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(b.urls[c.DeadLetterQueue]),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
			if err != nil {
				return fmt.Errorf("queue %s: dead-letter queue arn: %w", c.Name, err)
			}
			policy, _ := json.Marshal(map[string]any{"deadLetterTargetArn": arn.Attributes[string(sqstypes.QueueAttributeNameQueueArn)],
				"maxReceiveCount": c.MaxReceiveCount})
			attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = string(policy)
		}
		out, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(c.Name), Attributes: attrs})
		if err != nil {
			return fmt.Errorf("create queue %s: %w", c.Name, err)
		}
		b.urls[c.Name] = aws.ToString(out.QueueUrl)
		created[c.Name] = true
		return nil
	}
	for _, c := range app.Queues {
		if err := create(c); err != nil {
			return nil, err
		}
	}
	return b, nil
}
