package edgesite_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/edgesite"
	"github.com/campaignkit/campaignkit/internal/cdktest"
	"github.com/campaignkit/campaignkit/internal/nag"
)

const (
	cachingDisabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// apiFunctionURL stands in for a ScalableWebTier: a function with an IAM
// Function URL.
func apiFunctionURL(stack awscdk.Stack) awslambda.FunctionUrl {
	fn := awslambda.NewFunction(stack, jsii.String("Api"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_NODEJS_22_X(),
		Handler: jsii.String("index.handler"),
		Code:    awslambda.Code_FromInline(jsii.String("exports.handler = async () => ({ statusCode: 200, body: '{}' });")),
		Timeout: awscdk.Duration_Seconds(jsii.Number(5)),
	})
	nag.SuppressTree(fn,
		nag.Rule{ID: "AwsSolutions-IAM4", Reason: "Test stand-in for the webtier function; the real construct owns its role."},
		nag.Rule{ID: "AwsSolutions-L1", Reason: "Test stand-in for the webtier function, which runs Go on provided.al2023."},
		nag.Rule{ID: "Serverless-LambdaDLQ", Reason: "Test stand-in for the webtier function, invoked synchronously."},
		nag.Rule{ID: "Serverless-LambdaTracing", Reason: "Test stand-in for the webtier function; tracing is the webtier's concern."},
		nag.Rule{ID: "Serverless-LambdaDefaultMemorySize", Reason: "Test stand-in for the webtier function; sizing is the webtier's concern."},
		nag.Rule{ID: "Serverless-LambdaLatestVersion", Reason: "Test stand-in for the webtier function; versions are the webtier's concern."},
	)
	return fn.AddFunctionUrl(&awslambda.FunctionUrlOptions{AuthType: awslambda.FunctionUrlAuthType_AWS_IAM})
}

func TestSiteOutsideUSEast1(t *testing.T) {
	// GIVEN a stack in eu-west-1 with an imported hosted zone and an API
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Campaign")
	zone := awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"), ZoneName: jsii.String("example.org"),
	})
	props := &edgesite.Props{
		SiteDir:         jsii.String("testdata/site"),
		API:             &edgesite.APIOrigin{FunctionURL: apiFunctionURL(stack)},
		MicroCachePaths: []string{"/api/totals"},
		MicroCacheTTL:   awscdk.Duration_Seconds(jsii.Number(3)),
		Domain:          &edgesite.Domain{Name: jsii.String("give.example.org"), HostedZone: zone},
		WAF:             &edgesite.WAF{BotControl: jsii.Bool(true)},
		Headers:         map[string]string{"x-frame-options": "SAMEORIGIN", "X-Campaign": "spring"},
	}

	// WHEN the site is added with a custom domain, WAF with Bot Control and a micro-cached path
	site := edgesite.New(stack, jsii.String("Site"), props)
	tpl := cdktest.Template(stack)

	// THEN the caller's props are untouched
	if props.WAF.RateLimit != nil || props.PriceClass != "" {
		t.Error("New changed the caller's props")
	}

	// THEN the site bucket is private, encrypted, versioned, logged and TLS-only
	tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
		"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
		"BucketEncryption":               map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}}}},
		"VersioningConfiguration":        map[string]any{"Status": "Enabled"},
		"LoggingConfiguration":           map[string]any{"DestinationBucketName": map[string]any{"Ref": logicalID(stack, site.LogBucket())}, "LogFilePrefix": "s3/"},
	})
	// ... and the log bucket expires logs and lets CloudFront write with ACLs
	tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
		"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"ExpirationInDays": 90, "Status": "Enabled"})})},
		"OwnershipControls":      map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerPreferred"}}},
		"BucketEncryption":       assertions.Match_AnyValue(),
	})
	for _, b := range []string{logicalID(stack, site.Bucket()), logicalID(stack, site.LogBucket())} {
		tpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
			"Bucket": map[string]any{"Ref": b},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}, "Action": "s3:*",
			})})},
		})
	}

	// THEN S3 and the Function URL are reached through origin access control
	tpl.HasResourceProperties(jsii.String("AWS::CloudFront::OriginAccessControl"), map[string]any{
		"OriginAccessControlConfig": map[string]any{"OriginAccessControlOriginType": "s3", "SigningBehavior": "always", "SigningProtocol": "sigv4", "Name": assertions.Match_AnyValue()},
	})
	tpl.HasResourceProperties(jsii.String("AWS::CloudFront::OriginAccessControl"), map[string]any{
		"OriginAccessControlConfig": map[string]any{"OriginAccessControlOriginType": "lambda", "SigningBehavior": "always", "SigningProtocol": "sigv4", "Name": assertions.Match_AnyValue()},
	})
	tpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
		"Bucket": map[string]any{"Ref": logicalID(stack, site.Bucket())},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect": "Allow", "Action": "s3:GetObject", "Principal": map[string]any{"Service": "cloudfront.amazonaws.com"},
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceArn": assertions.Match_AnyValue()}},
		})})},
	})
	for _, action := range []string{"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"} {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{"Action": action, "Principal": "cloudfront.amazonaws.com", "SourceArn": assertions.Match_AnyValue()})
	}

	// THEN the distribution: HTTP/2+3, TLS 1.2_2021 with the us-east-1 certificate, logs, WAF, no error pages
	dist := distributionConfig(t, tpl)
	for k, want := range map[string]any{"HttpVersion": "http2and3", "PriceClass": "PriceClass_100", "IPV6Enabled": true} {
		if dist[k] != want {
			t.Errorf("distribution %s = %v, want %v", k, dist[k], want)
		}
	}
	vc := dist["ViewerCertificate"].(map[string]any)
	if vc["MinimumProtocolVersion"] != "TLSv1.2_2021" || vc["SslSupportMethod"] != "sni-only" || !strings.Contains(fmt.Sprint(vc["AcmCertificateArn"]), "ExportsReader") {
		t.Errorf("viewer certificate = %v, want the us-east-1 certificate read across regions with TLSv1.2_2021", vc)
	}
	if fmt.Sprint(dist["Aliases"]) != "[give.example.org]" || dist["Logging"] == nil || !strings.Contains(fmt.Sprint(dist["WebACLId"]), "WebACL") {
		t.Errorf("aliases/logging/web ACL wrong: %v / %v / %v", dist["Aliases"], dist["Logging"], dist["WebACLId"])
	}
	if _, ok := dist["CustomErrorResponses"]; ok {
		t.Error("distribution-wide error responses would turn API 403/404 into HTML")
	}

	// THEN behaviors: site default (rewrite), assets, micro-cached path before /api/*
	def := dist["DefaultCacheBehavior"].(map[string]any)
	if !strings.Contains(fmt.Sprint(def["FunctionAssociations"]), "viewer-request") || def["Compress"] != true {
		t.Errorf("default behavior lacks the viewer-request rewrite or compression: %v", def)
	}
	if !strings.Contains(fmt.Sprint(def["CachePolicyId"]), "PageCache") {
		t.Errorf("default behavior cache policy = %v", def["CachePolicyId"])
	}
	behaviors := dist["CacheBehaviors"].([]any)
	var order []string
	for _, b := range behaviors {
		bm := b.(map[string]any)
		order = append(order, bm["PathPattern"].(string))
		if _, ok := bm["FunctionAssociations"]; ok {
			t.Errorf("behavior %s runs the rewrite function; only site paths may", bm["PathPattern"])
		}
		if !strings.Contains(fmt.Sprint(bm["ResponseHeadersPolicyId"]), "SiteHeaders") {
			t.Errorf("behavior %s lacks the security headers policy", bm["PathPattern"])
		}
	}
	if strings.Join(order, " ") != "/assets/* /api/totals /api/*" {
		t.Fatalf("behavior order = %v, want assets, micro-cached path, then /api/*", order)
	}
	assets, micro, api := behaviors[0].(map[string]any), behaviors[1].(map[string]any), behaviors[2].(map[string]any)
	if !strings.Contains(fmt.Sprint(assets["CachePolicyId"]), "AssetCache") {
		t.Errorf("assets cache policy = %v", assets["CachePolicyId"])
	}
	if api["CachePolicyId"] != cachingDisabled || api["OriginRequestPolicyId"] != allViewerExceptHostHeader || len(api["AllowedMethods"].([]any)) != 7 || api["ViewerProtocolPolicy"] != "https-only" {
		t.Errorf("/api/* behavior = %v, want caching disabled, all viewer headers but Host, all methods, HTTPS only", api)
	}
	if !strings.Contains(fmt.Sprint(micro["CachePolicyId"]), "MicroCache") || fmt.Sprint(micro["AllowedMethods"]) != "[GET HEAD]" || micro["TargetOriginId"] != api["TargetOriginId"] {
		t.Errorf("micro-cached behavior = %v", micro)
	}
	tpl.HasResourceProperties(jsii.String("AWS::CloudFront::CachePolicy"), map[string]any{"CachePolicyConfig": assertions.Match_ObjectLike(&map[string]any{
		"MinTTL": 3, "DefaultTTL": 3, "MaxTTL": 3,
	})})
	tpl.HasResourceProperties(jsii.String("AWS::CloudFront::CachePolicy"), map[string]any{"CachePolicyConfig": assertions.Match_ObjectLike(&map[string]any{
		"MinTTL": 0, "DefaultTTL": 31536000, "MaxTTL": 31536000,
	})})
	tpl.HasResourceProperties(jsii.String("AWS::CloudFront::CachePolicy"), map[string]any{"CachePolicyConfig": assertions.Match_ObjectLike(&map[string]any{
		"MinTTL": 10, "DefaultTTL": 10, "MaxTTL": 86400,
	})})
	tpl.HasResourceProperties(jsii.String("AWS::CloudFront::OriginRequestPolicy"), map[string]any{"OriginRequestPolicyConfig": assertions.Match_ObjectLike(&map[string]any{
		"CookiesConfig": map[string]any{"CookieBehavior": "none"}, "HeadersConfig": map[string]any{"HeaderBehavior": "none"}, "QueryStringsConfig": map[string]any{"QueryStringBehavior": "all"},
	})})

	// THEN the rewrite function runs cloudfront-js-2.0 with the site's config baked in
	tpl.HasResourceProperties(jsii.String("AWS::CloudFront::Function"), map[string]any{
		"FunctionCode":   assertions.Match_StringLikeRegexp(jsii.String(`var CONFIG = \{"apiPrefix":"/api/","assetsPrefix":"/assets/","spa":false\};`)),
		"FunctionConfig": map[string]any{"Runtime": "cloudfront-js-2.0", "Comment": assertions.Match_AnyValue()},
	})

	// THEN strict headers with the override applied, custom headers kept
	tpl.HasResourceProperties(jsii.String("AWS::CloudFront::ResponseHeadersPolicy"), map[string]any{"ResponseHeadersPolicyConfig": assertions.Match_ObjectLike(&map[string]any{
		"SecurityHeadersConfig": map[string]any{
			"StrictTransportSecurity": map[string]any{"AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": true, "Preload": true, "Override": true},
			"ContentSecurityPolicy":   map[string]any{"ContentSecurityPolicy": assertions.Match_StringLikeRegexp(jsii.String("^default-src 'self'")), "Override": true},
			"ContentTypeOptions":      map[string]any{"Override": true},
			"FrameOptions":            map[string]any{"FrameOption": "SAMEORIGIN", "Override": true},
			"ReferrerPolicy":          map[string]any{"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": true},
		},
		"CustomHeadersConfig": map[string]any{"Items": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"Header": "X-Campaign", "Value": "spring", "Override": true})})},
	})})

	// THEN three deployments, assets → other → pages, each with its Cache-Control and prune scope
	deps := cdktest.Resources(t, tpl, "Custom::CDKBucketDeployment")
	byCC := map[string]map[string]any{}
	ids := map[string]string{}
	for id, r := range deps {
		p := r["Properties"].(map[string]any)
		cc := p["SystemMetadata"].(map[string]any)["cache-control"].(string)
		byCC[cc] = r
		ids[cc] = id
	}
	for cc, want := range map[string]string{
		"public, max-age=31536000, immutable": "prune=false exclude=[] include=[]",
		"public, max-age=300":                 "prune=true exclude=[*.html assets/*] include=[]",
		"no-cache":                            "prune=true exclude=[*] include=[*.html]",
	} {
		r, ok := byCC[cc]
		if !ok {
			t.Errorf("no deployment with Cache-Control %q", cc)
			continue
		}
		p := r["Properties"].(map[string]any)
		if got := fmt.Sprintf("prune=%v exclude=%v include=%v", p["Prune"], p["Exclude"], p["Include"]); got != want {
			t.Errorf("deployment %q: %s, want %s", cc, got, want)
		}
		if _, ok := p["DistributionPaths"]; ok {
			t.Errorf("deployment %q invalidates; pages expire from the edge within HTMLEdgeTTL", cc)
		}
	}
	if !dependsOn(byCC["public, max-age=300"], ids["public, max-age=31536000, immutable"]) || !dependsOn(byCC["no-cache"], ids["public, max-age=300"]) {
		t.Error("deployments must run assets, then other files, then pages")
	}

	// THEN alias records for the domain
	for _, typ := range []string{"A", "AAAA"} {
		tpl.HasResourceProperties(jsii.String("AWS::Route53::RecordSet"), map[string]any{
			"Name": "give.example.org.", "Type": typ, "HostedZoneId": "Z0123456789ABCDEFGHIJ",
			"AliasTarget": map[string]any{"DNSName": map[string]any{"Fn::GetAtt": []any{logicalID(stack, site.Distribution()), "DomainName"}}, "HostedZoneId": assertions.Match_AnyValue()},
		})
	}
	tpl.ResourceCountIs(jsii.String("AWS::CloudFront::MonitoringSubscription"), jsii.Number(1))

	// THEN certificate and web ACL live in a us-east-1 companion stack
	global := site.GlobalStack()
	if global == nil || *global.Region() != "us-east-1" {
		t.Fatalf("no us-east-1 companion stack: %v", global)
	}
	gtpl := cdktest.Template(global)
	gtpl.HasResourceProperties(jsii.String("AWS::CertificateManager::Certificate"), map[string]any{
		"DomainName": "give.example.org", "ValidationMethod": "DNS",
		"DomainValidationOptions": []any{map[string]any{"DomainName": "give.example.org", "HostedZoneId": "Z0123456789ABCDEFGHIJ"}},
	})
	gtpl.HasResourceProperties(jsii.String("AWS::WAFv2::WebACL"), map[string]any{
		"Scope":         "CLOUDFRONT",
		"DefaultAction": map[string]any{"Allow": map[string]any{}},
		"Rules": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"Name": "AWSManagedRulesAmazonIpReputationList"}),
			assertions.Match_ObjectLike(&map[string]any{"Name": "RateLimitPerIP", "Action": map[string]any{"Block": map[string]any{}},
				"Statement": map[string]any{"RateBasedStatement": map[string]any{"Limit": 2000, "AggregateKeyType": "IP", "EvaluationWindowSec": 300}}}),
			assertions.Match_ObjectLike(&map[string]any{"Name": "AWSManagedRulesCommonRuleSet", "OverrideAction": map[string]any{"None": map[string]any{}}}),
			assertions.Match_ObjectLike(&map[string]any{"Name": "AWSManagedRulesBotControlRuleSet"}),
		}),
	})

	// THEN alarms on CloudFront's us-east-1 metrics, in a companion stack that follows the site's
	alarms := site.AlarmStack()
	if alarms == nil || *alarms.Region() != "us-east-1" || len(site.Alarms()) != 2 {
		t.Fatalf("alarm stack/alarms wrong: %v %d", alarms, len(site.Alarms()))
	}
	atpl := cdktest.Template(alarms)
	for _, m := range []struct{ name, stat string }{{"5xxErrorRate", "Average"}, {"OriginLatency", "p90"}} {
		props := map[string]any{
			"Namespace": "AWS/CloudFront", "MetricName": m.name,
			"Dimensions":   assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"Name": "Region", "Value": "Global"})}),
			"AlarmActions": assertions.Match_AnyValue(),
		}
		if m.stat == "Average" {
			props["Statistic"] = m.stat
		} else {
			props["ExtendedStatistic"] = m.stat
		}
		atpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), props)
	}
	atpl.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(1))

	// THEN every stack passes cfn-lint and cdk-nag
	rep := cdktest.AssertGates(t, app)
	if len(rep.Templates) != 3 {
		t.Errorf("gated %d templates, want the site stack and both us-east-1 companions", len(rep.Templates))
	}
	if *site.URL() != "https://give.example.org" || site.WebACLArn() == nil || site.DistributionDomainName() == nil {
		t.Errorf("accessors: url %s, web ACL %v", *site.URL(), site.WebACLArn())
	}
}

func TestSiteInUSEast1(t *testing.T) {
	// GIVEN a stack in us-east-1 and an HTTP API origin
	app := cdktest.NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("Global"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-east-1")},
	})
	// WHEN a single-page app is added without domain, with a given topic
	topic := awssns.Topic_FromTopicArn(stack, jsii.String("Ops"), jsii.String("arn:aws:sns:us-east-1:123456789012:ops"))
	site := edgesite.New(stack, jsii.String("Site"), &edgesite.Props{
		SPA:        jsii.Bool(true),
		API:        &edgesite.APIOrigin{DomainName: jsii.String("abc123.execute-api.us-east-1.amazonaws.com"), OriginPath: jsii.String("/prod")},
		PriceClass: awscloudfront.PriceClass_PRICE_CLASS_ALL,
		AlarmTopic: topic,
		Headers:    map[string]string{"Content-Security-Policy": "default-src 'self' https://js.stripe.com", "Permissions-Policy": ""},
	})
	tpl := cdktest.Template(stack)

	// THEN everything lives in this stack: web ACL and alarms too
	if site.GlobalStack() != nil || site.AlarmStack() != nil {
		t.Error("no companion stack is needed in us-east-1")
	}
	tpl.ResourceCountIs(jsii.String("AWS::WAFv2::WebACL"), jsii.Number(1))
	tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(2))
	tpl.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(0))
	tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{"AlarmActions": []any{"arn:aws:sns:us-east-1:123456789012:ops"}})
	tpl.ResourceCountIs(jsii.String("AWS::CertificateManager::Certificate"), jsii.Number(0))
	tpl.ResourceCountIs(jsii.String("AWS::Route53::RecordSet"), jsii.Number(0))
	tpl.ResourceCountIs(jsii.String("Custom::CDKBucketDeployment"), jsii.Number(0))

	// THEN the default certificate (CFR4 suppressed with a reason), SPA rewrite, the HTTP API origin
	dist := distributionConfig(t, tpl)
	if dist["PriceClass"] != "PriceClass_All" || dist["ViewerCertificate"] != nil && strings.Contains(fmt.Sprint(dist["ViewerCertificate"]), "Acm") {
		t.Errorf("distribution = %v", dist)
	}
	origins := fmt.Sprint(dist["Origins"])
	if !strings.Contains(origins, "abc123.execute-api.us-east-1.amazonaws.com") || !strings.Contains(origins, "OriginPath:/prod") || !strings.Contains(origins, "https-only") {
		t.Errorf("HTTP API origin missing: %s", origins)
	}
	tpl.HasResourceProperties(jsii.String("AWS::CloudFront::Function"), map[string]any{
		"FunctionCode": assertions.Match_StringLikeRegexp(jsii.String(`"spa":true`)),
	})
	tpl.HasResourceProperties(jsii.String("AWS::CloudFront::ResponseHeadersPolicy"), map[string]any{"ResponseHeadersPolicyConfig": assertions.Match_ObjectLike(&map[string]any{
		"SecurityHeadersConfig": assertions.Match_ObjectLike(&map[string]any{
			"ContentSecurityPolicy": map[string]any{"ContentSecurityPolicy": "default-src 'self' https://js.stripe.com", "Override": true},
		}),
		"CustomHeadersConfig": assertions.Match_Absent(),
	})})
	cdktest.AssertGates(t, app)
	if url := fmt.Sprint(stack.Resolve(site.URL())); !strings.Contains(url, "https://") || !strings.Contains(url, "DomainName") || site.WebACLArn() == nil {
		t.Errorf("accessors: url %s, web ACL %v", url, site.WebACLArn())
	}
}

func TestValidate(t *testing.T) {
	ok := func() *edgesite.Props {
		return &edgesite.Props{API: &edgesite.APIOrigin{DomainName: jsii.String("api.example.org")}}
	}
	cases := []struct {
		name string
		edit func(*edgesite.Props)
		want string
	}{
		{"micro-cache TTL too long", func(p *edgesite.Props) {
			p.MicroCachePaths = []string{"/api/totals"}
			p.MicroCacheTTL = awscdk.Duration_Seconds(jsii.Number(10))
		}, "MicroCacheTTL (10s) must be a whole number of seconds within 1..5"},
		{"micro-cache TTL too short", func(p *edgesite.Props) {
			p.MicroCachePaths = []string{"/api/totals"}
			p.MicroCacheTTL = awscdk.Duration_Millis(jsii.Number(500))
		}, "MicroCacheTTL (0.5s)"},
		{"micro-cache path outside the API", func(p *edgesite.Props) { p.MicroCachePaths = []string{"/totals"} }, `MicroCachePaths entry "/totals" must be a path under /api/`},
		{"micro-cache the whole API", func(p *edgesite.Props) { p.MicroCachePaths = []string{"/api/*"} }, `MicroCachePaths entry "/api/*"`},
		{"micro-cache without API", func(p *edgesite.Props) { p.API = nil; p.MicroCachePaths = []string{"/api/totals"} }, "MicroCachePaths need API"},
		{"domain without zone or certificate", func(p *edgesite.Props) { p.Domain = &edgesite.Domain{Name: jsii.String("give.example.org")} }, "Domain needs HostedZone"},
		{"domain name missing", func(p *edgesite.Props) {
			p.Domain = &edgesite.Domain{CertificateARN: jsii.String("arn:aws:acm:us-east-1:123456789012:certificate/abc")}
		}, "Domain.Name must be a fully qualified domain name"},
		{"certificate outside us-east-1", func(p *edgesite.Props) {
			p.Domain = &edgesite.Domain{Name: jsii.String("give.example.org"), CertificateARN: jsii.String("arn:aws:acm:eu-west-1:123456789012:certificate/abc")}
		}, "must be an ACM certificate in us-east-1"},
		{"bad price class", func(p *edgesite.Props) { p.PriceClass = "PriceClass_50" }, `PriceClass "PriceClass_50" is not a CloudFront price class`},
		{"API with both origins", func(p *edgesite.Props) { p.API.FunctionURL = apiFunctionURL(cdktest.NewStack(cdktest.NewApp(t), "U")) }, "exactly one of FunctionURL"},
		{"API with neither origin", func(p *edgesite.Props) { p.API = &edgesite.APIOrigin{} }, "exactly one of FunctionURL"},
		{"API host with scheme", func(p *edgesite.Props) { p.API.DomainName = jsii.String("https://api.example.org") }, "must be a host name without scheme or path"},
		{"API origin path", func(p *edgesite.Props) { p.API.OriginPath = jsii.String("prod/") }, `API.OriginPath "prod/"`},
		{"rate limit", func(p *edgesite.Props) { p.WAF = &edgesite.WAF{RateLimit: jsii.Number(5)} }, "WAF.RateLimit (5) must be"},
		{"regional web ACL", func(p *edgesite.Props) {
			p.WAF = &edgesite.WAF{WebACLArn: jsii.String("arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/1")}
		}, "must be a CLOUDFRONT-scope (global) web ACL ARN"},
		{"web ACL and disabled", func(p *edgesite.Props) {
			p.WAF = &edgesite.WAF{Disabled: jsii.Bool(true), WebACLArn: jsii.String("arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1")}
		}, "WAF.WebACLArn is set but WAF.Disabled is true"},
		{"HSTS without max-age", func(p *edgesite.Props) {
			p.Headers = map[string]string{"strict-transport-security": "includeSubDomains"}
		}, "max-age is required"},
		{"frame options", func(p *edgesite.Props) { p.Headers = map[string]string{"X-Frame-Options": "ALLOW-FROM x"} }, "use DENY or SAMEORIGIN"},
		{"referrer policy", func(p *edgesite.Props) { p.Headers = map[string]string{"Referrer-Policy": "sometimes"} }, "is not a referrer policy"},
		{"nosniff", func(p *edgesite.Props) { p.Headers = map[string]string{"X-Content-Type-Options": "sniff"} }, `the only value is "nosniff"`},
		{"assets prefix", func(p *edgesite.Props) { p.AssetsPrefix = jsii.String("/static") }, `AssetsPrefix "/static" must look like "/name/"`},
		{"HTML TTL", func(p *edgesite.Props) { p.HTMLEdgeTTL = awscdk.Duration_Hours(jsii.Number(2)) }, "HTMLEdgeTTL (7200s) must be within 0..3600"},
		{"error rate", func(p *edgesite.Props) { p.ErrorRateThreshold = jsii.Number(0) }, "ErrorRateThreshold (0)"},
		{"log retention", func(p *edgesite.Props) { p.LogRetentionDays = jsii.Number(0.5) }, "LogRetentionDays (0.5)"},
		{"alarm topic region", func(p *edgesite.Props) {
			p.AlarmTopic = awssns.Topic_FromTopicArn(cdktest.NewStack(cdktest.NewApp(t), "T"), jsii.String("Ops"), jsii.String("arn:aws:sns:eu-west-1:123456789012:ops"))
		}, "AlarmTopic is in eu-west-1"},
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("valid props rejected: %v", err)
	}
	if err := (*edgesite.Props)(nil).Validate(); err != nil {
		t.Fatalf("nil props rejected: %v", err)
	}
	for _, c := range cases {
		p := ok()
		c.edit(p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "edgesite: ") {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}

	// The constructor panics with the same message, and with the placement problems only it can see.
	app := cdktest.NewApp(t)
	if msg := cdktest.Recover(func() {
		edgesite.New(cdktest.NewStack(app, "A"), jsii.String("Site"), &edgesite.Props{MicroCachePaths: []string{"/api/x"}})
	}); !strings.Contains(msg, "MicroCachePaths need API") {
		t.Errorf("New panic = %q", msg)
	}
	if msg := cdktest.Recover(func() {
		edgesite.New(awscdk.NewStack(app, jsii.String("Agnostic"), nil), jsii.String("Site"), nil)
	}); !strings.Contains(msg, "has no explicit region") {
		t.Errorf("env-agnostic stack with WAF: panic = %q", msg)
	}
	if msg := cdktest.Recover(func() {
		s := cdktest.NewStack(app, "Zone")
		zone := awsroute53.NewPublicHostedZone(s, jsii.String("Zone"), &awsroute53.PublicHostedZoneProps{ZoneName: jsii.String("example.org")})
		edgesite.New(s, jsii.String("Site"), &edgesite.Props{Domain: &edgesite.Domain{Name: jsii.String("give.example.org"), HostedZone: zone}})
	}); !strings.Contains(msg, "import the zone") {
		t.Errorf("zone created in an eu-west-1 stack: panic = %q", msg)
	}
}

func distributionConfig(t *testing.T, tpl assertions.Template) map[string]any {
	t.Helper()
	res := cdktest.Resources(t, tpl, "AWS::CloudFront::Distribution")
	if len(res) != 1 {
		t.Fatalf("%d distributions", len(res))
	}
	for _, r := range res {
		return r["Properties"].(map[string]any)["DistributionConfig"].(map[string]any)
	}
	return nil
}

func dependsOn(r map[string]any, id string) bool {
	return strings.Contains(fmt.Sprint(r["DependsOn"]), id)
}

func logicalID(stack awscdk.Stack, c constructs.IConstruct) string {
	return fmt.Sprint(stack.Resolve(stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))))
}
