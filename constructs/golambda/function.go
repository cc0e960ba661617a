// Package golambda builds Go Lambda functions during `cdk synth`: a
// construct names a Go package, and synthesis compiles it (gobuild) into a
// `bootstrap` for provided.al2023 (arm64 by default), zipped
// deterministically and handed to CDK as an asset whose hash comes from the
// source, not the binary.
//
// Pass fn.Function (the awslambda.Function), not the *Function wrapper, to
// CDK APIs: the Go bindings cannot pass a struct that embeds a construct.
package golambda

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/golambda/gobuild"
)

// Code builds entry for Lambda (see gobuild.Build) and returns it as Lambda code whose
// asset hash is the source hash. It panics with the build error, as CDK
// constructs do, so `cdk synth` stops with the compiler's message.
func Code(entry string, opts gobuild.Options) (awslambda.Code, *gobuild.Artifact) {
	art, err := gobuild.Build(entry, opts)
	if err != nil {
		panic(err)
	}
	code := awslambda.Code_FromAsset(jsii.String(art.ZipPath), &awss3assets.AssetOptions{
		AssetHash:     jsii.String(art.Hash),
		AssetHashType: awscdk.AssetHashType_CUSTOM,
	})
	return code, art
}

// FunctionProps configure NewFunction. Runtime, Handler, Code and
// Architecture are owned by golambda; every other awslambda.FunctionProps
// field may be set in Function.
type FunctionProps struct {
	// Entry is the Go main package to build, as an import path
	// ("github.com/acme/site/lambdas/api") or a directory relative to Dir
	// ("./lambdas/api"). Required.
	Entry *string
	// Dir is the directory the go command runs in. Default: the working
	// directory of the CDK app.
	Dir *string
	// Architecture is the Lambda architecture. Default: ARM_64 (Graviton:
	// cheaper per GB-s and faster Go start-up).
	Architecture awslambda.Architecture
	// Function carries the remaining function settings (memory, timeout,
	// environment, role, logging...). Default: CDK's defaults.
	Function *awslambda.FunctionProps
}

// Function is a Go Lambda function built at synth.
type Function struct {
	awslambda.Function
	// Artifact describes the build (hash, zip, bootstrap size).
	Artifact *gobuild.Artifact
}

// Validate reports the first problem with the props.
func (p *FunctionProps) Validate() error {
	if p == nil || p.Entry == nil || *p.Entry == "" {
		return fmt.Errorf("golambda: Entry is required: set it to the handler's Go package, e.g. jsii.String(\"./lambdas/api\")")
	}
	if f := p.Function; f != nil {
		if f.Code != nil || f.Runtime != nil || f.Handler != nil {
			return fmt.Errorf("golambda: Function.Code, Function.Runtime and Function.Handler are set by golambda; leave them nil and set Entry")
		}
		if f.Architecture != nil {
			return fmt.Errorf("golambda: set Architecture on FunctionProps, not Function.Architecture")
		}
	}
	return nil
}

// NewFunction builds Entry and creates the Lambda function
// (provided.al2023, handler `bootstrap`, arm64 unless told otherwise). It
// panics with a clear message on invalid props or a failed build.
func NewFunction(scope constructs.Construct, id *string, props *FunctionProps) *Function {
	if err := props.Validate(); err != nil {
		panic(err)
	}
	arch := props.Architecture
	if arch == nil {
		arch = awslambda.Architecture_ARM_64()
	}
	opts := gobuild.Options{GOARCH: *arch.Name()}
	if opts.GOARCH == "x86_64" {
		opts.GOARCH = "amd64"
	}
	if props.Dir != nil {
		opts.Dir = *props.Dir
	}
	code, art := Code(*props.Entry, opts)
	fp := awslambda.FunctionProps{}
	if props.Function != nil {
		fp = *props.Function // copy: the caller's struct is never changed
	}
	fp.Code = code
	fp.Runtime = awslambda.Runtime_PROVIDED_AL2023()
	fp.Handler = jsii.String("bootstrap")
	fp.Architecture = arch
	fn := awslambda.NewFunction(scope, id, &fp)
	return &Function{Function: fn, Artifact: art}
}
