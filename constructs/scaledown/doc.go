// Package scaledown is the ScheduledScaleDown construct: it turns a campaign
// calendar (package calendar: named phases in an IANA time zone, recurring
// windows, a default level and a warm-up lead time) into scheduled capacity,
// so a campaign pays for capacity only in its window.
//
//	sched := scaledown.New(stack, jsii.String("Calendar"), &scaledown.Props{
//		Calendar: &cal,
//		Targets: []scaledown.Target{
//			scaledown.ProvisionedConcurrency("api", web.ScalableTarget()),
//			scaledown.WriterConcurrency("writer", writer.EventSourceMapping()),
//			scaledown.AuroraCapacity("db", cluster),
//			scaledown.ECSService("worker", service.AutoScaleTaskCount(...)),
//			scaledown.DynamoDBCapacity("votes-write", table.AutoScaleWriteCapacity(...)),
//		},
//	})
//	sched.Plan().Format(os.Stderr) // what happens when, local time and UTC
//
// # How each target is scaled
//
// Lambda provisioned concurrency, ECS services and DynamoDB provisioned
// capacity get Application Auto Scaling scheduled actions on their scalable
// target, each with TimeZone set to the calendar's zone: AWS evaluates the
// at() and cron() expressions in local time, so daylight saving time never
// shifts an action (no UTC-cron trap). A level sets MinCapacity and
// MaxCapacity; target tracking, if any, moves within them.
//
// An SQS event source mapping's MaximumConcurrency and an Aurora Serverless
// v2 cluster's ACU range cannot be scaled by Application Auto Scaling, so
// they get EventBridge Scheduler schedules calling the universal targets
// lambda:updateEventSourceMapping and rds:modifyDBCluster, in the same time
// zone, with flexible time window OFF, a retry policy, a dead-letter queue
// (SQS-managed encryption, TLS only) and alarms on failed invocations and
// on the dead-letter queue's depth, sent to the alarm topic. The execution
// role may only call those two actions on the named mapping and clusters and
// send to its own dead-letter queue.
//
// # Restore, not leftovers
//
// Scheduled actions set a size and never undo it. Every phase therefore
// ends with an explicit restore to the calendar's Default level (unless the
// next phase starts at that instant), and every window occurrence ends with
// a restore to its phase's level. A warm-up raises capacity WarmUp before a
// phase for the targets the phase raises; scale-downs wait for the phase.
//
// # Provisioned concurrency at zero, and deploys that keep working
//
// Let the scalable target own provisioned concurrency: create it with
// alias.AddAutoScaling (or a ScalableWebTier's ScalableTarget) and do NOT set
// ProvisionedConcurrentExecutions on the alias or version. Otherwise each
// deploy that updates the alias (every code change publishes a version)
// writes the template's value back, undoing the calendar, and such an
// update can fail while Application Auto Scaling holds a different value. Lambda accepts 0 as the scalable
// target's minimum, so a level with Min = Max = 0 takes provisioned
// concurrency to zero and the alias serves on demand; the next level above
// 0 provisions again (no session here has AWS credentials: try the first
// scale to zero in a test account). Register the scalable target with
// MinCapacity 0 so the scheduled minimum is within its range. ECS works the
// same way: Min = Max = 0 stops every task and the next level starts them.
//
// The writer's MaximumConcurrency and Aurora's ACU range are also set in
// their own templates. CloudFormation writes those values only when they
// change in the template, so an ordinary deploy keeps the calendar's level;
// a deploy that changes them overrides it until the next scheduled action.
//
// # Time
//
// Phase dates are local wall-clock times in the calendar's zone; the DST
// rule for nonexistent and ambiguous times is documented in package
// calendar. Actions before Props.Now are left out with a warning
// (a CDK annotation), never an error, so a campaign can be redeployed while
// it runs. One-shot schedules stay after they ran (ActionAfterCompletion
// NONE) so CloudFormation can still update and delete them.
package scaledown
