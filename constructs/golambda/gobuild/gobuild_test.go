package gobuild_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/campaignkit/campaignkit/constructs/golambda/gobuild"
)

func TestBuildIsReproducible(t *testing.T) {
	a, err := gobuild.Build("github.com/campaignkit/campaignkit/lambdas/hello", gobuild.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := gobuild.Build("../../../lambdas/hello", gobuild.Options{CacheDir: t.TempDir()})
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
	a, err := gobuild.Build(".", gobuild.Options{Dir: dir, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	write("println(1)")
	b, err := gobuild.Build(".", gobuild.Options{Dir: dir, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash == b.Hash {
		t.Fatal("changing the source did not change the hash")
	}
}

func TestBuildErrors(t *testing.T) {
	if _, err := gobuild.Build("", gobuild.Options{}); err == nil {
		t.Error("empty entry accepted")
	}
	if _, err := gobuild.Build("github.com/campaignkit/campaignkit/constructs/golambda", gobuild.Options{}); err == nil {
		t.Error("non-main package accepted")
	}
}
