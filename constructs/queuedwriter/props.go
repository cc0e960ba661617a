package queuedwriter

import (
	"errors"
	"fmt"
	"math"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// The generic writer Lambda's Go main packages: one per sink, so a
// bootstrap links only its own database client (DynamoDB 8.4 MB,
// PostgreSQL 10.9 MB; the combined writer is 12 MB and inits slower).
const (
	// DefaultWriterEntry is the combined writer (either sink, by SINK).
	DefaultWriterEntry = "github.com/campaignkit/campaignkit/lambdas/queuedwriter/writer"
	// DynamoDBWriterEntry is the default writer of the DynamoDB sink.
	DynamoDBWriterEntry = DefaultWriterEntry + "/dynamodb"
	// AuroraWriterEntry is the default writer of the Aurora sink.
	AuroraWriterEntry = DefaultWriterEntry + "/postgres"
)

// Defaults, named so docs, tests and the capacity planner can refer to them.
const (
	DefaultMaxReceiveCount            = 5
	DefaultTimeoutSeconds             = 30
	DefaultMemorySize                 = 256
	DefaultStandardBatchSize          = 100
	DefaultFIFOBatchSize              = 10
	DefaultStandardBatchingWindowSecs = 1
	DefaultQueueRetentionDays         = 4
	DeadLetterRetentionDays           = 14
	DefaultOldestMessageAgeSeconds    = 300
	DefaultWriteBudget                = 4000 // WU/s: what a new on-demand table takes warm
	DefaultRecordsPerSecondPerWriter  = 500  // one invocation: BatchWriteItem of 25 in ~50 ms
	DefaultWriteUnitsPerRecord        = 1    // items ≤ 1 KB
	DefaultMinACU                     = 0.5
	DefaultMaxACU                     = 4
	DefaultMaxConnectionsPercent      = 50
	DefaultDatabaseName               = "campaign"
	DefaultDatabaseUser               = "campaignkit"
	DefaultBackupRetentionDays        = 7
	DefaultSecretRotationDays         = 30

	// ConnectionsPerACU is a conservative estimate of Aurora PostgreSQL's
	// max_connections per ACU of the writer's maximum capacity
	// (LEAST(DBInstanceClassMemory/9531392, 5000), ~2 GiB per ACU less
	// what the OS keeps).
	ConnectionsPerACU = 180
	// WriterConnectionShare is the part of the proxy's pool the writers may
	// hold by default; the rest serves the app's own queries and admin.
	WriterConnectionShare = 0.5
	// ConnectionsPerWriter is the pool size of one writer execution
	// environment (DB_MAX_CONNS): one invocation runs at a time in it.
	ConnectionsPerWriter = 1

	// Event-source maximum concurrency bounds (Lambda SQS scaling).
	minEventSourceConcurrency = 2
	maxEventSourceConcurrency = 1000
)

// Props configure a QueuedDatabaseWriter. Set exactly one sink: DynamoDB or
// Aurora. Every nil field takes the default its comment states.
type Props struct {
	// Production marks a production stage: the table or cluster gets
	// deletion protection and RemovalPolicy RETAIN, log groups are retained.
	// Default: false (DESTROY, no deletion protection).
	Production *bool

	// Fifo makes the queue (and its DLQ) FIFO. Default: false (standard).
	Fifo *bool
	// HighThroughputFifo turns on FIFO high-throughput mode
	// (DeduplicationScope messageGroup, FifoThroughputLimit perMessageGroupId).
	// Requires Fifo. Default: false.
	HighThroughputFifo *bool
	// ContentBasedDeduplication lets SQS derive the deduplication id from
	// the body (SHA-256). When false, producers must send an explicit
	// MessageDeduplicationId (the idempotency key). FIFO only.
	// Default: false (explicit ids from the producer helper).
	ContentBasedDeduplication *bool
	// EncryptionKey encrypts the queue and DLQ with a customer managed KMS
	// key. Default: nil, SQS-managed SSE (SSE-SQS).
	EncryptionKey awskms.IKey
	// MaxReceiveCount is how often a message is received before it moves to
	// the DLQ (1..1000). Default: 5.
	MaxReceiveCount *float64
	// RetentionPeriod of the main queue. Default: 4 days. The DLQ keeps
	// messages 14 days (the SQS maximum).
	RetentionPeriod awscdk.Duration
	// OldestMessageAgeAlarm is the age of the oldest message on the main
	// queue that raises an alarm. Default: 5 minutes.
	OldestMessageAgeAlarm awscdk.Duration
	// AlarmTopic receives the alarms. Default: an encrypted, TLS-only topic.
	AlarmTopic awssns.ITopic

	// WriterEntry is the writer Lambda's Go main package (import path).
	// Default: DynamoDBWriterEntry or AuroraWriterEntry, by sink.
	WriterEntry *string
	// Timeout of the writer function (1..900 s). Default: 30 s.
	Timeout awscdk.Duration
	// MemorySize of the writer function in MB. Default: 256.
	MemorySize *float64
	// Environment is merged into the writer's environment (the construct's
	// own keys win). Default: none.
	Environment *map[string]*string
	// LogRetention of the writer's log group. Default: two weeks.
	LogRetention awslogs.RetentionDays

	// BatchSize is the most records per invocation: 1..10,000 on a standard
	// queue (above 10 needs MaxBatchingWindow ≥ 1 s), 1..10 on FIFO.
	// Default: 100 standard, 10 FIFO.
	BatchSize *float64
	// MaxBatchingWindow is how long Lambda gathers records (0..300 s;
	// must be 0 on FIFO). Default: 1 s standard, 0 FIFO.
	MaxBatchingWindow awscdk.Duration
	// MaxConcurrency of the event source (2..1000). Default: derived from
	// the sink's budget (see Derived).
	MaxConcurrency *float64
	// ReservedConcurrency of the writer function; must be ≥ MaxConcurrency.
	// Default: MaxConcurrency + max(2, 10%).
	ReservedConcurrency *float64

	// DynamoDB selects the DynamoDB sink.
	DynamoDB *DynamoDBSink
	// Aurora selects the Aurora PostgreSQL Serverless v2 sink.
	Aurora *AuroraSink
}

// DynamoDBSink configures the DynamoDB table (pk/sk strings).
type DynamoDBSink struct {
	// EncryptionKey is a customer managed key for the table. Default: nil,
	// the AWS managed key (aws/dynamodb).
	EncryptionKey awskms.IKey
	// WriteCapacity switches the table to provisioned billing with this
	// many WCU. Default: nil, on-demand (PAY_PER_REQUEST).
	WriteCapacity *float64
	// ReadCapacity is the RCU with provisioned billing. Default: 5.
	ReadCapacity *float64
	// WarmWriteUnitsPerSecond pre-warms an on-demand table (WarmThroughput)
	// so it takes this many write units per second from the first minute of
	// the campaign instead of throttling while it splits: 4,000..40,000
	// (above 40,000 raise the table quota first). Default: nil, a new
	// table's 4,000.
	WarmWriteUnitsPerSecond *float64
	// WarmReadUnitsPerSecond pre-warms reads likewise: 12,000..40,000.
	// Default: nil, a new table's 12,000.
	WarmReadUnitsPerSecond *float64
	// WriteBudget is the write units per second the writers may use.
	// Default: WriteCapacity when provisioned, else WarmWriteUnitsPerSecond
	// when given, else 4,000 (what a new on-demand table absorbs warm).
	WriteBudget *float64
	// RecordsPerSecondPerWriter is the records one writer invocation
	// writes per second. Default: 500.
	RecordsPerSecondPerWriter *float64
	// WriteUnitsPerRecord is the write units one record costs. Default: 1.
	WriteUnitsPerRecord *float64
}

// AuroraSink configures the Aurora PostgreSQL Serverless v2 cluster.
type AuroraSink struct {
	// Vpc to place the cluster, proxy and writer in (private subnets).
	// Default: a new two-AZ VPC with isolated subnets only, flow logs and a
	// Secrets Manager interface endpoint.
	Vpc awsec2.IVpc
	// VpcSubnets for cluster, proxy and writer. Default: private isolated
	// subnets of a created VPC, private with egress of a given one.
	VpcSubnets *awsec2.SubnetSelection
	// MinACU is the minimum capacity (0..256, 0.5 steps). Default: 0.5.
	MinACU *float64
	// MaxACU is the maximum capacity (1..256, 0.5 steps). Default: 4.
	MaxACU *float64
	// DatabaseName is the initial database. Default: "campaign".
	DatabaseName *string
	// MaxConnectionsPercent of max_connections the RDS Proxy may open
	// (1..100). Default: 50.
	MaxConnectionsPercent *float64
	// ConnectionBudget is the number of proxy connections the writers may
	// hold (one per concurrent invocation). Default: MaxACU × 180 ×
	// MaxConnectionsPercent / 100 × 0.5 (180 with the defaults).
	ConnectionBudget *float64
	// BackupRetention of automated backups. Default: 7 days.
	BackupRetention awscdk.Duration
	// Engine of the cluster. Default: Aurora PostgreSQL 16.6.
	Engine awsrds.IClusterEngine
}

// Derived holds the numbers the construct computed from the props.
type Derived struct {
	// Fifo is true for a FIFO queue.
	Fifo bool
	// BatchSize and MaxBatchingWindowSeconds of the event source.
	BatchSize, MaxBatchingWindowSeconds float64
	// TimeoutSeconds of the writer function.
	TimeoutSeconds float64
	// VisibilityTimeoutSeconds = 6 × TimeoutSeconds + MaxBatchingWindowSeconds.
	VisibilityTimeoutSeconds float64
	// SinkBudget is the write units per second (DynamoDB) or connections
	// (Aurora) the writers may use; SinkBudgetUnit names the unit.
	SinkBudget     float64
	SinkBudgetUnit string
	// MaxConcurrency of the event source and ReservedConcurrency of the
	// writer function.
	MaxConcurrency, ReservedConcurrency float64
	// MaxReceiveCount before a message is dead-lettered.
	MaxReceiveCount float64
	// Basis explains how MaxConcurrency was obtained.
	Basis string
}

// resolved is Props with every default applied, plus the derived numbers.
type resolved struct {
	Props
	production, fifo, highThroughput, contentDedup bool
	entry                                          string
	memory                                         float64
	derived                                        Derived
	oldestAgeSeconds                               float64
	retentionSeconds                               float64
	// DynamoDB
	writeBudget, recordsPerWriter, unitsPerRecord float64
	// Aurora
	minACU, maxACU, maxConnPct, connBudget float64
	dbName                                 string
}

func seconds(d awscdk.Duration, def float64) float64 {
	if d == nil {
		return def
	}
	return *d.ToSeconds(nil)
}

func num(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}

func flag(p *bool) bool { return p != nil && *p }

// resolve applies the defaults to a copy of p and derives the numbers; it
// reports every problem it finds.
func (p *Props) resolve() (*resolved, error) {
	if p == nil {
		p = &Props{}
	}
	r := &resolved{Props: *p}
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("queuedwriter: "+format, a...)) }

	r.production = flag(p.Production)
	r.fifo = flag(p.Fifo)
	r.highThroughput = flag(p.HighThroughputFifo)
	r.contentDedup = flag(p.ContentBasedDeduplication)
	if r.highThroughput && !r.fifo {
		bad("HighThroughputFifo needs Fifo: set Fifo to true or drop HighThroughputFifo")
	}
	if r.contentDedup && !r.fifo {
		bad("ContentBasedDeduplication applies to FIFO queues only: set Fifo to true or drop ContentBasedDeduplication")
	}
	switch {
	case p.DynamoDB != nil && p.Aurora != nil:
		bad("both DynamoDB and Aurora are set: set exactly one sink")
	case p.DynamoDB == nil && p.Aurora == nil:
		bad("no sink: set exactly one of DynamoDB or Aurora")
	}
	r.entry = DynamoDBWriterEntry
	if p.Aurora != nil {
		r.entry = AuroraWriterEntry
	}
	if p.WriterEntry != nil {
		r.entry = *p.WriterEntry
	}
	if r.entry == "" {
		bad("WriterEntry is empty: leave it nil for the sink's writer (%s or %s) or name a Go main package", DynamoDBWriterEntry, AuroraWriterEntry)
	}

	d := &r.derived
	d.Fifo = r.fifo
	d.MaxReceiveCount = num(p.MaxReceiveCount, DefaultMaxReceiveCount)
	if d.MaxReceiveCount < 1 || d.MaxReceiveCount > 1000 || d.MaxReceiveCount != math.Trunc(d.MaxReceiveCount) {
		bad("MaxReceiveCount (%g) must be a whole number in 1..1000", d.MaxReceiveCount)
	}
	r.retentionSeconds = seconds(p.RetentionPeriod, DefaultQueueRetentionDays*86400)
	if r.retentionSeconds < 60 || r.retentionSeconds > DeadLetterRetentionDays*86400 {
		bad("RetentionPeriod (%g s) must be between 60 s and 14 days", r.retentionSeconds)
	}
	r.oldestAgeSeconds = seconds(p.OldestMessageAgeAlarm, DefaultOldestMessageAgeSeconds)
	if r.oldestAgeSeconds <= 0 {
		bad("OldestMessageAgeAlarm (%g s) must be positive", r.oldestAgeSeconds)
	}

	d.TimeoutSeconds = seconds(p.Timeout, DefaultTimeoutSeconds)
	if d.TimeoutSeconds < 1 || d.TimeoutSeconds > 900 {
		bad("Timeout (%g s) must be between 1 s and 900 s", d.TimeoutSeconds)
	}
	r.memory = num(p.MemorySize, DefaultMemorySize)
	if r.memory < 128 || r.memory > 10240 {
		bad("MemorySize (%g MB) must be between 128 and 10240", r.memory)
	}

	defBatch, defWindow := float64(DefaultStandardBatchSize), float64(DefaultStandardBatchingWindowSecs)
	if r.fifo {
		defBatch, defWindow = DefaultFIFOBatchSize, 0
	}
	d.BatchSize = num(p.BatchSize, defBatch)
	d.MaxBatchingWindowSeconds = seconds(p.MaxBatchingWindow, defWindow)
	switch {
	case d.BatchSize < 1:
		bad("BatchSize (%g) must be at least 1", d.BatchSize)
	case r.fifo && d.BatchSize > 10:
		bad("BatchSize (%g) must be ≤ 10 on a FIFO queue", d.BatchSize)
	case d.BatchSize > 10000:
		bad("BatchSize (%g) must be ≤ 10,000", d.BatchSize)
	}
	switch {
	case d.MaxBatchingWindowSeconds < 0 || d.MaxBatchingWindowSeconds > 300:
		bad("MaxBatchingWindow (%g s) must be between 0 and 300 s", d.MaxBatchingWindowSeconds)
	case r.fifo && d.MaxBatchingWindowSeconds > 0:
		bad("MaxBatchingWindow (%g s) is not supported on a FIFO queue: leave it nil", d.MaxBatchingWindowSeconds)
	case !r.fifo && d.BatchSize > 10 && d.MaxBatchingWindowSeconds < 1:
		bad("BatchSize (%g) above 10 needs MaxBatchingWindow ≥ 1 s (got %g s)", d.BatchSize, d.MaxBatchingWindowSeconds)
	}
	d.VisibilityTimeoutSeconds = 6*d.TimeoutSeconds + d.MaxBatchingWindowSeconds

	// The sink's budget bounds how many writers may run at once.
	perWriter := 1.0
	if s := p.DynamoDB; s != nil && p.Aurora == nil {
		r.writeBudget = num(s.WriteBudget, num(s.WriteCapacity, num(s.WarmWriteUnitsPerSecond, DefaultWriteBudget)))
		if w := s.WarmWriteUnitsPerSecond; w != nil && (*w < 4000 || *w > 40000) {
			bad("DynamoDB.WarmWriteUnitsPerSecond (%g) must be within 4,000..40,000 (a new table is warm for 4,000; above 40,000 raise the table quota)", *w)
		}
		if rd := s.WarmReadUnitsPerSecond; rd != nil && (*rd < 12000 || *rd > 40000) {
			bad("DynamoDB.WarmReadUnitsPerSecond (%g) must be within 12,000..40,000 (a new table is warm for 12,000; above 40,000 raise the table quota)", *rd)
		}
		if s.WriteCapacity != nil && (s.WarmWriteUnitsPerSecond != nil || s.WarmReadUnitsPerSecond != nil) {
			bad("DynamoDB.WarmWriteUnitsPerSecond/WarmReadUnitsPerSecond apply to on-demand tables: drop them or WriteCapacity")
		}
		r.recordsPerWriter = num(s.RecordsPerSecondPerWriter, DefaultRecordsPerSecondPerWriter)
		r.unitsPerRecord = num(s.WriteUnitsPerRecord, DefaultWriteUnitsPerRecord)
		if r.writeBudget <= 0 {
			bad("DynamoDB.WriteBudget (%g) must be positive", r.writeBudget)
		}
		if r.recordsPerWriter <= 0 {
			bad("DynamoDB.RecordsPerSecondPerWriter (%g) must be positive", r.recordsPerWriter)
		}
		if r.unitsPerRecord <= 0 {
			bad("DynamoDB.WriteUnitsPerRecord (%g) must be positive", r.unitsPerRecord)
		}
		if s.WriteCapacity != nil && *s.WriteCapacity < 1 {
			bad("DynamoDB.WriteCapacity (%g) must be at least 1", *s.WriteCapacity)
		}
		if s.WriteCapacity != nil && r.writeBudget > *s.WriteCapacity {
			bad("DynamoDB.WriteBudget (%g) must be ≤ WriteCapacity (%g)", r.writeBudget, *s.WriteCapacity)
		}
		d.SinkBudget, d.SinkBudgetUnit = r.writeBudget, "write units/s"
		perWriter = r.recordsPerWriter * r.unitsPerRecord
		d.Basis = fmt.Sprintf("%g WU/s ÷ (%g records/s × %g WU per record)", r.writeBudget, r.recordsPerWriter, r.unitsPerRecord)
	}
	if s := p.Aurora; s != nil && p.DynamoDB == nil {
		r.minACU = num(s.MinACU, DefaultMinACU)
		r.maxACU = num(s.MaxACU, DefaultMaxACU)
		for _, c := range []struct {
			name string
			v    float64
		}{{"MinACU", r.minACU}, {"MaxACU", r.maxACU}} {
			if c.v < 0 || c.v > 256 || c.v*2 != math.Trunc(c.v*2) {
				bad("Aurora.%s (%g) must be in 0..256 in steps of 0.5", c.name, c.v)
			}
		}
		if r.maxACU < 1 {
			bad("Aurora.MaxACU (%g) must be at least 1", r.maxACU)
		}
		if r.minACU > r.maxACU {
			bad("Aurora.MinACU (%g) must be ≤ MaxACU (%g)", r.minACU, r.maxACU)
		}
		r.maxConnPct = num(s.MaxConnectionsPercent, DefaultMaxConnectionsPercent)
		if r.maxConnPct < 1 || r.maxConnPct > 100 {
			bad("Aurora.MaxConnectionsPercent (%g) must be in 1..100", r.maxConnPct)
		}
		r.connBudget = num(s.ConnectionBudget, math.Floor(r.maxACU*ConnectionsPerACU*r.maxConnPct/100*WriterConnectionShare))
		if r.connBudget < 1 {
			bad("Aurora.ConnectionBudget (%g) must be at least 1", r.connBudget)
		}
		r.dbName = DefaultDatabaseName
		if s.DatabaseName != nil {
			r.dbName = *s.DatabaseName
		}
		if r.dbName == "" {
			bad("Aurora.DatabaseName is empty: leave it nil for %q", DefaultDatabaseName)
		}
		d.SinkBudget, d.SinkBudgetUnit = r.connBudget, "connections"
		perWriter = ConnectionsPerWriter
		d.Basis = fmt.Sprintf("%g proxy connections ÷ %d connection per writer", r.connBudget, ConnectionsPerWriter)
		if s.ConnectionBudget == nil {
			d.Basis = fmt.Sprintf("%g ACU × %d connections/ACU × %g%% proxy pool × %g writer share = %g connections ÷ %d per writer",
				r.maxACU, ConnectionsPerACU, r.maxConnPct, WriterConnectionShare, r.connBudget, ConnectionsPerWriter)
		}
	}

	if p.MaxConcurrency != nil {
		d.MaxConcurrency = *p.MaxConcurrency
		d.Basis = "explicit MaxConcurrency"
		if d.MaxConcurrency < minEventSourceConcurrency || d.MaxConcurrency > maxEventSourceConcurrency || d.MaxConcurrency != math.Trunc(d.MaxConcurrency) {
			bad("MaxConcurrency (%g) must be a whole number in 2..1000", d.MaxConcurrency)
		}
	} else if d.SinkBudget > 0 {
		c := math.Floor(d.SinkBudget / perWriter)
		d.MaxConcurrency = math.Max(minEventSourceConcurrency, math.Min(maxEventSourceConcurrency, c))
		d.Basis += fmt.Sprintf(" = %g, within 2..1000 → %g", c, d.MaxConcurrency)
	}
	if p.ReservedConcurrency != nil {
		d.ReservedConcurrency = *p.ReservedConcurrency
		if d.ReservedConcurrency < 1 || d.ReservedConcurrency != math.Trunc(d.ReservedConcurrency) {
			bad("ReservedConcurrency (%g) must be a whole number ≥ 1", d.ReservedConcurrency)
		}
	} else {
		d.ReservedConcurrency = d.MaxConcurrency + math.Max(2, math.Ceil(d.MaxConcurrency/10))
	}
	if d.MaxConcurrency > d.ReservedConcurrency {
		bad("MaxConcurrency (%g) must be ≤ ReservedConcurrency (%g): Lambda would throttle the writer and messages would be dead-lettered; raise ReservedConcurrency or lower MaxConcurrency",
			d.MaxConcurrency, d.ReservedConcurrency)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// Validate reports every problem with the props, one line each, naming the
// prop and the fix. New panics with this error.
func (p *Props) Validate() error {
	_, err := p.resolve()
	return err
}

// Derive returns the numbers New would use (concurrency, visibility timeout,
// batch settings) without building anything.
func (p *Props) Derive() (Derived, error) {
	r, err := p.resolve()
	if err != nil {
		return Derived{}, err
	}
	return r.derived, nil
}

func dur(s float64) awscdk.Duration { return awscdk.Duration_Seconds(jsii.Number(s)) }
