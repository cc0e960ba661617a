package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// The root app picks the app by the campaign file's kind and refuses what
// it cannot deploy with a message that says what to do.
func TestBuildDispatch(t *testing.T) {
	cases := []struct{ campaign, want string }{
		{"", "run with -c campaign="},
		{"../../campaigns/nope.yaml", "read campaign"},
		{"testdata/microsite.yaml", `kind "microsite" has no app yet`},
	}
	for _, c := range cases {
		ctx := map[string]any{}
		if c.campaign != "" {
			ctx["campaign"] = c.campaign
		}
		app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
		err := build(app)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("campaign %q: %v, want %q", c.campaign, err, c.want)
		}
	}
}
