// Package gobuild compiles a Go main package into a Lambda `bootstrap`
// (provided.al2023, arm64 by default, CGO off, lambda.norpc, trimmed and
// stripped), zips it deterministically and names it by a hash of its
// source, not of the binary. It is CDK-free: golambda turns the zip into a
// CDK asset, and runtime tests (lambdart) build host bootstraps with it
// without linking the CDK.
package gobuild

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// BuildTags, Ldflags and the environment below are the Lambda build recipe
// (see reference/aws-limits.md: lambda.norpc removes ~2 MB).
const (
	BuildTags = "lambda.norpc"
	Ldflags   = "-s -w -buildid="
)

// CacheEnv names the environment variable that overrides where built zips are
// kept (default: the user cache dir, e.g. ~/.cache/campaignkit/golambda).
const CacheEnv = "CAMPAIGNKIT_BUILD_CACHE"

// zipEpoch is the modification time written into every zip entry so that the
// same binary always gives the same zip bytes.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Options tune one build. The zero value builds for Lambda arm64.
type Options struct {
	// Dir is where the go command runs (the module that contains Entry).
	// Default: the current working directory.
	Dir string
	// GOARCH is the target architecture. Default "arm64". Tests use
	// runtime.GOARCH to run the binary on the host.
	GOARCH string
	// CacheDir overrides the cache directory (default: $CAMPAIGNKIT_BUILD_CACHE
	// or the user cache dir).
	CacheDir string
}

// Artifact is the result of a build.
type Artifact struct {
	// Hash is the hex SHA-256 of everything that determines the binary: the
	// source of every package of the entry's own module it links, the
	// versions of the other modules, the toolchain version, and the recipe.
	Hash string
	// ZipPath is the deterministic zip holding the single file `bootstrap`.
	ZipPath string
	// BinaryPath is the unzipped `bootstrap` next to the zip.
	BinaryPath string
	// BinarySize is the size in bytes of `bootstrap`.
	BinarySize int64
	// ImportPath is the entry's Go import path.
	ImportPath string
}

// ErrNotMain is returned when the entry is not a `package main`.
var ErrNotMain = errors.New("gobuild: entry is not a main package")

type listedPackage struct {
	ImportPath string
	Name       string
	Dir        string
	Standard   bool
	GoFiles    []string
	EmbedFiles []string
	Module     *struct {
		Path    string
		Version string
		Sum     string
		Main    bool
		Dir     string
		GoMod   string
		Replace *struct {
			Path    string
			Version string
			Dir     string
		}
	}
	Error *struct{ Err string }
}

var buildMu sync.Map // hash -> *sync.Mutex, serialises identical builds in one process

// Build compiles entry (an import path or a ./relative directory) for Lambda
// and returns its artifact, reusing a cached zip when the source hash is
// unchanged.
func Build(entry string, opts Options) (*Artifact, error) {
	if strings.TrimSpace(entry) == "" {
		return nil, errors.New("gobuild: Entry is empty; set it to the Go package of the handler, e.g. \"./lambdas/hello\"")
	}
	goarch := opts.GOARCH
	if goarch == "" {
		goarch = "arm64"
	}
	env := buildEnv(goarch)
	pkgs, err := listDeps(entry, opts.Dir, env)
	if err != nil {
		return nil, err
	}
	main := pkgs[len(pkgs)-1]
	if main.Name != "main" {
		return nil, fmt.Errorf("%w: %s is package %s", ErrNotMain, main.ImportPath, main.Name)
	}
	goVersion, err := goEnv(opts.Dir, "GOVERSION")
	if err != nil {
		return nil, err
	}
	hash, err := sourceHash(pkgs, goVersion, goarch)
	if err != nil {
		return nil, err
	}
	cacheDir, err := cacheDir(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	outDir := filepath.Join(cacheDir, hash)
	art := &Artifact{
		Hash:       hash,
		ZipPath:    filepath.Join(outDir, "bootstrap.zip"),
		BinaryPath: filepath.Join(outDir, "bootstrap"),
		ImportPath: main.ImportPath,
	}
	mu, _ := buildMu.LoadOrStore(hash, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	if st, err := os.Stat(art.BinaryPath); err == nil {
		if _, err := os.Stat(art.ZipPath); err == nil {
			art.BinarySize = st.Size()
			return art, nil
		}
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("gobuild: create cache dir: %w", err)
	}
	tmp, err := os.MkdirTemp(cacheDir, "build-*")
	if err != nil {
		return nil, fmt.Errorf("gobuild: temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", BuildTags, "-trimpath", "-buildvcs=false",
		"-ldflags", Ldflags, "-o", bin, main.ImportPath)
	cmd.Dir = opts.Dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("gobuild: go build %s (GOOS=linux GOARCH=%s): %w\n%s", main.ImportPath, goarch, err, out.String())
	}
	if err := writeZip(bin, filepath.Join(tmp, "bootstrap.zip")); err != nil {
		return nil, err
	}
	// Publish atomically: a concurrent process either sees nothing or a whole dir.
	if err := os.Rename(tmp, outDir); err != nil && !errors.Is(err, os.ErrExist) {
		if _, statErr := os.Stat(art.ZipPath); statErr != nil {
			return nil, fmt.Errorf("gobuild: publish build: %w", err)
		}
	}
	st, err := os.Stat(art.BinaryPath)
	if err != nil {
		return nil, fmt.Errorf("gobuild: stat bootstrap: %w", err)
	}
	art.BinarySize = st.Size()
	return art, nil
}

func buildEnv(goarch string) []string {
	env := make([]string, 0, len(os.Environ())+4)
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "GOOS", "GOARCH", "CGO_ENABLED", "GOFLAGS", "GOARM64", "GOAMD64":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
}

func goEnv(dir, key string) (string, error) {
	cmd := exec.Command("go", "env", key)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("gobuild: go env %s: %w", key, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func listDeps(entry, dir string, env []string) ([]listedPackage, error) {
	cmd := exec.Command("go", "list", "-deps", "-json", "-tags", BuildTags, entry)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("gobuild: go list %s: %w\n%s", entry, err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	var pkgs []listedPackage
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("gobuild: decode go list output: %w", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("gobuild: package %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("gobuild: go list %s returned no packages", entry)
	}
	return pkgs, nil
}

// sourceHash hashes what determines the binary, independent of where the
// checkout lives: file paths are taken relative to their module root.
func sourceHash(pkgs []listedPackage, goVersion, goarch string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "recipe\x00%s\x00linux/%s\x00cgo=0\x00tags=%s\x00ldflags=%s\x00trimpath\n", goVersion, goarch, BuildTags, Ldflags)
	sort.Slice(pkgs[:len(pkgs)-1], func(i, j int) bool { return pkgs[i].ImportPath < pkgs[j].ImportPath })
	for _, p := range pkgs {
		if p.Standard {
			continue // covered by the toolchain version
		}
		fmt.Fprintf(h, "pkg\x00%s\n", p.ImportPath)
		local := p.Module == nil || p.Module.Main || (p.Module.Replace != nil && p.Module.Replace.Version == "")
		if !local {
			fmt.Fprintf(h, "mod\x00%s@%s\x00%s\n", p.Module.Path, p.Module.Version, p.Module.Sum)
			if p.Module.Replace != nil {
				fmt.Fprintf(h, "replace\x00%s@%s\n", p.Module.Replace.Path, p.Module.Replace.Version)
			}
			continue
		}
		files := append(append([]string{}, p.GoFiles...), p.EmbedFiles...)
		sort.Strings(files)
		for _, f := range files {
			if err := hashFile(h, p.Dir, f); err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(h io.Writer, dir, name string) error {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("gobuild: hash source: %w", err)
	}
	defer f.Close()
	fmt.Fprintf(h, "file\x00%s\x00", filepath.ToSlash(name))
	if _, err := io.Copy(h, bufio.NewReader(f)); err != nil {
		return fmt.Errorf("gobuild: hash %s: %w", name, err)
	}
	_, err = h.Write([]byte{0})
	return err
}

func cacheDir(override string) (string, error) {
	if override != "" {
		return override, nil
	}
	if d := os.Getenv(CacheEnv); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("gobuild: no cache dir (set %s): %w", CacheEnv, err)
	}
	return filepath.Join(base, "campaignkit", "golambda"), nil
}

// writeZip writes a zip with the single executable entry `bootstrap`, a fixed
// timestamp and fixed compression so equal binaries give equal bytes.
func writeZip(bin, dst string) error {
	data, err := os.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("gobuild: read bootstrap: %w", err)
	}
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("gobuild: create zip: %w", err)
	}
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: zipEpoch}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("gobuild: write zip: %w", err)
	}
	return nil
}
