// Package cdktest holds the helpers every CDK test in campaignkit uses: an
// App with the cdk-nag packs applied that synthesizes into a temp dir, and
// the quality gate (cfn-lint zero errors, cdk-nag zero unsuppressed) as a
// test assertion.
package cdktest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/internal/cfngate"
	"github.com/campaignkit/campaignkit/internal/nag"
)

// NewApp returns an App that synthesizes into a fresh temp dir, with the
// AwsSolutions and Serverless packs applied. The build cache for Go Lambda
// bundles is shared across tests (it is keyed by source hash).
func NewApp(t testing.TB) awscdk.App {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	nag.Apply(app)
	return app
}

// NewStack returns a stack in a fixed environment (account and region set,
// so region-dependent constructs synthesize fully).
func NewStack(app awscdk.App, id string) awscdk.Stack {
	return awscdk.NewStack(app, jsii.String(id), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
	})
}

// Synth synthesizes the app and returns the assembly directory.
func Synth(t testing.TB, app awscdk.App) string {
	t.Helper()
	asm := app.Synth(nil)
	return *asm.Directory()
}

// AssertGates synthesizes app and fails the test on any cfn-lint error or
// unsuppressed cdk-nag finding, listing each one. It returns the report.
func AssertGates(t testing.TB, app awscdk.App) *cfngate.Report {
	t.Helper()
	dir := Synth(t, app)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := cfngate.Check(ctx, dir)
	if err != nil {
		t.Fatalf("quality gate could not run: %v", err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	t.Log(rep.Summary())
	return rep
}

// Template returns the assertions template of stack.
func Template(stack awscdk.Stack) assertions.Template {
	return assertions.Template_FromStack(stack, &assertions.TemplateParsingOptions{SkipCyclicalDependenciesCheck: jsii.Bool(true)})
}

// Resources returns the resources of the given CloudFormation type in the
// template, keyed by logical id, decoded into plain Go maps for ad-hoc checks
// that Match_* cannot express.
func Resources(t testing.TB, tpl assertions.Template, cfnType string) map[string]map[string]any {
	t.Helper()
	raw := tpl.FindResources(jsii.String(cfnType), nil)
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatalf("marshal resources: %v", err)
	}
	out := map[string]map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal resources: %v", err)
	}
	return out
}

// Recover runs f and returns the panic value as an error message ("" when
// f did not panic). Construct constructors panic on invalid props.
func Recover(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			switch v := r.(type) {
			case error:
				msg = v.Error()
			default:
				msg = jsonString(v)
			}
		}
	}()
	f()
	return ""
}

func jsonString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TemplateFile returns the path of stackName's template in an assembly dir.
func TemplateFile(dir, stackName string) string {
	return filepath.Join(dir, stackName+".template.json")
}

// ReadJSON decodes a JSON file into a generic map (for golden comparisons).
func ReadJSON(t testing.TB, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
