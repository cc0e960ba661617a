package main

import (
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/internal/cdktest"
)

func TestSinks(t *testing.T) {
	for in, want := range map[string]int{"": 2, "dynamodb": 1, " Aurora ": 1} {
		got, err := sinks(in)
		if err != nil || len(got) != want {
			t.Errorf("sinks(%q) = %v, %v; want %d", in, got, err, want)
		}
	}
	if _, err := sinks("mysql"); err == nil {
		t.Error("sinks(mysql) accepted")
	}
}

// Both sink variants synthesize and pass cfn-lint and cdk-nag.
func TestExampleSynthesizes(t *testing.T) {
	app := cdktest.NewApp(t)
	dynStack, dyn := newStack(app, sinkDynamoDB)
	aurStack, aur := newStack(app, sinkAurora)
	if dyn.Table() == nil || aur.Cluster() == nil {
		t.Fatal("sinks not selected")
	}
	cdktest.Template(dynStack).ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1))
	cdktest.Template(aurStack).ResourceCountIs(jsii.String("AWS::RDS::DBCluster"), jsii.Number(1))
	cdktest.AssertGates(t, app)
}
