package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/campaignkit/campaignkit/internal/cfngate"
)

func init() {
	register(command{
		name:    "validate",
		summary: "gate cloud assemblies: cfn-lint 0 errors, cdk-nag 0 unsuppressed findings",
		run:     runValidate,
	})
}

func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	warnings := fs.Bool("warnings", false, "also list cfn-lint warnings")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: campaignkit validate [-warnings] <cdk.out dir>...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("%w: name at least one cloud assembly directory", errUsage)
	}
	failed := false
	for i, dir := range fs.Args() {
		fmt.Fprintf(stdout, "[%d/%d] %s\n", i+1, fs.NArg(), dir)
		rep, err := cfngate.Check(ctx, dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %s\n", rep.Summary())
		if *warnings {
			for _, f := range rep.LintWarnings {
				fmt.Fprintf(stdout, "  warn %s\n", f)
			}
		}
		if err := rep.Err(); err != nil {
			fmt.Fprintf(stdout, "  %v\n", err)
			failed = true
		}
	}
	if failed {
		return fmt.Errorf("quality gate failed")
	}
	fmt.Fprintln(stdout, "quality gate passed")
	return nil
}
