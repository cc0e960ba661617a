package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/campaignkit/campaignkit/internal/redrive"
)

func init() {
	register(command{
		name:    "redrive",
		summary: "move dead-lettered messages back to their queue (delete only after the send succeeded)",
		run:     runRedrive,
	})
}

func runRedrive(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("redrive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts redrive.Options
	fs.StringVar(&opts.DLQ, "dlq", "", "URL of the dead-letter queue to drain (required)")
	fs.StringVar(&opts.Target, "to", "", "URL of the queue to move the messages to (required)")
	fs.IntVar(&opts.Max, "max", 0, "move at most N messages (0: all)")
	fs.BoolVar(&opts.DryRun, "dry-run", false, "list what would move; send and delete nothing")
	vis := fs.Int("visibility-timeout", 30, "seconds a received message stays hidden while it is moved")
	wait := fs.Int("wait", 2, "long-poll seconds per receive (1..20); an empty poll ends the run")
	region := fs.String("region", "", "AWS region (default: from the environment / profile)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: campaignkit redrive --dlq <url> --to <url> [--max N] [--dry-run]")
		fmt.Fprintln(stderr, "\nCredentials, region and endpoint come from the usual AWS SDK sources\n(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL for emulators).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if opts.DLQ == "" || opts.Target == "" {
		fs.Usage()
		return fmt.Errorf("%w: --dlq and --to are required", errUsage)
	}
	if *wait < 1 || *wait > 20 || *vis < 1 || *vis > 43200 || opts.Max < 0 {
		return fmt.Errorf("%w: --wait must be 1..20, --visibility-timeout 1..43200, --max ≥ 0", errUsage)
	}
	opts.VisibilityTimeout, opts.WaitTime = int32(*vis), int32(*wait)
	opts.Progress = stdout
	var loaders []func(*config.LoadOptions) error
	if *region != "" {
		loaders = append(loaders, config.WithRegion(*region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		return fmt.Errorf("load AWS config: %w", err)
	}
	_, err = redrive.Run(ctx, sqs.NewFromConfig(cfg), opts)
	return err
}
