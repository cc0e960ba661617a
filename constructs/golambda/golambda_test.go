package golambda_test

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/golambda"
	"github.com/campaignkit/campaignkit/internal/cdktest"
)

func TestFunctionSynth(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "GoFn")
	fn := golambda.NewFunction(stack, jsii.String("Hello"), &golambda.FunctionProps{Entry: jsii.String("../../lambdas/hello")})
	tpl := cdktest.Template(stack)
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Runtime":       "provided.al2023",
		"Handler":       "bootstrap",
		"Architectures": []string{"arm64"},
		// CDK derives the asset key from our custom (source) hash.
		"Code": map[string]any{"S3Key": fmt.Sprintf("%x.zip", sha256.Sum256([]byte(fn.Artifact.Hash)))},
	})
	msg := cdktest.Recover(func() {
		golambda.NewFunction(stack, jsii.String("Bad"), &golambda.FunctionProps{})
	})
	if msg == "" {
		t.Fatal("missing Entry did not fail")
	}
}
