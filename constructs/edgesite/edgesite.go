package edgesite

import (
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/edgesite/edgerules"
	"github.com/campaignkit/campaignkit/internal/nag"
)

// Site is an EdgeCachedSite: a private S3 bucket behind a CloudFront
// distribution, with the API and the us-east-1 parts wired in.
type Site struct {
	c            constructs.Construct
	bucket       awss3.Bucket
	logBucket    awss3.Bucket
	distribution awscloudfront.Distribution
	function     awscloudfront.Function
	headers      awscloudfront.ResponseHeadersPolicy
	webACLArn    *string
	url          *string
	globalStack  awscdk.Stack
	alarmStack   awscdk.Stack
	alarms       []awscloudwatch.Alarm
	deployments  []awss3deployment.BucketDeployment
	rules        edgerules.Config
}

// New creates an EdgeCachedSite under scope. It panics with the props'
// validation error (see Props.Validate), as CDK constructs do.
func New(scope constructs.Construct, id *string, props *Props) *Site {
	if err := props.Validate(); err != nil {
		panic(err)
	}
	p := props.withDefaults()
	stack := awscdk.Stack_Of(scope)
	region := stack.Region()
	regionKnown := !*awscdk.Token_IsUnresolved(region)
	inUSEast1 := regionKnown && *region == usEast1

	createCert := p.Domain != nil && p.Domain.CertificateARN == nil
	createACL := !*p.WAF.Disabled && p.WAF.WebACLArn == nil
	if (createCert || createACL) && !regionKnown {
		panic(fmt.Errorf("edgesite: stack %s has no explicit region, so the us-east-1 certificate and web ACL cannot be placed; set the stack's Env.Region, or give Domain.CertificateARN and WAF.WebACLArn (or WAF.Disabled)", *stack.Node().Path()))
	}
	if createCert && !inUSEast1 && p.Domain.HostedZone != nil && *awscdk.Token_IsUnresolved(p.Domain.HostedZone.HostedZoneId()) {
		panic(fmt.Errorf("edgesite: Domain.HostedZone is created in a stack, but the certificate is validated from a us-east-1 companion stack that this stack depends on; import the zone (awsroute53.HostedZone_FromHostedZoneAttributes) or give Domain.CertificateARN"))
	}

	c := constructs.NewConstruct(scope, id)
	s := &Site{c: c, rules: p.rules()}

	// Certificate and web ACL live in us-east-1: here if the stack is
	// there, else in a companion stack this one depends on.
	var global constructs.Construct = c
	if (createCert || createACL) && !inUSEast1 {
		s.globalStack = companionStack(stack, *id, "Edge", "certificate and WAF web ACL of "+*c.Node().Path()+" (CloudFront requires us-east-1)")
		global = s.globalStack
	}

	s.logBucket = newLogBucket(c, *p.LogRetentionDays)
	s.bucket = newSiteBucket(c, s.logBucket)
	s.headers = newHeadersPolicy(c, edgerules.Headers(p.Headers))
	s.function = awscloudfront.NewFunction(c, jsii.String("Rewrite"), &awscloudfront.FunctionProps{
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(s.rules.FunctionSource())),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Comment: jsii.String("campaignkit edgesite: clean URLs / SPA fallback for site paths (never the API)"),
	})

	siteOrigin := awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(s.bucket, &awscloudfrontorigins.S3BucketOriginWithOACProps{
		OriginAccessLevels: &[]awscloudfront.AccessLevel{awscloudfront.AccessLevel_READ},
	})
	rewrite := &[]*awscloudfront.FunctionAssociation{{Function: s.function, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST}}

	var cert awscertificatemanager.ICertificate
	var domainNames *[]*string
	if d := p.Domain; d != nil {
		domainNames = &[]*string{d.Name}
		if d.CertificateARN != nil {
			cert = awscertificatemanager.Certificate_FromCertificateArn(c, jsii.String("Certificate"), d.CertificateARN)
		} else {
			cert = awscertificatemanager.NewCertificate(global, jsii.String(certID(*id)), &awscertificatemanager.CertificateProps{
				DomainName: d.Name,
				Validation: awscertificatemanager.CertificateValidation_FromDns(d.HostedZone),
			})
		}
	}
	if !*p.WAF.Disabled {
		if p.WAF.WebACLArn != nil {
			s.webACLArn = p.WAF.WebACLArn
		} else {
			s.webACLArn = newWebACL(global, aclID(*id), p.WAF).AttrArn()
		}
	}

	dp := &awscloudfront.DistributionProps{
		Comment: jsii.String("campaignkit edgesite " + *c.Node().Path()),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                siteOrigin,
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD_OPTIONS(),
			CachedMethods:         awscloudfront.CachedMethods_CACHE_GET_HEAD_OPTIONS(),
			CachePolicy:           newPageCachePolicy(c, p.HTMLEdgeTTL),
			ResponseHeadersPolicy: s.headers,
			FunctionAssociations:  rewrite,
			Compress:              jsii.Bool(true),
		},
		HttpVersion:              awscloudfront.HttpVersion_HTTP2_AND_3,
		PriceClass:               p.PriceClass,
		EnableIpv6:               jsii.Bool(true),
		EnableLogging:            jsii.Bool(true),
		LogBucket:                s.logBucket,
		LogFilePrefix:            jsii.String("cloudfront/"),
		PublishAdditionalMetrics: p.AdditionalMetrics,
		WebAclId:                 s.webACLArn,
	}
	if cert != nil {
		dp.Certificate = cert
		dp.DomainNames = domainNames
		dp.MinimumProtocolVersion = awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021
		dp.SslSupportMethod = awscloudfront.SSLMethod_SNI
	}
	s.distribution = awscloudfront.NewDistribution(c, jsii.String("Distribution"), dp)
	dist := s.distribution

	// Fingerprinted assets: a year, immutable. No rewrite function: every
	// asset has a file name, and each invocation is billed.
	dist.AddBehavior(jsii.String(*p.AssetsPrefix+"*"), siteOrigin, &awscloudfront.AddBehaviorOptions{
		ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
		AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD_OPTIONS(),
		CachedMethods:         awscloudfront.CachedMethods_CACHE_GET_HEAD_OPTIONS(),
		CachePolicy:           newAssetCachePolicy(c),
		ResponseHeadersPolicy: s.headers,
		Compress:              jsii.Bool(true),
	})

	if a := p.API; a != nil {
		origin := s.apiOrigin(a)
		if len(p.MicroCachePaths) > 0 {
			micro := newMicroCachePolicy(c, p.MicroCacheTTL)
			publicOnly := awscloudfront.NewOriginRequestPolicy(c, jsii.String("MicroCacheOriginRequest"), &awscloudfront.OriginRequestPolicyProps{
				Comment:             jsii.String("campaignkit edgesite: micro-cached API paths see the query string only, so one cached answer fits every viewer"),
				QueryStringBehavior: awscloudfront.OriginRequestQueryStringBehavior_All(),
				HeaderBehavior:      awscloudfront.OriginRequestHeaderBehavior_None(),
				CookieBehavior:      awscloudfront.OriginRequestCookieBehavior_None(),
			})
			for _, path := range p.MicroCachePaths {
				dist.AddBehavior(jsii.String(path), origin, &awscloudfront.AddBehaviorOptions{
					ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
					AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
					CachedMethods:         awscloudfront.CachedMethods_CACHE_GET_HEAD(),
					CachePolicy:           micro,
					OriginRequestPolicy:   publicOnly,
					ResponseHeadersPolicy: s.headers,
					Compress:              jsii.Bool(true),
				})
			}
		}
		dist.AddBehavior(jsii.String(*p.APIPrefix+"*"), origin, &awscloudfront.AddBehaviorOptions{
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_ALL(),
			CachePolicy:           awscloudfront.CachePolicy_CACHING_DISABLED(),
			OriginRequestPolicy:   awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			ResponseHeadersPolicy: s.headers,
			Compress:              jsii.Bool(true),
		})
	}

	s.url = jsii.String("https://" + *dist.DistributionDomainName())
	if d := p.Domain; d != nil {
		s.url = jsii.String("https://" + *d.Name)
		if d.HostedZone != nil {
			target := awsroute53.RecordTarget_FromAlias(awsroute53targets.NewCloudFrontTarget(dist))
			awsroute53.NewARecord(c, jsii.String("AliasA"), &awsroute53.ARecordProps{Zone: d.HostedZone, RecordName: d.Name, Target: target})
			awsroute53.NewAaaaRecord(c, jsii.String("AliasAAAA"), &awsroute53.AaaaRecordProps{Zone: d.HostedZone, RecordName: d.Name, Target: target})
		}
	}

	if p.SiteDir != nil {
		s.deployments = s.deploy(c, *p.SiteDir)
	}
	s.addAlarms(stack, *id, regionKnown, inUSEast1, &p)
	s.suppress(&p)
	return s
}

// apiOrigin is the API origin: a Function URL through OAC, or an HTTPS host.
func (s *Site) apiOrigin(a *APIOrigin) awscloudfront.IOrigin {
	if a.FunctionURL != nil {
		origin := awscloudfrontorigins.FunctionUrlOrigin_WithOriginAccessControl(a.FunctionURL, &awscloudfrontorigins.FunctionUrlOriginWithOACProps{
			OriginPath: a.OriginPath,
		})
		// The OAC origin grants lambda:InvokeFunctionUrl; Lambda also wants
		// lambda:InvokeFunction for calls that come through the URL.
		awslambda.NewCfnPermission(s.c, jsii.String("InvokeViaFunctionUrl"), &awslambda.CfnPermissionProps{
			Action:                jsii.String("lambda:InvokeFunction"),
			FunctionName:          a.FunctionURL.FunctionArn(),
			Principal:             jsii.String("cloudfront.amazonaws.com"),
			SourceArn:             s.distribution.DistributionArn(),
			InvokedViaFunctionUrl: jsii.Bool(true),
		})
		return origin
	}
	return awscloudfrontorigins.NewHttpOrigin(a.DomainName, &awscloudfrontorigins.HttpOriginProps{
		ProtocolPolicy: awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
		OriginSslProtocols: &[]awscloudfront.OriginSslPolicy{
			awscloudfront.OriginSslPolicy_TLS_V1_2,
		},
		OriginPath: a.OriginPath,
	})
}

func newLogBucket(scope constructs.Construct, days float64) awss3.Bucket {
	b := awss3.NewBucket(scope, jsii.String("Logs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED, // CloudFront standard logs cannot write to SSE-KMS buckets
		EnforceSSL:        jsii.Bool(true),
		// CloudFront standard logging writes with ACLs; the bucket owner
		// still owns every object.
		ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-logs"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(days)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
	})
	nag.Suppress(b, nag.Rule{ID: "AwsSolutions-S1", Reason: "This is the access-log bucket of the site bucket and the distribution; logging it into itself would loop, and it is private, TLS-only and expires its objects."})
	return b
}

func newSiteBucket(scope constructs.Construct, logs awss3.Bucket) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String("Bucket"), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:             jsii.Bool(true),
		Versioned:              jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("s3/"),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id: jsii.String("expire-old-versions"),
			// Versions replaced by a deploy stay a week for rollbacks.
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(7)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
	})
}

// newPageCachePolicy caches pages and other non-asset files at least ttl
// (even with Cache-Control: no-cache, which browsers still honour) and
// honours longer origin max-age up to a day.
func newPageCachePolicy(scope constructs.Construct, ttl awscdk.Duration) awscloudfront.CachePolicy {
	return awscloudfront.NewCachePolicy(scope, jsii.String("PageCache"), &awscloudfront.CachePolicyProps{
		Comment:                    jsii.String("campaignkit edgesite: pages revalidated by browsers, held briefly at the edge"),
		MinTtl:                     ttl,
		DefaultTtl:                 ttl,
		MaxTtl:                     awscdk.Duration_Days(jsii.Number(1)),
		QueryStringBehavior:        awscloudfront.CacheQueryStringBehavior_None(),
		HeaderBehavior:             awscloudfront.CacheHeaderBehavior_None(),
		CookieBehavior:             awscloudfront.CacheCookieBehavior_None(),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
	})
}

func newAssetCachePolicy(scope constructs.Construct) awscloudfront.CachePolicy {
	year := awscdk.Duration_Days(jsii.Number(365))
	return awscloudfront.NewCachePolicy(scope, jsii.String("AssetCache"), &awscloudfront.CachePolicyProps{
		Comment:                    jsii.String("campaignkit edgesite: fingerprinted assets, immutable for a year"),
		MinTtl:                     awscdk.Duration_Seconds(jsii.Number(0)),
		DefaultTtl:                 year,
		MaxTtl:                     year,
		QueryStringBehavior:        awscloudfront.CacheQueryStringBehavior_None(),
		HeaderBehavior:             awscloudfront.CacheHeaderBehavior_None(),
		CookieBehavior:             awscloudfront.CacheCookieBehavior_None(),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
	})
}

func newMicroCachePolicy(scope constructs.Construct, ttl awscdk.Duration) awscloudfront.CachePolicy {
	return awscloudfront.NewCachePolicy(scope, jsii.String("MicroCache"), &awscloudfront.CachePolicyProps{
		Comment: jsii.String("campaignkit edgesite: hot public API reads cached a few seconds"),
		// Min = default = max: the TTL holds even if the handler says no-store.
		MinTtl:                     ttl,
		DefaultTtl:                 ttl,
		MaxTtl:                     ttl,
		QueryStringBehavior:        awscloudfront.CacheQueryStringBehavior_All(),
		HeaderBehavior:             awscloudfront.CacheHeaderBehavior_None(),
		CookieBehavior:             awscloudfront.CacheCookieBehavior_None(),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
	})
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// companionStack creates a us-east-1 stack next to stack (same stage and
// account) for parts CloudFront needs in us-east-1.
func companionStack(stack awscdk.Stack, siteID, suffix, description string) awscdk.Stack {
	stage := awscdk.Stage_Of(stack)
	if stage == nil {
		panic(fmt.Errorf("edgesite: stack %s is not inside an App or Stage; the us-east-1 companion stack needs one", *stack.Node().Path()))
	}
	env := &awscdk.Environment{Region: jsii.String(usEast1)}
	if !*awscdk.Token_IsUnresolved(stack.Account()) {
		env.Account = stack.Account()
	}
	id := unsafeID.ReplaceAllString(*stack.Node().Id()+"-"+siteID+"-"+suffix, "-")
	return awscdk.NewStack(stage, jsii.String(id), &awscdk.StackProps{
		Env:                   env,
		CrossRegionReferences: jsii.Bool(true),
		Description:           jsii.String("campaignkit edgesite: " + description),
	})
}

func certID(siteID string) string { return unsafeID.ReplaceAllString(siteID, "") + "Certificate" }
func aclID(siteID string) string  { return unsafeID.ReplaceAllString(siteID, "") + "WebACL" }

// Node is the construct node all the site's resources in its own stack
// hang under.
func (s *Site) Node() constructs.Node { return s.c.Node() }

// Bucket is the private site bucket (reached by CloudFront through OAC).
func (s *Site) Bucket() awss3.Bucket { return s.bucket }

// LogBucket receives S3 server access logs (s3/) and CloudFront standard
// logs (cloudfront/).
func (s *Site) LogBucket() awss3.Bucket { return s.logBucket }

// Distribution is the CloudFront distribution.
func (s *Site) Distribution() awscloudfront.Distribution { return s.distribution }

// DistributionDomainName is the distribution's *.cloudfront.net name.
func (s *Site) DistributionDomainName() *string { return s.distribution.DistributionDomainName() }

// URL is the site's https URL (custom domain when set).
func (s *Site) URL() *string { return s.url }

// WebACLArn is the ARN of the web ACL in front of the distribution, nil
// when WAF is disabled.
func (s *Site) WebACLArn() *string { return s.webACLArn }

// Function is the viewer-request CloudFront Function doing the rewrites.
func (s *Site) Function() awscloudfront.Function { return s.function }

// HeadersPolicy is the response headers policy applied to every behavior.
func (s *Site) HeadersPolicy() awscloudfront.ResponseHeadersPolicy { return s.headers }

// Rules is the edge configuration (rewrite, cache classes) the local stack
// can reuse to serve the site exactly like the edge.
func (s *Site) Rules() edgerules.Config { return s.rules }

// GlobalStack is the us-east-1 companion stack holding the certificate and
// web ACL, nil when the stack is in us-east-1 or neither is created.
func (s *Site) GlobalStack() awscdk.Stack { return s.globalStack }

// AlarmStack is the us-east-1 companion stack holding the alarms, nil when
// they live in the site's own stack.
func (s *Site) AlarmStack() awscdk.Stack { return s.alarmStack }

// Deployments are the BucketDeployments of SiteDir in the order they run
// (assets, other files, pages); empty without SiteDir.
func (s *Site) Deployments() []awss3deployment.BucketDeployment { return s.deployments }

// Alarms are the 5xx-rate and origin-latency alarms.
func (s *Site) Alarms() []awscloudwatch.Alarm { return s.alarms }
