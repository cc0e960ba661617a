// Package webtier is campaignkit's ScalableWebTier: a Go Lambda function
// behind a front door that always targets a Lambda alias (a Function URL for
// CloudFront with origin access control, or an API Gateway HTTP API), sized
// from a capacity target instead of knobs, released with CodeDeploy traffic
// shifting and watched by alarms and a dashboard.
//
// # Capacity from a target
//
// Props state the peak load — PeakConcurrentUsers and ThinkTime, or
// PeakRequestsPerSecond — and the expected MeanDuration. With Little's law:
//
//	RequestsPerSecond   = PeakConcurrentUsers / ThinkTime
//	PeakConcurrency     = ceil(RequestsPerSecond × MeanDuration)
//	ReservedConcurrency = max(ceil(PeakConcurrency × Headroom), ProvisionedMax)   Headroom default 1.2
//	ProvisionedMax      = PeakConcurrency                                         (ceiling)
//	ProvisionedMin      = max(1, ceil(ProvisionedMax × ProvisionedFloor))         ProvisionedFloor default 0.1
//
// Every derived number can be overridden and is reported by WebTier.Capacity
// (and Props.Plan, without synthesizing). The derived numbers are also written
// to the function's CloudFormation metadata under "campaignkit:capacity" so a
// planner can read the target back from the template.
//
// # Provisioned concurrency
//
// The alias never declares ProvisionedConcurrentExecutions: an Application
// Auto Scaling scalable target on the alias (lambda:function:ProvisionedConcurrency)
// is its only owner, with min/max = ProvisionedMin/ProvisionedMax and a
// target-tracking policy on LambdaProvisionedConcurrencyUtilization
// (TargetUtilization, default 0.7). Deploys therefore never fight scheduled
// scaling (ScalableTarget is exposed for scheduled actions). Consequence: right
// after the first deploy the alias has no provisioned concurrency until
// Application Auto Scaling applies the minimum, usually within a few minutes;
// warm the tier (or schedule the warm-up) before announcing a campaign.
//
// Requests above the provisioned ceiling spill over to on-demand concurrency,
// bounded by ReservedConcurrency; the spillover alarm reports it.
//
// # Releases and observability
//
// Every deploy shifts traffic from the old version to the new one with
// CodeDeploy (default canary 10 % for 5 minutes) and rolls back automatically
// when the error-rate or p99-duration alarm fires. Alarms (error rate,
// throttles, p99 duration against the P99Latency SLO, provisioned-concurrency
// spillover) notify an SNS topic, given or created; a CloudWatch dashboard
// shows the same signals. Logs are JSON with a retention; X-Ray tracing is
// active. Each of these can be switched off with its prop.
package webtier
