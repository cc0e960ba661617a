package cdktest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/internal/cdktest"
	"github.com/campaignkit/campaignkit/internal/cfngate"
	"github.com/campaignkit/campaignkit/internal/nag"
)

// The gate must fail on a bare queue (no DLQ, no TLS policy: AwsSolutions-SQS3/SQS4)
// and pass once those findings are suppressed with reasons.
func TestGateCatchesAndSuppresses(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Gate")
	awssqs.NewQueue(stack, jsii.String("Bare"), nil)
	q2 := awssqs.NewQueue(stack, jsii.String("Suppressed"), nil)
	nag.Suppress(q2,
		nag.Rule{ID: "AwsSolutions-SQS3", Reason: "test fixture: this queue is itself a dead-letter queue"},
		nag.Rule{ID: "AwsSolutions-SQS4", Reason: "test fixture: checks that suppressions are honoured"},
		nag.Rule{ID: "Serverless-SQSRedrivePolicy", Reason: "test fixture: this queue is itself a dead-letter queue"},
	)
	dir := cdktest.Synth(t, app)
	rep, err := cfngate.Check(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatal("gate passed a queue with findings")
	}
	for _, f := range rep.Nag {
		if strings.Contains(f.Resource, "Suppressed") {
			t.Errorf("suppressed finding reported: %v", f)
		}
	}
	if rep.Suppressed < 2 {
		t.Errorf("suppressed = %d, want ≥ 2", rep.Suppressed)
	}
	if len(rep.LintErrors) != 0 {
		t.Errorf("cfn-lint errors on a plain queue: %v", rep.LintErrors)
	}
	t.Log(rep.Summary())
	for _, f := range rep.Nag {
		t.Log(f)
	}
}
