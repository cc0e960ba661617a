package edgesite

import (
	"errors"
	"fmt"
	"math"
	"net/textproto"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/edgesite/edgerules"
)

// Props configure an EdgeCachedSite. The zero value (nil props work too) is
// a site with a default CloudFront certificate, WAF on, no API and no
// content deployed.
type Props struct {
	// SiteDir is the local folder with the built static site. It is
	// deployed with one BucketDeployment per cache class (assets, other
	// files, then pages), each setting the Cache-Control of edgerules.
	// Default: nothing is deployed (another pipeline fills the bucket).
	SiteDir *string
	// SPA sends every extensionless site path to /index.html. Default:
	// false (clean URLs: /about serves /about/index.html).
	SPA *bool
	// AssetsPrefix is the path prefix of fingerprinted assets, cached for a
	// year as immutable. Default: "/assets/".
	AssetsPrefix *string
	// APIPrefix is the path prefix routed to API. Default: "/api/".
	APIPrefix *string
	// HTMLEdgeTTL is how long CloudFront keeps pages and other non-asset
	// files without asking S3 again; browsers revalidate pages on every
	// load. It bounds how stale a page is after a deploy, so no
	// invalidation is needed. 0 sends every page request to S3 (mind S3's
	// 5,500 GET/s per prefix). Default: 10 seconds. Range 0..3600 s.
	HTMLEdgeTTL awscdk.Duration
	// PriceClass selects the edge locations. Default: PRICE_CLASS_100
	// (North America and Europe; cheapest).
	PriceClass awscloudfront.PriceClass
	// Headers overrides the security headers of edgerules.DefaultHeaders,
	// sent with every response (site, assets and API). Names match
	// case-insensitively; an empty value removes the header; other names
	// become custom headers. Default: the strict defaults unchanged.
	Headers map[string]string
	// API is the origin of APIPrefix (a ScalableWebTier's Function URL or
	// HTTP API). Default: no API behavior.
	API *APIOrigin
	// MicroCachePaths are hot public GET paths under APIPrefix (e.g.
	// "/api/totals") cached at the edge for MicroCacheTTL, so a million
	// readers cost one origin call per edge cache per TTL. The response
	// must be the same for everyone: cookies and headers are neither in
	// the cache key nor forwarded. Default: none.
	MicroCachePaths []string
	// MicroCacheTTL is the edge TTL of MicroCachePaths, 1..5 s (whole
	// seconds). Default: 2 seconds.
	MicroCacheTTL awscdk.Duration
	// Domain serves the site on a custom domain. Default: the
	// distribution's *.cloudfront.net name.
	Domain *Domain
	// WAF configures the CloudFront web ACL. Default: on, with AWS managed
	// common and IP-reputation rules and a per-IP rate limit.
	WAF *WAF
	// AlarmTopic receives the 5xx-rate and origin-latency alarms. CloudFront
	// metrics exist only in us-east-1, so the topic must be in us-east-1.
	// Default: a topic created next to the alarms.
	AlarmTopic awssns.ITopic
	// ErrorRateThreshold is the 5xx error rate (percent of requests,
	// 1-minute average, 3 of 5 minutes) that raises an alarm. Default: 5.
	ErrorRateThreshold *float64
	// OriginLatencyThreshold is the p90 origin latency (3 of 5 minutes)
	// that raises an alarm. Default: 2 seconds.
	OriginLatencyThreshold awscdk.Duration
	// AdditionalMetrics turns on CloudFront's additional metrics (origin
	// latency, error rates by status; about 8 custom metrics billed per
	// month). Without them there is no origin-latency alarm. Default: true.
	AdditionalMetrics *bool
	// LogRetentionDays is how long CloudFront and S3 access logs are kept.
	// Default: 90.
	LogRetentionDays *float64
}

// APIOrigin is where APIPrefix goes: exactly one of FunctionURL or
// DomainName. It is a plain struct so edgesite needs nothing from the
// webtier package.
type APIOrigin struct {
	// FunctionURL is a Lambda Function URL with AuthType AWS_IAM, reached
	// through origin access control (CloudFront signs every request).
	// Note: with OAC, POST and PUT bodies must be signed too, so browsers
	// must send an x-amz-content-sha256 header with the body's SHA-256.
	FunctionURL awslambda.IFunctionUrl
	// DomainName is an HTTPS origin's host name, e.g. an HTTP API's
	// "abc123.execute-api.eu-west-1.amazonaws.com".
	DomainName *string
	// OriginPath is prepended to the request path at the origin (an HTTP
	// API stage such as "/prod"). Default: none.
	OriginPath *string
}

// Domain is a custom domain for the site.
type Domain struct {
	// Name is the fully qualified name, e.g. "give.example.org". Required.
	Name *string
	// HostedZone is the Route 53 zone of Name: alias A and AAAA records
	// are created in it, and the certificate is validated through it.
	// When the stack is not in us-east-1 it must be imported (e.g.
	// HostedZone_FromHostedZoneAttributes), not created in this stack.
	// Default: no DNS records (CertificateARN is then required).
	HostedZone awsroute53.IHostedZone
	// CertificateARN is an ACM certificate in us-east-1 covering Name.
	// Default: one is created in us-east-1 with DNS validation in
	// HostedZone.
	CertificateARN *string
}

// WAF configures the web ACL in front of the distribution (scope
// CLOUDFRONT, so it lives in us-east-1).
type WAF struct {
	// Disabled removes the web ACL. Default: false.
	Disabled *bool
	// WebACLArn uses an existing CLOUDFRONT-scope web ACL instead of
	// creating one. Default: one is created.
	WebACLArn *string
	// RateLimit is the per-IP limit of requests per 5 minutes before the
	// rate-based rule blocks. Raise it when many users share an IP
	// (carrier-grade NAT, offices, event venues). Default: 2000.
	RateLimit *float64
	// BotControl adds the AWS managed Bot Control rule group (common
	// inspection level; billed per request). Default: false.
	BotControl *bool
}

const (
	defaultHTMLEdgeTTL     = 10
	defaultMicroCacheTTL   = 2
	defaultErrorRate       = 5.0
	defaultOriginLatencyMS = 2000
	defaultRateLimit       = 2000.0
	defaultLogRetention    = 90.0
	usEast1                = "us-east-1"
)

// withDefaults returns a copy of p with every default applied; the caller's
// struct is never changed.
func (p *Props) withDefaults() Props {
	var c Props
	if p != nil {
		c = *p
	}
	if c.SPA == nil {
		c.SPA = jsii.Bool(false)
	}
	def := edgerules.Default()
	if c.AssetsPrefix == nil {
		c.AssetsPrefix = jsii.String(def.AssetsPrefix)
	}
	if c.APIPrefix == nil {
		c.APIPrefix = jsii.String(def.APIPrefix)
	}
	if c.HTMLEdgeTTL == nil {
		c.HTMLEdgeTTL = awscdk.Duration_Seconds(jsii.Number(defaultHTMLEdgeTTL))
	}
	if c.PriceClass == "" {
		c.PriceClass = awscloudfront.PriceClass_PRICE_CLASS_100
	}
	if c.MicroCacheTTL == nil {
		c.MicroCacheTTL = awscdk.Duration_Seconds(jsii.Number(defaultMicroCacheTTL))
	}
	w := WAF{}
	if c.WAF != nil {
		w = *c.WAF
	}
	if w.Disabled == nil {
		w.Disabled = jsii.Bool(false)
	}
	if w.RateLimit == nil {
		w.RateLimit = jsii.Number(defaultRateLimit)
	}
	if w.BotControl == nil {
		w.BotControl = jsii.Bool(false)
	}
	c.WAF = &w
	if c.ErrorRateThreshold == nil {
		c.ErrorRateThreshold = jsii.Number(defaultErrorRate)
	}
	if c.OriginLatencyThreshold == nil {
		c.OriginLatencyThreshold = awscdk.Duration_Millis(jsii.Number(defaultOriginLatencyMS))
	}
	if c.AdditionalMetrics == nil {
		c.AdditionalMetrics = jsii.Bool(true)
	}
	if c.LogRetentionDays == nil {
		c.LogRetentionDays = jsii.Number(defaultLogRetention)
	}
	return c
}

func (p *Props) rules() edgerules.Config {
	return edgerules.Config{APIPrefix: *p.APIPrefix, AssetsPrefix: *p.AssetsPrefix, SPA: *p.SPA}
}

// Validate reports every problem with the props (defaults applied), one
// line each, naming the prop and the fix.
func (p *Props) Validate() error {
	c := p.withDefaults()
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("edgesite: "+format, args...)) }

	if err := c.rules().Validate(); err != nil {
		add("%s", strings.TrimPrefix(err.Error(), "edgerules: "))
	}
	if c.SiteDir != nil && strings.TrimSpace(*c.SiteDir) == "" {
		add("SiteDir is empty; set it to the built site's folder or leave it nil to deploy nothing")
	}
	if s, ok := seconds(c.HTMLEdgeTTL); ok && (s < 0 || s > 3600) {
		add("HTMLEdgeTTL (%gs) must be within 0..3600 seconds; pages are revalidated by browsers and the edge TTL bounds staleness after a deploy", s)
	}
	switch c.PriceClass {
	case awscloudfront.PriceClass_PRICE_CLASS_100, awscloudfront.PriceClass_PRICE_CLASS_200, awscloudfront.PriceClass_PRICE_CLASS_ALL:
	default:
		add("PriceClass %q is not a CloudFront price class; use awscloudfront.PriceClass_PRICE_CLASS_100, _200 or _ALL", c.PriceClass)
	}
	errs = append(errs, validateHeaders(c.Headers)...)

	if a := c.API; a != nil {
		hasURL, hasDomain := a.FunctionURL != nil, a.DomainName != nil && *a.DomainName != ""
		switch {
		case hasURL == hasDomain:
			add("API must set exactly one of FunctionURL (Lambda Function URL, reached with OAC) or DomainName (HTTP API host)")
		case hasDomain && strings.Contains(*a.DomainName, "/"):
			add("API.DomainName %q must be a host name without scheme or path (put a stage in API.OriginPath)", *a.DomainName)
		}
		if a.OriginPath != nil && (!strings.HasPrefix(*a.OriginPath, "/") || strings.HasSuffix(*a.OriginPath, "/")) {
			add("API.OriginPath %q must start with \"/\" and not end with one, e.g. \"/prod\"", *a.OriginPath)
		}
	}
	if len(c.MicroCachePaths) > 0 {
		if c.API == nil {
			add("MicroCachePaths need API: micro-caching applies to API paths")
		}
		if s, ok := seconds(c.MicroCacheTTL); ok && (s < 1 || s > 5 || s != math.Trunc(s)) {
			add("MicroCacheTTL (%gs) must be a whole number of seconds within 1..5; longer TTLs serve stale totals, use a page for that", s)
		}
		seen := map[string]bool{}
		for _, path := range c.MicroCachePaths {
			switch {
			case !strings.HasPrefix(path, *c.APIPrefix) || path == *c.APIPrefix+"*":
				add("MicroCachePaths entry %q must be a path under %s (e.g. %stotals), not the whole API", path, *c.APIPrefix, *c.APIPrefix)
			case seen[path]:
				add("MicroCachePaths lists %q twice", path)
			}
			seen[path] = true
		}
	}
	if d := c.Domain; d != nil {
		if d.Name == nil || !strings.Contains(*d.Name, ".") || strings.ContainsAny(*d.Name, "/: ") {
			add("Domain.Name must be a fully qualified domain name such as \"give.example.org\"")
		}
		if d.HostedZone == nil && d.CertificateARN == nil {
			add("Domain needs HostedZone (certificate validated and alias records created there) or CertificateARN (an existing us-east-1 certificate)")
		}
		if arn := d.CertificateARN; arn != nil && !*awscdk.Token_IsUnresolved(arn) {
			if parts := strings.Split(*arn, ":"); len(parts) < 6 || parts[2] != "acm" || parts[3] != usEast1 {
				add("Domain.CertificateARN %q must be an ACM certificate in us-east-1 (CloudFront only uses certificates from there)", *arn)
			}
		}
	}
	if w := c.WAF; !*w.Disabled {
		if r := *w.RateLimit; r < 10 || r > 2e9 || r != math.Trunc(r) {
			add("WAF.RateLimit (%g) must be a whole number of requests per 5 minutes within 10..2000000000", r)
		}
		if arn := w.WebACLArn; arn != nil && !*awscdk.Token_IsUnresolved(arn) && !strings.Contains(*arn, ":global/webacl/") {
			add("WAF.WebACLArn %q must be a CLOUDFRONT-scope (global) web ACL ARN, arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>", *arn)
		}
	} else if w.WebACLArn != nil {
		add("WAF.WebACLArn is set but WAF.Disabled is true; drop one of them")
	}
	if r := *c.ErrorRateThreshold; r <= 0 || r > 100 {
		add("ErrorRateThreshold (%g) must be a percentage within (0, 100]", r)
	}
	if ms, ok := millis(c.OriginLatencyThreshold); ok && ms <= 0 {
		add("OriginLatencyThreshold must be positive")
	}
	if d := *c.LogRetentionDays; d < 1 || d != math.Trunc(d) {
		add("LogRetentionDays (%g) must be a whole number of days ≥ 1", d)
	}
	if t := c.AlarmTopic; t != nil {
		if r := t.Env().Region; r != nil && !*awscdk.Token_IsUnresolved(r) && *r != usEast1 {
			add("AlarmTopic is in %s; CloudFront metrics and so its alarms live in us-east-1, give a us-east-1 topic or leave it nil", *r)
		}
	}
	return errors.Join(errs...)
}

// securityHeaderValues are the values CloudFront accepts for the typed
// security headers.
var (
	referrerPolicies = map[string]awscloudfront.HeadersReferrerPolicy{
		"no-referrer":                     awscloudfront.HeadersReferrerPolicy_NO_REFERRER,
		"no-referrer-when-downgrade":      awscloudfront.HeadersReferrerPolicy_NO_REFERRER_WHEN_DOWNGRADE,
		"origin":                          awscloudfront.HeadersReferrerPolicy_ORIGIN,
		"origin-when-cross-origin":        awscloudfront.HeadersReferrerPolicy_ORIGIN_WHEN_CROSS_ORIGIN,
		"same-origin":                     awscloudfront.HeadersReferrerPolicy_SAME_ORIGIN,
		"strict-origin":                   awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN,
		"strict-origin-when-cross-origin": awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
		"unsafe-url":                      awscloudfront.HeadersReferrerPolicy_UNSAFE_URL,
	}
	frameOptions = map[string]awscloudfront.HeadersFrameOption{
		"DENY":       awscloudfront.HeadersFrameOption_DENY,
		"SAMEORIGIN": awscloudfront.HeadersFrameOption_SAMEORIGIN,
	}
)

func validateHeaders(overrides map[string]string) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("edgesite: "+format, args...)) }
	h := edgerules.Headers(overrides)
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		v := h[name]
		switch name {
		case edgerules.HeaderHSTS:
			if _, _, _, err := parseHSTS(v); err != nil {
				add("Headers[%q] %q: %v", name, v, err)
			}
		case edgerules.HeaderCSP:
			if len(v) > 1783 {
				add("Headers[%q] is %d characters; CloudFront allows 1783", name, len(v))
			}
		case edgerules.HeaderContentType:
			if v != "nosniff" {
				add("Headers[%q] %q: the only value is \"nosniff\" (or \"\" to drop it)", name, v)
			}
		case edgerules.HeaderFrameOptions:
			if _, ok := frameOptions[strings.ToUpper(v)]; !ok {
				add("Headers[%q] %q: use DENY or SAMEORIGIN (or \"\" to drop it)", name, v)
			}
		case edgerules.HeaderReferrerPolicy:
			if _, ok := referrerPolicies[strings.ToLower(v)]; !ok {
				add("Headers[%q] %q is not a referrer policy CloudFront sets (e.g. strict-origin-when-cross-origin)", name, v)
			}
		case edgerules.HeaderXSSProtection:
			if _, _, err := parseXSS(v); err != nil {
				add("Headers[%q] %q: %v", name, v, err)
			}
		default:
			if textproto.CanonicalMIMEHeaderKey(name) != name || strings.ContainsAny(name, " :") {
				add("Headers key %q is not a valid header name", name)
			}
		}
	}
	return errs
}

func seconds(d awscdk.Duration) (float64, bool) {
	if d == nil || *d.IsUnresolved() {
		return 0, false
	}
	return *d.ToSeconds(&awscdk.TimeConversionOptions{Integral: jsii.Bool(false)}), true
}

func millis(d awscdk.Duration) (float64, bool) {
	if d == nil || *d.IsUnresolved() {
		return 0, false
	}
	return *d.ToMilliseconds(&awscdk.TimeConversionOptions{Integral: jsii.Bool(false)}), true
}
