package golambda_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/golambda"
	"github.com/campaignkit/campaignkit/internal/cdktest"
)

func TestBuildIsReproducible(t *testing.T) {
	a, err := golambda.Build("github.com/campaignkit/campaignkit/lambdas/hello", golambda.BuildOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := golambda.Build("../../lambdas/hello", golambda.BuildOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash != b.Hash {
		t.Fatalf("same source, different hash: %s vs %s", a.Hash, b.Hash)
	}
	za, _ := os.ReadFile(a.ZipPath)
	zb, _ := os.ReadFile(b.ZipPath)
	if !bytes.Equal(za, zb) {
		t.Fatalf("two clean builds gave different zips (%d vs %d bytes)", len(za), len(zb))
	}
	if a.BinarySize > 10<<20 {
		t.Errorf("bootstrap is %d bytes, goal is ≤ 10 MB", a.BinarySize)
	}
	t.Logf("hello bootstrap: %d bytes, zip %d bytes, hash %s", a.BinarySize, len(za), a.Hash[:12])
}

func TestHashFollowsSource(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) {
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {"+body+"}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/h\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write("")
	cache := t.TempDir()
	a, err := golambda.Build(".", golambda.BuildOptions{Dir: dir, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	write("println(1)")
	b, err := golambda.Build(".", golambda.BuildOptions{Dir: dir, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash == b.Hash {
		t.Fatal("changing the source did not change the hash")
	}
}

func TestBuildErrors(t *testing.T) {
	if _, err := golambda.Build("", golambda.BuildOptions{}); err == nil {
		t.Error("empty entry accepted")
	}
	if _, err := golambda.Build("github.com/campaignkit/campaignkit/constructs/golambda", golambda.BuildOptions{}); err == nil {
		t.Error("non-main package accepted")
	}
}

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
