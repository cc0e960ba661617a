package webtier

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
)

// FrontDoor selects what receives HTTP requests in front of the alias.
type FrontDoor string

const (
	// FrontDoorFunctionURL is a Lambda Function URL on the alias with AWS_IAM
	// auth, meant to be the origin of a CloudFront distribution with origin
	// access control. It has no request-rate quota of its own.
	FrontDoorFunctionURL FrontDoor = "FunctionURL"
	// FrontDoorHTTPAPI is an API Gateway HTTP API whose default route
	// integrates the alias, with stage throttling derived from the target and
	// JSON access logs. Mind the account quota of 10,000 rps (raisable).
	FrontDoorHTTPAPI FrontDoor = "HTTPAPI"
)

// Defaults of the props of the same name (see Props), and the AWS quotas the
// derivation checks against.
const (
	DefaultMemorySize        = 512
	DefaultTimeout           = 10 * time.Second
	DefaultAliasName         = "live"
	DefaultMeanDuration      = 100 * time.Millisecond
	DefaultP99Latency        = time.Second
	DefaultHeadroom          = 1.2
	DefaultProvisionedFloor  = 0.1
	DefaultTargetUtilization = 0.7
	DefaultErrorRatePercent  = 1.0
	// DefaultAccountConcurrency is Lambda's default concurrency quota per
	// account and region; 100 of it must stay unreserved.
	DefaultAccountConcurrency = 1000
	// HTTPAPIAccountRPS and HTTPAPIAccountBurst are API Gateway's account
	// quotas per region (rate raisable, burst not).
	HTTPAPIAccountRPS   = 10000
	HTTPAPIAccountBurst = 5000
	// httpAPIMaxTimeout is API Gateway's integration timeout ceiling.
	httpAPIMaxTimeout = 30 * time.Second
)

// Props configure a ScalableWebTier. Only Entry and a load target
// (PeakConcurrentUsers with ThinkTime, or PeakRequestsPerSecond) are required.
type Props struct {
	// Entry is the Go main package of the handler, preferably as an import
	// path ("github.com/acme/site/lambdas/api"). Required.
	Entry *string
	// Dir is the directory the go command runs in. Default: the working
	// directory of the CDK app.
	Dir *string
	// Environment variables of the function. Default: none.
	Environment *map[string]*string
	// MemorySize in MB, 128–10240. Default: 512 (CPU scales with memory).
	MemorySize *float64
	// Timeout of one invocation. Default: 10 s; at most 30 s with FrontDoorHTTPAPI
	// (API Gateway's integration limit).
	Timeout awscdk.Duration
	// FrontDoor chooses the entry point. Default: FrontDoorFunctionURL.
	FrontDoor FrontDoor
	// AliasName of the alias every front door targets. Default: "live".
	AliasName *string
	// HTTPAPIAuthorizer authorizes every route of the HTTP API (FrontDoorHTTPAPI
	// only). Default: none — a public endpoint for anonymous campaign visitors.
	HTTPAPIAuthorizer awsapigatewayv2.IHttpRouteAuthorizer

	// PeakConcurrentUsers at the campaign's peak; give it with ThinkTime, or
	// give PeakRequestsPerSecond instead.
	PeakConcurrentUsers *float64
	// ThinkTime is the mean time between two requests of one user. Required
	// with PeakConcurrentUsers; must be > 0.
	ThinkTime awscdk.Duration
	// PeakRequestsPerSecond at the peak, instead of users and think time.
	PeakRequestsPerSecond *float64
	// MeanDuration of one invocation at the peak. Default: 100 ms.
	MeanDuration awscdk.Duration
	// P99Latency is the latency SLO: the p99 duration alarm fires above it,
	// and it must be ≥ MeanDuration and < Timeout. Default: 1 s.
	P99Latency awscdk.Duration
	// Headroom multiplies the peak concurrency into reserved concurrency
	// (and the peak rate into HTTP API throttling). ≥ 1. Default: 1.2.
	Headroom *float64
	// ProvisionedFloor is the fraction of the provisioned ceiling kept as the
	// autoscaling minimum, in (0, 1]. Default: 0.1.
	ProvisionedFloor *float64
	// ReservedConcurrency overrides the derived reserved concurrency; it must
	// be ≥ the provisioned maximum. Default: derived.
	ReservedConcurrency *float64
	// ProvisionedMin overrides the autoscaling minimum. Default: derived.
	ProvisionedMin *float64
	// ProvisionedMax overrides the autoscaling maximum. Default: the peak
	// concurrency.
	ProvisionedMax *float64
	// TargetUtilization of provisioned concurrency tracked by autoscaling, in
	// (0, 1). Default: 0.7.
	TargetUtilization *float64

	// DeploymentConfig shifts traffic on each release. Default: CodeDeploy
	// canary, 10 % for 5 minutes (LambdaDeploymentConfig_CANARY_10PERCENT_5MINUTES);
	// linear configs work too.
	DeploymentConfig awscodedeploy.ILambdaDeploymentConfig

	// Tracing turns X-Ray active tracing on. Default: true.
	Tracing *bool
	// JSONLogs selects JSON log format (application level INFO, system level
	// WARN). Default: true; false gives plain text.
	JSONLogs *bool
	// LogRetention of the function's (and the HTTP API's access) log group.
	// Default: two weeks.
	LogRetention awslogs.RetentionDays
	// RetainLogs keeps the log groups when the stack is deleted. Default: false.
	RetainLogs *bool
	// Alarms turns on the error-rate, throttle, p99-duration and spillover
	// alarms (and rollback on them). Default: true.
	Alarms *bool
	// AlarmTopic receives alarm and OK notifications. Default: an encrypted,
	// TLS-only topic is created (only when Alarms is on).
	AlarmTopic awssns.ITopic
	// ErrorRatePercent is the error-rate alarm threshold (errors/invocations
	// × 100) in (0, 100]. Default: 1.
	ErrorRatePercent *float64
	// Dashboard creates a CloudWatch dashboard. Default: true.
	Dashboard *bool
}

// config is Props with defaults applied (the caller's Props never change).
type config struct {
	entry, dir   string
	env          *map[string]*string
	memory       float64
	timeout      time.Duration
	frontDoor    FrontDoor
	alias        string
	authorizer   awsapigatewayv2.IHttpRouteAuthorizer
	users, rps   *float64
	think        *time.Duration
	mean, p99    time.Duration
	headroom     float64
	floor        float64
	reserved     *float64
	pmin, pmax   *float64
	target       float64
	deployment   awscodedeploy.ILambdaDeploymentConfig
	tracing      bool
	jsonLogs     bool
	retention    awslogs.RetentionDays
	retainLogs   bool
	alarms       bool
	topic        awssns.ITopic
	errorPercent float64
	dashboard    bool
}

// Validate reports every problem with the props, one message each, naming
// the prop and the fix. New panics with the same error.
func (p *Props) Validate() error {
	_, _, err := p.resolve()
	return err
}

// Plan returns the capacity New derives from the props, without
// synthesizing anything.
func (p *Props) Plan() (Capacity, error) {
	_, c, err := p.resolve()
	return c, err
}

func (p *Props) resolve() (*config, Capacity, error) {
	if p == nil {
		p = &Props{}
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("webtier: "+format, args...))
	}
	c := &config{
		entry:        str(p.Entry, ""),
		dir:          str(p.Dir, ""),
		env:          p.Environment,
		memory:       num(p.MemorySize, DefaultMemorySize),
		timeout:      dur(p.Timeout, DefaultTimeout),
		frontDoor:    p.FrontDoor,
		alias:        str(p.AliasName, DefaultAliasName),
		authorizer:   p.HTTPAPIAuthorizer,
		users:        p.PeakConcurrentUsers,
		rps:          p.PeakRequestsPerSecond,
		mean:         dur(p.MeanDuration, DefaultMeanDuration),
		p99:          dur(p.P99Latency, DefaultP99Latency),
		headroom:     num(p.Headroom, DefaultHeadroom),
		floor:        num(p.ProvisionedFloor, DefaultProvisionedFloor),
		reserved:     p.ReservedConcurrency,
		pmin:         p.ProvisionedMin,
		pmax:         p.ProvisionedMax,
		target:       num(p.TargetUtilization, DefaultTargetUtilization),
		deployment:   p.DeploymentConfig,
		tracing:      flag(p.Tracing, true),
		jsonLogs:     flag(p.JSONLogs, true),
		retention:    p.LogRetention,
		retainLogs:   flag(p.RetainLogs, false),
		alarms:       flag(p.Alarms, true),
		topic:        p.AlarmTopic,
		errorPercent: num(p.ErrorRatePercent, DefaultErrorRatePercent),
		dashboard:    flag(p.Dashboard, true),
	}
	if p.ThinkTime != nil {
		t := dur(p.ThinkTime, 0)
		c.think = &t
	}
	if c.frontDoor == "" {
		c.frontDoor = FrontDoorFunctionURL
	}
	if c.retention == "" {
		c.retention = awslogs.RetentionDays_TWO_WEEKS
	}

	if c.entry == "" {
		bad("Entry is required: set it to the handler's Go main package, e.g. jsii.String(\"github.com/acme/site/lambdas/api\")")
	}
	if c.frontDoor != FrontDoorFunctionURL && c.frontDoor != FrontDoorHTTPAPI {
		bad("FrontDoor %q is unknown: use webtier.FrontDoorFunctionURL or webtier.FrontDoorHTTPAPI", c.frontDoor)
	}
	if c.authorizer != nil && c.frontDoor != FrontDoorHTTPAPI {
		bad("HTTPAPIAuthorizer needs FrontDoor = FrontDoorHTTPAPI; a Function URL is authorized by IAM (CloudFront origin access control)")
	}
	if c.alias == "" {
		bad("AliasName must not be empty: leave it nil for %q", DefaultAliasName)
	}
	if c.memory < 128 || c.memory > 10240 || c.memory != math.Trunc(c.memory) {
		bad("MemorySize (%g) must be a whole number of MB between 128 and 10240", c.memory)
	}
	if c.timeout < time.Second || c.timeout > 15*time.Minute || c.timeout%time.Second != 0 {
		bad("Timeout (%s) must be a whole number of seconds between 1 s and 15 min", c.timeout)
	}
	if c.frontDoor == FrontDoorHTTPAPI && c.timeout > httpAPIMaxTimeout {
		bad("Timeout (%s) must be ≤ %s with FrontDoorHTTPAPI (API Gateway's integration timeout); lower it or use FrontDoorFunctionURL", c.timeout, httpAPIMaxTimeout)
	}

	// The load target: exactly one of users+think or rps.
	switch {
	case (c.users != nil || c.think != nil) && c.rps != nil:
		bad("give either PeakConcurrentUsers with ThinkTime or PeakRequestsPerSecond, not both")
	case c.users == nil && c.think == nil && c.rps == nil:
		bad("a load target is required: set PeakConcurrentUsers with ThinkTime (e.g. 2,000,000 users, 10 s) or PeakRequestsPerSecond")
	case c.rps != nil:
		if *c.rps <= 0 {
			bad("PeakRequestsPerSecond (%g) must be > 0", *c.rps)
		}
	default:
		if c.users == nil {
			bad("ThinkTime is set but PeakConcurrentUsers is not: set both, or PeakRequestsPerSecond instead")
		} else if *c.users <= 0 {
			bad("PeakConcurrentUsers (%g) must be > 0", *c.users)
		}
		if c.think == nil {
			bad("PeakConcurrentUsers needs ThinkTime, the mean time between two requests of one user (e.g. awscdk.Duration_Seconds(jsii.Number(10)))")
		} else if *c.think <= 0 {
			bad("ThinkTime (%s) must be > 0", *c.think)
		}
	}
	if c.mean <= 0 {
		bad("MeanDuration (%s) must be > 0", c.mean)
	}
	if c.mean >= c.timeout {
		bad("MeanDuration (%s) must be below Timeout (%s)", c.mean, c.timeout)
	}
	if c.p99 < c.mean {
		bad("P99Latency SLO (%s) must be ≥ MeanDuration (%s): a p99 below the mean is impossible; raise the SLO or lower MeanDuration", c.p99, c.mean)
	}
	if c.p99 >= c.timeout {
		bad("P99Latency SLO (%s) must be below Timeout (%s), or the alarm can never fire before invocations time out", c.p99, c.timeout)
	}
	if c.headroom < 1 {
		bad("Headroom (%g) must be ≥ 1: reserved concurrency below the peak throttles the peak", c.headroom)
	}
	if c.floor <= 0 || c.floor > 1 {
		bad("ProvisionedFloor (%g) must be in (0, 1]", c.floor)
	}
	if c.target <= 0 || c.target >= 1 {
		bad("TargetUtilization (%g) must be in (0, 1), e.g. 0.7", c.target)
	}
	if c.errorPercent <= 0 || c.errorPercent > 100 {
		bad("ErrorRatePercent (%g) must be in (0, 100]", c.errorPercent)
	}
	wholeNonNeg := func(name string, v *float64, min float64) {
		if v != nil && (*v < min || *v != math.Trunc(*v)) {
			bad("%s (%g) must be a whole number ≥ %g", name, *v, min)
		}
	}
	wholeNonNeg("ReservedConcurrency", c.reserved, 1)
	wholeNonNeg("ProvisionedMin", c.pmin, 0)
	wholeNonNeg("ProvisionedMax", c.pmax, 1)
	if len(errs) > 0 {
		return nil, Capacity{}, errors.Join(errs...)
	}

	capa := derive(c)
	if capa.ProvisionedMin > capa.ProvisionedMax {
		bad("ProvisionedMin (%d) must be ≤ ProvisionedMax (%d)", capa.ProvisionedMin, capa.ProvisionedMax)
	}
	if capa.ReservedConcurrency < capa.ProvisionedMax {
		bad("ReservedConcurrency (%d) must be ≥ ProvisionedMax (%d): provisioned concurrency is drawn from the reserved pool; raise ReservedConcurrency or lower ProvisionedMax", capa.ReservedConcurrency, capa.ProvisionedMax)
	}
	if len(errs) > 0 {
		return nil, Capacity{}, errors.Join(errs...)
	}
	return c, capa, nil
}

func str(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

func num(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}

func flag(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func dur(d awscdk.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return time.Duration(*d.ToMilliseconds(nil) * float64(time.Millisecond))
}
