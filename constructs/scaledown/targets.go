package scaledown

import (
	"fmt"
	"math"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"

	"github.com/campaignkit/campaignkit/constructs/scaledown/calendar"
)

// Kind says what a target scales and therefore how: Application Auto
// Scaling scheduled actions, or EventBridge Scheduler universal targets.
type Kind string

// Target kinds.
const (
	// KindProvisionedConcurrency is a Lambda alias's provisioned
	// concurrency (Application Auto Scaling; Min/Max integers ≥ 0).
	KindProvisionedConcurrency Kind = "lambda-provisioned-concurrency"
	// KindECSService is an ECS service's desired count (Application Auto
	// Scaling; Min/Max integers ≥ 0, Min = Max = 0 scales to zero).
	KindECSService Kind = "ecs-service"
	// KindDynamoDBCapacity is a provisioned table's (or index's) read or
	// write capacity (Application Auto Scaling; integers ≥ 1).
	KindDynamoDBCapacity Kind = "dynamodb-capacity"
	// KindWriterConcurrency is an SQS event source mapping's
	// MaximumConcurrency (EventBridge Scheduler calling
	// lambda:UpdateEventSourceMapping; the level's Max, 2–1000).
	KindWriterConcurrency Kind = "sqs-maximum-concurrency"
	// KindAuroraCapacity is an Aurora Serverless v2 cluster's min/max ACU
	// (EventBridge Scheduler calling rds:ModifyDBCluster; 0–256 in 0.5 steps).
	KindAuroraCapacity Kind = "aurora-serverless-v2"
)

// Schedulable is anything with Application Auto Scaling scheduled actions:
// awsapplicationautoscaling.ScalableTarget (a ScalableWebTier's
// ScalableTarget()), awslambda.IScalableFunctionAttribute
// (alias.AddAutoScaling), awsecs.ScalableTaskCount
// (service.AutoScaleTaskCount) and awsdynamodb.IScalableTableAttribute
// (table.AutoScaleReadCapacity / AutoScaleWriteCapacity).
type Schedulable interface {
	ScaleOnSchedule(id *string, action *awsapplicationautoscaling.ScalingSchedule)
}

// EventSourceMapping is what the writer target needs of an event source
// mapping; awslambda.IEventSourceMapping (a QueuedDatabaseWriter's mapping,
// or EventSourceMapping_FromEventSourceMappingId) satisfies it.
type EventSourceMapping interface {
	EventSourceMappingId() *string
	EventSourceMappingArn() *string
}

// AuroraCluster is what the Aurora target needs of a cluster;
// awsrds.IDatabaseCluster (or DatabaseCluster_FromDatabaseClusterAttributes
// with only ClusterIdentifier) satisfies it.
type AuroraCluster interface {
	ClusterIdentifier() *string
}

// Target is one thing the calendar scales, named as in the calendar's
// levels. Build it with the constructors below.
type Target struct {
	// Name is the key of this target in the calendar's level maps.
	Name string
	Kind Kind
	// Scalable is set for Application Auto Scaling kinds.
	Scalable Schedulable
	// EventSourceMapping is set for KindWriterConcurrency.
	EventSourceMapping EventSourceMapping
	// Cluster is set for KindAuroraCapacity.
	Cluster AuroraCluster
}

// ProvisionedConcurrency scales a Lambda alias's provisioned concurrency
// through its scalable target (which must own it; see the package doc).
func ProvisionedConcurrency(name string, t Schedulable) Target {
	return Target{Name: name, Kind: KindProvisionedConcurrency, Scalable: t}
}

// ECSService scales an ECS service's task count through its scalable target.
func ECSService(name string, t Schedulable) Target {
	return Target{Name: name, Kind: KindECSService, Scalable: t}
}

// DynamoDBCapacity scales a provisioned table's read or write capacity
// through its scalable attribute.
func DynamoDBCapacity(name string, t Schedulable) Target {
	return Target{Name: name, Kind: KindDynamoDBCapacity, Scalable: t}
}

// WriterConcurrency sets an SQS event source mapping's MaximumConcurrency
// to each level's Max.
func WriterConcurrency(name string, m EventSourceMapping) Target {
	return Target{Name: name, Kind: KindWriterConcurrency, EventSourceMapping: m}
}

// AuroraCapacity sets an Aurora Serverless v2 cluster's min/max ACU.
func AuroraCapacity(name string, c AuroraCluster) Target {
	return Target{Name: name, Kind: KindAuroraCapacity, Cluster: c}
}

// usesScheduler reports whether the kind needs EventBridge Scheduler.
func (k Kind) usesScheduler() bool {
	return k == KindWriterConcurrency || k == KindAuroraCapacity
}

func (t Target) check() error {
	switch t.Kind {
	case KindProvisionedConcurrency, KindECSService, KindDynamoDBCapacity:
		if t.Scalable == nil {
			return fmt.Errorf("scaledown: Targets %q (%s) needs Scalable (its scalable target or scalable attribute)", t.Name, t.Kind)
		}
	case KindWriterConcurrency:
		if t.EventSourceMapping == nil {
			return fmt.Errorf("scaledown: Targets %q (%s) needs EventSourceMapping (the writer's SQS event source mapping)", t.Name, t.Kind)
		}
	case KindAuroraCapacity:
		if t.Cluster == nil {
			return fmt.Errorf("scaledown: Targets %q (%s) needs Cluster (the Aurora Serverless v2 cluster)", t.Name, t.Kind)
		}
	default:
		return fmt.Errorf("scaledown: Targets %q has unknown Kind %q: build targets with ProvisionedConcurrency, ECSService, DynamoDBCapacity, WriterConcurrency or AuroraCapacity", t.Name, t.Kind)
	}
	return nil
}

// checkLevel validates a level against the target's own range.
func (t Target) checkLevel(where string, l calendar.Level) error {
	integer := func(f float64) bool { return f == math.Trunc(f) }
	prefix := fmt.Sprintf("scaledown: Calendar %s level for %q (%s)", where, t.Name, t.Kind)
	switch t.Kind {
	case KindProvisionedConcurrency, KindECSService:
		if !integer(l.Min) || !integer(l.Max) {
			return fmt.Errorf("%s: Min (%g) and Max (%g) must be whole numbers", prefix, l.Min, l.Max)
		}
	case KindDynamoDBCapacity:
		if !integer(l.Min) || !integer(l.Max) || l.Min < 1 {
			return fmt.Errorf("%s: Min (%g) and Max (%g) must be whole capacity units ≥ 1", prefix, l.Min, l.Max)
		}
	case KindWriterConcurrency:
		if !integer(l.Max) || l.Max < 2 || l.Max > 1000 {
			return fmt.Errorf("%s: Max (%g) sets the SQS event source MaximumConcurrency and must be a whole number from 2 to 1000", prefix, l.Max)
		}
	case KindAuroraCapacity:
		if l.Max > 256 || l.Max < 1 || !integer(l.Min*2) || !integer(l.Max*2) {
			return fmt.Errorf("%s: Min (%g) and Max (%g) must be ACU in 0.5 steps, Max from 1 to 256", prefix, l.Min, l.Max)
		}
	}
	return nil
}
