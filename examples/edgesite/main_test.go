package main

import (
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/internal/cdktest"
)

// The example synthesizes in eu-west-1 with a custom domain, WAF and both
// us-east-1 companion stacks, and every template passes cfn-lint and cdk-nag.
func TestExampleSynthesizes(t *testing.T) {
	app := cdktest.NewApp(t)
	stack, site := newStack(app)
	if *stack.Region() != "eu-west-1" || site.GlobalStack() == nil || site.AlarmStack() == nil {
		t.Fatalf("want a eu-west-1 site with us-east-1 companions, got region %s", *stack.Region())
	}
	cdktest.Template(stack).ResourceCountIs(jsii.String("AWS::CloudFront::Distribution"), jsii.Number(1))
	cdktest.Template(stack).ResourceCountIs(jsii.String("Custom::CDKBucketDeployment"), jsii.Number(3))
	cdktest.Template(site.GlobalStack()).ResourceCountIs(jsii.String("AWS::WAFv2::WebACL"), jsii.Number(1))
	cdktest.Template(site.GlobalStack()).ResourceCountIs(jsii.String("AWS::CertificateManager::Certificate"), jsii.Number(1))
	rep := cdktest.AssertGates(t, app)
	if len(rep.Templates) != 3 {
		t.Errorf("gated %d templates, want 3", len(rep.Templates))
	}
}
