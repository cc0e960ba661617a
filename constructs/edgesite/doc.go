// Package edgesite is the EdgeCachedSite construct: a campaign's static
// site and hot API reads served from CloudFront, so the crowd rarely
// reaches Lambda.
//
//	site := edgesite.New(stack, jsii.String("Site"), &edgesite.Props{
//		SiteDir:         jsii.String("site/dist"),
//		API:             &edgesite.APIOrigin{FunctionURL: tier.FunctionURL()},
//		MicroCachePaths: []string{"/api/totals"},
//		Domain:          &edgesite.Domain{Name: jsii.String("give.example.org"), HostedZone: zone},
//	})
//
// What it builds:
//
//   - A private S3 bucket (all public access blocked, SSE-S3, versioned,
//     TLS-only, server access logs) read by CloudFront through origin
//     access control, and a log bucket (expiring, TLS-only) for S3 and
//     CloudFront standard logs.
//   - A distribution with HTTP/2 and HTTP/3, compression, IPv6, a price
//     class (default 100), TLSv1.2_2021 minimum with a custom domain.
//   - Behaviors, in this order: AssetsPrefix* (a year, immutable), each
//     micro-cached API path (1–5 s, query string in the key, no cookies or
//     headers forwarded), APIPrefix* (caching disabled, all viewer headers
//     but Host, all methods, HTTPS only), and the default site behavior
//     (pages held HTMLEdgeTTL at the edge, revalidated by browsers).
//   - A viewer-request CloudFront Function (cloudfront-js-2.0) on the
//     default behavior only, doing the clean-URL or SPA rewrite of
//     package edgerules (not on assets: they all have file names, and every
//     invocation is billed). The API never sees it, so API 403/404 answers pass
//     through untouched. There are deliberately no distribution-wide custom
//     error responses: CloudFront applies them to every behavior, which would
//     turn API errors into HTML. A missing page is S3's 403 (the OAC may
//     only read objects, not list the bucket); a site-only 404 page would
//     need Lambda@Edge on origin responses, which this construct avoids.
//   - One response headers policy on every behavior (API included): HSTS
//     two years with subdomains and preload, a self-only CSP, nosniff,
//     frame DENY, strict-origin-when-cross-origin, a Permissions-Policy;
//     each overridable through Props.Headers.
//   - Deployment of SiteDir in three BucketDeployments (assets, then other
//     files, then pages), each with its Cache-Control, pruning scoped so
//     one never deletes another's files, and old fingerprinted assets kept
//     for pages still cached or open. No invalidation: pages leave the edge
//     within HTMLEdgeTTL (10 s by default) and assets change names.
//   - With Domain: an ACM certificate in us-east-1 validated in the Route 53
//     zone (or the one given), alias A and AAAA records.
//   - A WAF web ACL (scope CLOUDFRONT) with AWS managed IP-reputation and
//     common rule sets, a per-IP rate-based rule (2000 per 5 minutes by
//     default) and, on request, Bot Control.
//   - Alarms on the 5xx error rate and the p90 origin latency (CloudFront
//     additional metrics are switched on for the latter) to an SNS topic.
//
// # us-east-1
//
// CloudFront takes certificates and web ACLs only from us-east-1 and
// publishes its metrics only there. When the site's stack is in another
// region, New adds two companion stacks in us-east-1 to the same App or
// Stage: "<stack>-<id>-Edge" with the certificate and web ACL (the site's
// stack depends on it) and "<stack>-<id>-Alarms" with the alarms and their
// topic (it depends on the site's stack). Values cross regions through
// CDK's cross-region references (SSM parameters written by a custom
// resource); `cdk deploy --all` deploys them in order. The stack must then
// have an explicit Env.Region, and a HostedZone used for validation must be
// imported rather than created in the site's stack (it would be a cycle).
//
// # Limits worth knowing
//
//   - Without a custom domain CloudFront's default certificate fixes the
//     TLS policy at TLSv1 (cdk-nag CFR4 is suppressed with that reason).
//   - Lambda Function URLs behind OAC need signed bodies: browsers must send
//     x-amz-content-sha256 with POST/PUT bodies. Use an HTTP API origin
//     (APIOrigin.DomainName) if clients cannot.
//   - Micro-cached paths must answer the same to everyone; cookies and
//     headers are not forwarded to them.
//   - Buckets are retained when the stack is deleted (CDK's default).
package edgesite
