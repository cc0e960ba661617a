package edgerules_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/campaignkit/campaignkit/constructs/edgesite/edgerules"
)

// rewriteCase is one sample request path and the object path the edge must
// fetch, with clean URLs and in SPA mode.
type rewriteCase struct {
	path, clean, spa string
}

var rewriteCases = []rewriteCase{
	{"/", "/index.html", "/index.html"},
	{"", "/index.html", "/index.html"},
	{"/about", "/about/index.html", "/index.html"},
	{"/about/", "/about/index.html", "/index.html"},
	{"/blog/2026/launch", "/blog/2026/launch/index.html", "/index.html"},
	{"/v1.2/notes", "/v1.2/notes/index.html", "/index.html"},
	{"/index.html", "/index.html", "/index.html"},
	{"/about/index.html", "/about/index.html", "/about/index.html"},
	{"/robots.txt", "/robots.txt", "/robots.txt"},
	{"/favicon.ico", "/favicon.ico", "/favicon.ico"},
	{"/assets/app.3f9c2b.js", "/assets/app.3f9c2b.js", "/assets/app.3f9c2b.js"},
	{"/assets/fonts/inter", "/assets/fonts/inter", "/assets/fonts/inter"},
	{"/api/x", "/api/x", "/api/x"},
	{"/api/totals", "/api/totals", "/api/totals"},
	{"/api/donations/", "/api/donations/", "/api/donations/"},
	{"/apiary", "/apiary/index.html", "/index.html"},
}

func TestRewriteGoAndJavaScriptAgree(t *testing.T) {
	// GIVEN the same sample paths for clean-URL and SPA mode
	paths := make([]string, len(rewriteCases))
	for i, c := range rewriteCases {
		paths[i] = c.path
	}
	for _, mode := range []struct {
		name string
		cfg  edgerules.Config
		want func(rewriteCase) string
	}{
		{"clean", edgerules.Default(), func(c rewriteCase) string { return c.clean }},
		{"spa", func() edgerules.Config { c := edgerules.Default(); c.SPA = true; return c }(), func(c rewriteCase) string { return c.spa }},
	} {
		t.Run(mode.name, func(t *testing.T) {
			// WHEN the Go mirror and the CloudFront Function (under node) rewrite them
			js := runFunction(t, mode.cfg.FunctionSource(), paths)
			// THEN both give the expected object path
			for i, c := range rewriteCases {
				want := mode.want(c)
				if got := mode.cfg.Rewrite(c.path); got != want {
					t.Errorf("Go Rewrite(%q) = %q, want %q", c.path, got, want)
				}
				if js[i] != want {
					t.Errorf("JS rewrite(%q) = %q, want %q", c.path, js[i], want)
				}
			}
		})
	}
	if got := edgerules.Rewrite("/about"); got != "/about/index.html" {
		t.Errorf("package Rewrite(/about) = %q", got)
	}
}

func TestFunctionSourceBakesConfig(t *testing.T) {
	cfg := edgerules.Config{APIPrefix: "/backend/", AssetsPrefix: "/static/", SPA: true}
	src := cfg.FunctionSource()
	if !strings.Contains(src, `var CONFIG = {"apiPrefix":"/backend/","assetsPrefix":"/static/","spa":true};`) {
		t.Fatalf("config not baked in:\n%s", src)
	}
	if !strings.Contains(edgerules.FunctionJS(), `"spa":false`) {
		t.Error("embedded source lost its default config")
	}
	got := runFunction(t, src, []string{"/backend/x", "/static/x", "/about", "/api/x"})
	want := []string{"/backend/x", "/static/x", "/index.html", "/index.html"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("custom prefixes under node: got %v, want %v", got, want)
	}
	if len(src) > 10*1024 {
		t.Errorf("function is %d bytes; CloudFront Functions allow 10 KB", len(src))
	}
}

func TestClassifyAndCacheControl(t *testing.T) {
	cfg := edgerules.Default()
	for _, c := range []struct {
		key   string
		class edgerules.Class
		cc    string
	}{
		{"index.html", edgerules.ClassHTML, "no-cache"},
		{"/about/index.html", edgerules.ClassHTML, "no-cache"},
		{"assets/app.3f9c2b.js", edgerules.ClassAsset, "public, max-age=31536000, immutable"},
		{"/assets/img/logo.5e1.png", edgerules.ClassAsset, "public, max-age=31536000, immutable"},
		{"assets/embed.html", edgerules.ClassHTML, "no-cache"},
		{"robots.txt", edgerules.ClassOther, "public, max-age=300"},
		{"img/hero.jpg", edgerules.ClassOther, "public, max-age=300"},
		{"assetsx/a.js", edgerules.ClassOther, "public, max-age=300"},
	} {
		if got := cfg.Classify(c.key); got != c.class {
			t.Errorf("Classify(%q) = %v, want %v", c.key, got, c.class)
		}
		if got := cfg.CacheControl(c.key); got != c.cc {
			t.Errorf("CacheControl(%q) = %q, want %q", c.key, got, c.cc)
		}
	}
}

func TestHeaders(t *testing.T) {
	h := edgerules.DefaultHeaders()
	want := map[string]string{
		"Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
		"X-Content-Type-Options":    "nosniff",
		"X-Frame-Options":           "DENY",
		"Referrer-Policy":           "strict-origin-when-cross-origin",
	}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("default %s = %q, want %q", k, h[k], v)
		}
	}
	if !strings.HasPrefix(h["Content-Security-Policy"], "default-src 'self'") {
		t.Errorf("default CSP = %q", h["Content-Security-Policy"])
	}
	o := edgerules.Headers(map[string]string{"x-frame-options": "SAMEORIGIN", "Permissions-Policy": "", "x-campaign": "spring"})
	if o["X-Frame-Options"] != "SAMEORIGIN" || o["X-Campaign"] != "spring" {
		t.Errorf("override not applied: %v", o)
	}
	if _, ok := o["Permissions-Policy"]; ok {
		t.Error("empty override did not remove the header")
	}
	if edgerules.DefaultHeaders()["X-Frame-Options"] != "DENY" {
		t.Error("Headers changed the defaults")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := edgerules.Default().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []edgerules.Config{
		{APIPrefix: "/api", AssetsPrefix: "/assets/"},
		{APIPrefix: "/api/", AssetsPrefix: "assets/"},
		{APIPrefix: "/api/*", AssetsPrefix: "/assets/"},
		{APIPrefix: "/api/", AssetsPrefix: "/api/assets/"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func runFunction(t *testing.T, source string, uris []string) []string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not on PATH (run `. scripts/env.sh`): %v", err)
	}
	in, _ := json.Marshal(map[string]any{"source": source, "uris": uris})
	cmd := exec.Command(node, "testdata/run.js")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v: %s", err, stderr.String())
	}
	var got []string
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(uris) {
		t.Fatalf("node output %q: %v", out, err)
	}
	return got
}

// The local stack links this package; it must stay free of the CDK.
func TestNoCDKImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			if strings.Contains(imp.Path.Value, "aws-cdk-go") || strings.Contains(imp.Path.Value, "constructs-go") || strings.Contains(imp.Path.Value, "jsii") {
				t.Errorf("%s imports %s; edgerules must not depend on the CDK", f, imp.Path.Value)
			}
		}
	}
}
