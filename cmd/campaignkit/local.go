package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/campaignkit/campaignkit/internal/local"
	"github.com/campaignkit/campaignkit/internal/obs"

	// Apps register themselves with the local stack in init.
	_ "github.com/campaignkit/campaignkit/internal/local/demoapp"
)

func init() {
	register(command{
		name:    "local",
		summary: "run a campaign app on this machine: site, API, queue, writers, store",
		run:     runLocal,
	})
}

func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", local.DefaultAddr, "listen address (loopback; port 0 picks a free one)")
	data := fs.String("data", "", "data directory for the embedded queue and store (default .campaignkit/<app>)")
	useAWS := fs.Bool("aws", false, "use the AWS SDK adapters against AWS_ENDPOINT_URL (e.g. moto) instead of the embedded ones")
	region := fs.String("region", "", "region in -aws mode (default $AWS_REGION, else eu-west-1)")
	campaign := fs.String("campaign", "", "campaign file passed to the app (e.g. campaigns/spring-run.yaml)")
	verbose := fs.Bool("v", false, "debug logs")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: campaignkit local [flags] <app>\n\napps:")
		for _, a := range local.Apps() {
			fmt.Fprintf(stderr, "  %-16s %s\n", a.Name, a.Summary)
		}
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: name one app", errUsage)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	return local.Run(ctx, fs.Arg(0), local.Options{
		Addr: *addr, DataDir: *data, AWS: *useAWS, Region: *region, Campaign: *campaign,
		Out: stdout, Logger: obs.NewLogger(stderr, level),
	})
}
