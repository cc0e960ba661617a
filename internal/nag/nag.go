// Package nag applies the cdk-nag rule packs campaignkit is held to
// (AwsSolutions and Serverless) and records per-resource suppressions, each
// with the reason a security reviewer reads.
package nag

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Apply adds the AwsSolutions and Serverless packs to scope (usually the
// App), with JSON reports written next to each template in the cloud
// assembly (`<Pack>-<Stack>-NagReport.json`), which cfngate reads.
func Apply(scope constructs.IConstruct) {
	props := &cdknag.NagPackProps{
		Verbose:       jsii.Bool(true),
		Reports:       jsii.Bool(true),
		ReportFormats: &[]cdknag.NagReportFormat{cdknag.NagReportFormat_JSON},
	}
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(props), nil)
	awscdk.Aspects_Of(scope).Add(cdknag.NewServerlessChecks(props), nil)
}

// Rule is one suppression: the rule id (e.g. "AwsSolutions-IAM5"), why it
// is acceptable, and optionally the findings it covers (e.g.
// "Resource::<Table.Arn>/index/*") so a new, different finding still fails.
type Rule struct {
	ID        string
	Reason    string
	AppliesTo []string
}

// Suppress records suppressions on c itself.
func Suppress(c constructs.IConstruct, rules ...Rule) { suppress(c, false, rules) }

// SuppressTree records suppressions on c and every child of c. Use it for
// L2 constructs whose findings sit on generated children (roles, policies).
func SuppressTree(c constructs.IConstruct, rules ...Rule) { suppress(c, true, rules) }

func suppress(c constructs.IConstruct, children bool, rules []Rule) {
	list := make([]*cdknag.NagPackSuppression, 0, len(rules))
	for _, r := range rules {
		if len(strings.TrimSpace(r.Reason)) < 10 {
			panic(fmt.Sprintf("nag: suppression of %s on %s needs a real reason (at least 10 characters)", r.ID, *c.Node().Path()))
		}
		s := &cdknag.NagPackSuppression{Id: jsii.String(r.ID), Reason: jsii.String(r.Reason)}
		if len(r.AppliesTo) > 0 {
			applies := make([]interface{}, len(r.AppliesTo))
			for i, a := range r.AppliesTo {
				applies[i] = a
			}
			s.AppliesTo = &applies
		}
		list = append(list, s)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &list, jsii.Bool(children))
}
