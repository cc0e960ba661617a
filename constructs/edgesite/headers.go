package edgesite

import (
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/campaignkit/campaignkit/constructs/edgesite/edgerules"
)

// parseHSTS reads "max-age=N; includeSubDomains; preload".
func parseHSTS(v string) (maxAge float64, subdomains, preload bool, err error) {
	found := false
	for _, part := range strings.Split(v, ";") {
		part = strings.TrimSpace(part)
		switch low := strings.ToLower(part); {
		case strings.HasPrefix(low, "max-age="):
			n, perr := strconv.ParseUint(strings.TrimPrefix(low, "max-age="), 10, 32)
			if perr != nil {
				return 0, false, false, errors.New("max-age must be a whole number of seconds")
			}
			maxAge, found = float64(n), true
		case low == "includesubdomains":
			subdomains = true
		case low == "preload":
			preload = true
		case low == "":
		default:
			return 0, false, false, errors.New("unknown directive " + strconv.Quote(part))
		}
	}
	if !found {
		return 0, false, false, errors.New("max-age is required")
	}
	return maxAge, subdomains, preload, nil
}

// parseXSS reads "0", "1" or "1; mode=block".
func parseXSS(v string) (protection, block bool, err error) {
	switch strings.ReplaceAll(strings.ToLower(v), " ", "") {
	case "0":
		return false, false, nil
	case "1":
		return true, false, nil
	case "1;mode=block":
		return true, true, nil
	}
	return false, false, errors.New(`use "0", "1" or "1; mode=block"`)
}

// newHeadersPolicy turns the merged header map (validated) into a
// response headers policy: the typed security headers CloudFront knows,
// and every other header as a custom header. All override the origin's.
func newHeadersPolicy(scope constructs.Construct, headers map[string]string) awscloudfront.ResponseHeadersPolicy {
	sec := &awscloudfront.ResponseSecurityHeadersBehavior{}
	var custom []*awscloudfront.ResponseCustomHeader
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		v := headers[name]
		switch name {
		case edgerules.HeaderHSTS:
			age, sub, pre, _ := parseHSTS(v)
			sec.StrictTransportSecurity = &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Seconds(jsii.Number(age)),
				IncludeSubdomains:   jsii.Bool(sub),
				Preload:             jsii.Bool(pre),
				Override:            jsii.Bool(true),
			}
		case edgerules.HeaderCSP:
			sec.ContentSecurityPolicy = &awscloudfront.ResponseHeadersContentSecurityPolicy{ContentSecurityPolicy: jsii.String(v), Override: jsii.Bool(true)}
		case edgerules.HeaderContentType:
			sec.ContentTypeOptions = &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)}
		case edgerules.HeaderFrameOptions:
			sec.FrameOptions = &awscloudfront.ResponseHeadersFrameOptions{FrameOption: frameOptions[strings.ToUpper(v)], Override: jsii.Bool(true)}
		case edgerules.HeaderReferrerPolicy:
			sec.ReferrerPolicy = &awscloudfront.ResponseHeadersReferrerPolicy{ReferrerPolicy: referrerPolicies[strings.ToLower(v)], Override: jsii.Bool(true)}
		case edgerules.HeaderXSSProtection:
			on, block, _ := parseXSS(v)
			x := &awscloudfront.ResponseHeadersXSSProtection{Protection: jsii.Bool(on), Override: jsii.Bool(true)}
			if on {
				x.ModeBlock = jsii.Bool(block)
			}
			sec.XssProtection = x
		default:
			custom = append(custom, &awscloudfront.ResponseCustomHeader{Header: jsii.String(name), Value: jsii.String(v), Override: jsii.Bool(true)})
		}
	}
	props := &awscloudfront.ResponseHeadersPolicyProps{
		Comment:                 jsii.String("campaignkit edgesite: strict security headers on every response"),
		SecurityHeadersBehavior: sec,
	}
	if len(custom) > 0 {
		props.CustomHeadersBehavior = &awscloudfront.ResponseCustomHeadersBehavior{CustomHeaders: &custom}
	}
	return awscloudfront.NewResponseHeadersPolicy(scope, jsii.String("Headers"), props)
}
