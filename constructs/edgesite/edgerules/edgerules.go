// Package edgerules is the behaviour of the EdgeCachedSite edge as plain Go
// data and code: URL rewriting (clean URLs, optional SPA fallback), the
// Cache-Control each file gets, and the default security headers. The CDK
// construct (package edgesite) builds the CloudFront distribution from it,
// and the local stack serves the static site with it, so both behave alike.
// It does not import the CDK.
package edgerules

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/textproto"
	"regexp"
	"sort"
	"strings"
)

// Cache-Control values by cache class.
const (
	// ImmutableCacheControl is sent with fingerprinted assets: a new
	// version gets a new name, so browsers and CloudFront keep them a year.
	ImmutableCacheControl = "public, max-age=31536000, immutable"
	// HTMLCacheControl is sent with pages: browsers revalidate on every
	// load (a cheap 304 from the edge); CloudFront holds them for the
	// construct's short HTML edge TTL.
	HTMLCacheControl = "no-cache"
	// DefaultCacheControl is sent with every other file (robots.txt,
	// favicon, images outside the assets folder): short, since the name
	// does not change when the content does.
	DefaultCacheControl = "public, max-age=300"
)

// Class is the cache class of a file in the site.
type Class int

const (
	// ClassOther is a file that is neither a page nor a fingerprinted asset.
	ClassOther Class = iota
	// ClassAsset is a fingerprinted asset (under the assets prefix).
	ClassAsset
	// ClassHTML is a page (name ends in .html), wherever it lives.
	ClassHTML
)

// String names the class ("asset", "html", "other").
func (c Class) String() string {
	switch c {
	case ClassAsset:
		return "asset"
	case ClassHTML:
		return "html"
	default:
		return "other"
	}
}

// CacheControl is the Cache-Control header value of the class.
func (c Class) CacheControl() string {
	switch c {
	case ClassAsset:
		return ImmutableCacheControl
	case ClassHTML:
		return HTMLCacheControl
	default:
		return DefaultCacheControl
	}
}

// Config is what the edge needs to know about the site.
type Config struct {
	// APIPrefix is the path prefix routed to the API, never rewritten
	// ("/api/").
	APIPrefix string `json:"apiPrefix"`
	// AssetsPrefix is the path prefix of fingerprinted assets, cached
	// immutably and never rewritten ("/assets/").
	AssetsPrefix string `json:"assetsPrefix"`
	// SPA sends every extensionless site path to /index.html (a single-page
	// app's router takes over); otherwise /about maps to /about/index.html.
	SPA bool `json:"spa"`
}

// Default is the configuration the construct uses unless told otherwise.
func Default() Config {
	return Config{APIPrefix: "/api/", AssetsPrefix: "/assets/"}
}

// Validate reports a prefix that is not of the form "/name/".
func (c Config) Validate() error {
	for _, p := range []struct{ name, v string }{{"APIPrefix", c.APIPrefix}, {"AssetsPrefix", c.AssetsPrefix}} {
		if len(p.v) < 3 || !strings.HasPrefix(p.v, "/") || !strings.HasSuffix(p.v, "/") || strings.ContainsAny(p.v, "*? ") {
			return fmt.Errorf("edgerules: %s %q must look like \"/name/\" (leading and trailing slash, no wildcards)", p.name, p.v)
		}
	}
	if strings.HasPrefix(c.APIPrefix, c.AssetsPrefix) || strings.HasPrefix(c.AssetsPrefix, c.APIPrefix) {
		return fmt.Errorf("edgerules: APIPrefix %q and AssetsPrefix %q must not overlap", c.APIPrefix, c.AssetsPrefix)
	}
	return nil
}

// Rewrite maps a request path to the object key path the edge fetches,
// exactly like the CloudFront Function (rewrite.js): "/" and "" become
// "/index.html"; API and asset paths and paths whose last segment has a
// file extension are untouched; other paths get "/index.html" appended
// ("/about" and "/about/" become "/about/index.html"), or become
// "/index.html" in SPA mode.
func (c Config) Rewrite(path string) string {
	if path == "" || path == "/" {
		return "/index.html"
	}
	if strings.HasPrefix(path, c.APIPrefix) || strings.HasPrefix(path, c.AssetsPrefix) {
		return path
	}
	last := path[strings.LastIndex(path, "/")+1:]
	if strings.Contains(last, ".") {
		return path
	}
	if c.SPA {
		return "/index.html"
	}
	if last == "" {
		return path + "index.html"
	}
	return path + "/index.html"
}

// Rewrite is Default().Rewrite.
func Rewrite(path string) string { return Default().Rewrite(path) }

// Classify returns the cache class of an object key or path ("about/index.html"
// or "/assets/app.3f9c.js"). Pages win over the assets prefix, so an HTML
// file is always revalidated.
func (c Config) Classify(key string) Class {
	p := "/" + strings.TrimPrefix(key, "/")
	switch {
	case strings.HasSuffix(p, ".html"):
		return ClassHTML
	case strings.HasPrefix(p, c.AssetsPrefix):
		return ClassAsset
	default:
		return ClassOther
	}
}

// CacheControl is the Cache-Control header a file gets when deployed (and
// when the local stack serves it).
func (c Config) CacheControl(key string) string { return c.Classify(key).CacheControl() }

//go:embed rewrite.js
var functionJS string

// FunctionJS is the CloudFront Function source as written, with the
// default configuration.
func FunctionJS() string { return functionJS }

var configLine = regexp.MustCompile(`(?m)^var CONFIG = .*;$`)

// FunctionSource is the CloudFront Function source with c baked in.
func (c Config) FunctionSource() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("edgerules: marshal config: %v", err)) // a struct of strings and a bool always marshals
	}
	if !configLine.MatchString(functionJS) {
		panic("edgerules: rewrite.js lost its `var CONFIG = ...;` line")
	}
	return configLine.ReplaceAllLiteralString(functionJS, "var CONFIG = "+string(b)+";")
}

// Security header names with a typed setting at the edge.
const (
	HeaderHSTS           = "Strict-Transport-Security"
	HeaderCSP            = "Content-Security-Policy"
	HeaderContentType    = "X-Content-Type-Options"
	HeaderFrameOptions   = "X-Frame-Options"
	HeaderReferrerPolicy = "Referrer-Policy"
	HeaderXSSProtection  = "X-Xss-Protection"
)

// DefaultHeaders returns the strict security headers sent with every
// response (site, assets and API), keyed by canonical header name.
func DefaultHeaders() map[string]string {
	return map[string]string{
		HeaderHSTS:           "max-age=63072000; includeSubDomains; preload",
		HeaderCSP:            "default-src 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; img-src 'self' data:",
		HeaderContentType:    "nosniff",
		HeaderFrameOptions:   "DENY",
		HeaderReferrerPolicy: "strict-origin-when-cross-origin",
		"Permissions-Policy": "camera=(), microphone=(), geolocation=()",
	}
}

// Headers returns DefaultHeaders with overrides applied: a header name is
// matched case-insensitively, a value replaces the default, an empty value
// removes the header.
func Headers(overrides map[string]string) map[string]string {
	h := DefaultHeaders()
	for _, k := range sortedKeys(overrides) {
		name := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k))
		if v := strings.TrimSpace(overrides[k]); v == "" {
			delete(h, name)
		} else {
			h[name] = v
		}
	}
	return h
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
