// Package plan reads a synthesized cloud assembly and a scenario's target
// and says, limit by limit, whether the stack can carry it: edge rate,
// front-door quota, Lambda concurrency and scaling ramp, provisioned
// concurrency at the peak, queue throughput, writer drain rate and table
// throughput. Each shortfall names the quota to raise or the prop to change.
// It also estimates the campaign's cost from dated unit prices.
package plan

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

// Published defaults (reference/aws-limits.md).
const (
	CloudFrontRPS            = 250_000 // per distribution
	APIGatewayRPS            = 10_000  // per account and region, HTTP+REST+WebSocket
	APIGatewayBurst          = 5_000
	LambdaAccountConcurrency = 1_000
	LambdaUnreservedMinimum  = 100   // AWS keeps this much unreserved
	LambdaScalingStep        = 1_000 // execution environments per function...
	LambdaScalingEvery       = 10 * time.Second
	FIFOTPS                  = 300   // per API action, no batching
	FIFOBatchedMPS           = 3_000 // with batches of 10
	DynamoTableWRU           = 40_000
	DynamoTableRRU           = 40_000
	DynamoNewTableWarmWRU    = 4_000
	DynamoNewTableWarmRRU    = 12_000
	DynamoPartitionWU        = 1_000
	SQSMaxConcurrencyDefault = 1_000 // SQS → Lambda without MaximumConcurrency
)

// fifoHighThroughput is SQS FIFO high-throughput TPS by region.
var fifoHighThroughput = map[string]float64{
	"us-east-1": 70_000, "us-west-2": 70_000, "eu-west-1": 70_000,
	"us-east-2": 19_000, "eu-central-1": 19_000,
}

// Options are account facts the template cannot tell.
type Options struct {
	// AccountConcurrency is the account's Lambda concurrency quota in the
	// region. Default 1,000 (raise it with Service Quotas L-B99A9384).
	AccountConcurrency float64
	// APIGatewayRPS is the account's API Gateway throttle quota. Default 10,000.
	APIGatewayRPS float64
	// Region overrides the region read from manifest.json.
	Region string
}

// Check is one limit with its verdict.
type Check struct {
	Limit string  `json:"limit"`
	Need  float64 `json:"need"`
	Have  float64 `json:"have"`
	Unit  string  `json:"unit"`
	OK    bool    `json:"ok"`
	// Warn marks a check that informs but does not fail the plan.
	Warn   bool   `json:"warn,omitempty"`
	Detail string `json:"detail"`
	// Fix names the quota to raise or the prop to change when !OK.
	Fix string `json:"fix,omitempty"`
}

// Plan is the planner's verdict.
type Plan struct {
	Scenario    string  `json:"scenario"`
	Assembly    string  `json:"assembly"`
	Region      string  `json:"region"`
	TargetRate  float64 `json:"targetRate"`
	PeakRate    float64 `json:"scenarioPeakRate"`
	WriteRate   float64 `json:"writeRate"`
	ReadRate    float64 `json:"readRate"`
	Concurrency float64 `json:"webConcurrency"`
	Checks      []Check `json:"checks"`
	Cost        *Cost   `json:"cost,omitempty"`
	OK          bool    `json:"ok"`
}

// Make plans scenario s's target rate against the assembly.
func Make(s *scenario.Scenario, a *Assembly, o Options) *Plan {
	if o.AccountConcurrency == 0 {
		o.AccountConcurrency = LambdaAccountConcurrency
	}
	if o.APIGatewayRPS == 0 {
		o.APIGatewayRPS = APIGatewayRPS
	}
	region := o.Region
	if region == "" {
		region = a.Region
	}
	rate := s.TargetRate()
	p := &Plan{Scenario: s.Name, Assembly: a.Dir, Region: region, TargetRate: rate, PeakRate: s.Profile(1).PeakRate(),
		WriteRate: rate * s.WriteShare(), ReadRate: rate * (1 - s.WriteShare())}
	add := func(c Check) { p.Checks = append(p.Checks, c) }
	meanDur := s.Capacity.MeanDuration.Seconds()
	p.Concurrency = math.Ceil(rate * meanDur)

	// 1. Edge
	if dists := a.OfType("AWS::CloudFront::Distribution"); len(dists) > 0 {
		add(Check{Limit: "CloudFront requests per distribution", Need: rate, Have: CloudFrontRPS, Unit: "rps", OK: rate <= CloudFrontRPS,
			Detail: fmt.Sprintf("%d distribution(s); every request passes the edge", len(dists)),
			Fix:    "request a CloudFront 'requests per second per distribution' quota increase (Service Quotas, CloudFront)"})
	} else {
		add(Check{Limit: "CloudFront", OK: true, Warn: true, Detail: "no distribution in the assembly: the front door takes every request, uncached"})
	}

	// 2. Front door and the web function
	var web *Resource
	if apis := httpAPIs(a); len(apis) > 0 {
		add(Check{Limit: "API Gateway throttle (account, region)", Need: rate, Have: o.APIGatewayRPS, Unit: "rps", OK: rate <= o.APIGatewayRPS,
			Detail: fmt.Sprintf("AWS::ApiGatewayV2::Api present; default 10,000 rps shared by every API in the account, burst %d", APIGatewayBurst),
			Fix:    fmt.Sprintf("raise the API Gateway 'Throttle rate' quota to ≥ %.0f rps (Service Quotas L-8A5B8E43) and pass -apigw-rps, or front the web tier with a Function URL behind CloudFront (webtier FrontDoor)", math.Ceil(rate))})
		for _, in := range a.OfType("AWS::ApiGatewayV2::Integration") {
			if f := a.functionOf(in.Properties["IntegrationUri"]); f != nil {
				web = f
			}
		}
	}
	for _, u := range a.OfType("AWS::Lambda::Url") {
		if f := a.functionOf(u.Properties["TargetFunctionArn"]); f != nil {
			web = f
			add(Check{Limit: "Function URL", OK: true, Detail: "no throttle of its own; bounded by the function's reserved concurrency"})
		}
	}
	if o.Region == "" && a.RegionOf(web) != "" {
		p.Region, region = a.RegionOf(web), a.RegionOf(web)
	}
	if web == nil {
		add(Check{Limit: "web-tier function", OK: false, Detail: "no function behind a Function URL or an HTTP API integration was found",
			Fix: "synthesize the app with its webtier (FrontDoor Function URL or HTTP API) into the assembly"})
		p.finish(s, a, nil, region)
		return p
	}

	reserved, hasReserved := num(web.Properties["ReservedConcurrentExecutions"])
	if hasReserved {
		add(Check{Limit: "web reserved concurrency (" + web.ID + ")", Need: p.Concurrency, Have: reserved, Unit: "executions", OK: reserved >= p.Concurrency,
			Detail: fmt.Sprintf("C = %.0f rps × %s mean duration", rate, s.Capacity.MeanDuration),
			Fix:    fmt.Sprintf("set webtier ReservedConcurrency ≥ %.0f (ReservedConcurrentExecutions)", p.Concurrency)})
	} else {
		add(Check{Limit: "web reserved concurrency (" + web.ID + ")", Need: p.Concurrency, OK: true, Warn: true,
			Detail: "unset: the web tier competes with every other function for the account pool",
			Fix:    fmt.Sprintf("set webtier ReservedConcurrency ≥ %.0f", p.Concurrency)})
	}

	// 3. Account pool: every reservation + the web need + writer concurrency
	var reservedSum float64
	for _, f := range a.OfType("AWS::Lambda::Function") {
		if r, ok := num(f.Properties["ReservedConcurrentExecutions"]); ok {
			reservedSum += r
		}
	}
	accountNeed := reservedSum + LambdaUnreservedMinimum
	if !hasReserved {
		accountNeed += p.Concurrency
	}
	add(Check{Limit: "Lambda concurrency (account, region)", Need: accountNeed, Have: o.AccountConcurrency, Unit: "executions", OK: accountNeed <= o.AccountConcurrency,
		Detail: fmt.Sprintf("reserved %.0f across functions + %d unreserved minimum", reservedSum, LambdaUnreservedMinimum),
		Fix:    fmt.Sprintf("raise the Lambda 'Concurrent executions' quota to ≥ %.0f (Service Quotas L-B99A9384) and pass -account-concurrency", accountNeed)})

	// 4. Provisioned concurrency at the peak and the scaling ramp
	pcMax, pcPeakMin, pcSource := provisioned(a, web)
	if pcSource != "" {
		add(Check{Limit: "provisioned concurrency max (" + pcSource + ")", Need: p.Concurrency, Have: pcMax, Unit: "executions", OK: pcMax >= p.Concurrency,
			Detail: fmt.Sprintf("warm floor at the peak phase %.0f", pcPeakMin),
			Fix:    fmt.Sprintf("raise the peak phase's webProvisionedMax (ScalableTarget MaxCapacity / scheduled action) to ≥ %.0f", p.Concurrency)})
		if hasReserved && pcMax > reserved {
			add(Check{Limit: "provisioned ≤ reserved concurrency", Need: pcMax, Have: reserved, Unit: "executions", OK: false,
				Detail: "provisioned concurrency above the reservation can never be used", Fix: "raise ReservedConcurrency or lower the provisioned maximum"})
		}
	}
	ramp := rampCheck(s, p.Concurrency, pcPeakMin)
	add(ramp)

	// 5-7. Queue, writer, table
	p.writes(s, a, region, add)
	p.finish(s, a, web, region)
	return p
}

func httpAPIs(a *Assembly) []*Resource {
	var out []*Resource
	for _, r := range a.OfType("AWS::ApiGatewayV2::Api") {
		if pt, _ := r.Properties["ProtocolType"].(string); pt == "" || pt == "HTTP" {
			out = append(out, r)
		}
	}
	out = append(out, a.OfType("AWS::ApiGateway::RestApi")...)
	return out
}

// provisioned returns the web function's provisioned concurrency: the
// highest MaxCapacity (target or scheduled), the highest scheduled
// MinCapacity (the warm floor of the peak phase), and where it was found.
func provisioned(a *Assembly, web *Resource) (max, peakMin float64, source string) {
	for _, st := range a.OfType("AWS::ApplicationAutoScaling::ScalableTarget") {
		if st.Properties["ScalableDimension"] != "lambda:function:ProvisionedConcurrency" || a.functionOf(st.Properties["ResourceId"]) != web && a.functionOf(st.Properties["ResourceId"]) != nil {
			continue
		}
		source = "ScalableTarget " + st.ID
		if v, ok := num(st.Properties["MaxCapacity"]); ok {
			max = math.Max(max, v)
		}
		if v, ok := num(st.Properties["MinCapacity"]); ok {
			peakMin = math.Max(peakMin, v)
		}
		if acts, ok := st.Properties["ScheduledActions"].([]any); ok {
			for _, act := range acts {
				m, _ := act.(map[string]any)
				if v, ok := num(path(m, "ScalableTargetAction", "MaxCapacity")); ok {
					max = math.Max(max, v)
				}
				if v, ok := num(path(m, "ScalableTargetAction", "MinCapacity")); ok {
					peakMin = math.Max(peakMin, v)
				}
			}
		}
	}
	for _, t := range []string{"AWS::Lambda::Alias", "AWS::Lambda::Version"} {
		for _, al := range a.OfType(t) {
			if a.functionOf(al.Properties["FunctionName"]) != web {
				continue
			}
			if v, ok := num(path(al.Properties, "ProvisionedConcurrencyConfig", "ProvisionedConcurrentExecutions")); ok {
				if source == "" {
					source = t[len("AWS::Lambda::"):] + " " + al.ID
				}
				max = math.Max(max, v)
				peakMin = math.Max(peakMin, v)
			}
		}
	}
	return max, peakMin, source
}

// rampCheck compares the scenario's ramp with Lambda's scaling rate: above
// the warm provisioned floor a function gains 1,000 environments per 10 s.
func rampCheck(s *scenario.Scenario, need, warm float64) Check {
	prof := s.Profile(1)
	meanDur := s.Capacity.MeanDuration.Seconds()
	worst := 0.0
	var worstAt time.Duration
	for t := time.Duration(0); t < prof.Duration; t += time.Second {
		c := math.Min(prof.Rate(t), s.TargetRate()) * meanDur // the ramp up to the target, not the spike
		allowed := warm + LambdaScalingStep*(math.Floor(t.Seconds()/LambdaScalingEvery.Seconds())+1)
		if c-allowed > worst {
			worst, worstAt = c-allowed, t
		}
	}
	cold := math.Ceil(need/LambdaScalingStep) * LambdaScalingEvery.Seconds()
	c := Check{Limit: "Lambda scaling ramp (+1,000 per 10 s)", Need: need, Have: warm, Unit: "warm executions", OK: worst <= 0,
		Detail: fmt.Sprintf("from cold %.0f executions take ≥ %.0f s; %.0f provisioned warm at the peak", need, cold, warm)}
	if !c.OK {
		c.Detail += fmt.Sprintf("; at %s of the ramp %.0f executions are missing", worstAt, worst)
		c.Fix = fmt.Sprintf("keep ≥ %.0f provisioned concurrency warm before the peak (scaledown warm-up / webProvisionedMin), or ramp slower", need-LambdaScalingStep)
	}
	return c
}

func (p *Plan) writes(s *scenario.Scenario, a *Assembly, region string, add func(Check)) {
	w := p.WriteRate
	if w == 0 {
		return
	}
	queues := map[string]*Resource{}
	for _, q := range a.OfType("AWS::SQS::Queue") {
		queues[q.ID] = q
	}
	var esm *Resource
	var queue *Resource
	for _, m := range a.OfType("AWS::Lambda::EventSourceMapping") {
		for _, id := range refs(m.Properties["EventSourceArn"]) {
			if q := queues[id]; q != nil {
				esm, queue = m, q
			}
		}
	}
	if queue == nil {
		add(Check{Limit: "write queue", Need: w, Unit: "writes/s", OK: false, Detail: "no SQS queue drained by a Lambda event source mapping",
			Fix: "buffer writes with queuedwriter (SQS + writer Lambda) so bursts never hit the table directly"})
		return
	}
	if fifo, _ := queue.Properties["FifoQueue"].(bool); fifo || queue.Properties["FifoQueue"] == "true" {
		limit := float64(FIFOBatchedMPS)
		detail := "FIFO, batches of 10: 3,000 msg/s per API action"
		if queue.Properties["FifoThroughputLimit"] == "perMessageGroupId" && queue.Properties["DeduplicationScope"] == "messageGroup" {
			if l, ok := fifoHighThroughput[region]; ok {
				limit, detail = l, "FIFO high-throughput mode in "+region
			} else {
				limit, detail = FIFOBatchedMPS, "FIFO high-throughput mode is not published for region "+region+"; assuming 3,000 msg/s"
			}
		}
		add(Check{Limit: "SQS FIFO throughput (" + queue.ID + ")", Need: w, Have: limit, Unit: "msg/s", OK: w <= limit, Detail: detail,
			Fix: "enable FIFO high-throughput mode (queuedwriter HighThroughputFIFO) in a region that offers it, or use a standard queue with idempotent writes"})
	} else {
		add(Check{Limit: "SQS standard throughput (" + queue.ID + ")", OK: true, Detail: fmt.Sprintf("%.0f msg/s; nearly unlimited per API action", w)})
	}

	batch := 10.0
	if v, ok := num(esm.Properties["BatchSize"]); ok {
		batch = v
	}
	writer := a.functionOf(esm.Properties["FunctionName"])
	maxConc, src := float64(SQSMaxConcurrencyDefault), "SQS pollers' ceiling (no MaximumConcurrency)"
	if v, ok := num(path(esm.Properties, "ScalingConfig", "MaximumConcurrency")); ok {
		maxConc, src = v, "ScalingConfig.MaximumConcurrency"
	}
	if writer != nil {
		if r, ok := num(writer.Properties["ReservedConcurrentExecutions"]); ok && r < maxConc {
			maxConc, src = r, "writer ReservedConcurrentExecutions"
		}
	}
	bd := s.Capacity.WriterBatchDuration.Seconds()
	drain := maxConc * batch / bd
	add(Check{Limit: "writer drain rate", Need: w, Have: drain, Unit: "msg/s", OK: drain >= w,
		Detail: fmt.Sprintf("%.0f concurrent (%s) × %.0f per batch / %s per batch", maxConc, src, batch, s.Capacity.WriterBatchDuration),
		Fix:    fmt.Sprintf("raise queuedwriter MaxConcurrency to ≥ %.0f or BatchSize, or make batches faster", math.Ceil(w*bd/batch))})

	// table
	tables := a.OfType("AWS::DynamoDB::Table")
	if len(tables) == 0 {
		add(Check{Limit: "table throughput", OK: true, Warn: true, Detail: "no DynamoDB table in the assembly (Aurora sinks are bounded by ACUs, not planned here)"})
		return
	}
	// The table must carry the target write rate once the writer keeps up.
	wru := w * s.Capacity.WRUPerWrite
	rru := p.ReadRate * s.Capacity.RRUPerRead
	for _, t := range tables {
		if t.Properties["BillingMode"] == "PAY_PER_REQUEST" {
			add(Check{Limit: "DynamoDB table WRU (" + t.ID + ")", Need: wru, Have: DynamoTableWRU, Unit: "WRU/s", OK: wru <= DynamoTableWRU,
				Detail: fmt.Sprintf("%.0f writes/s × %g WRU", w, s.Capacity.WRUPerWrite),
				Fix:    "request a DynamoDB 'table-level write throughput' quota increase"})
			warmW, _ := num(path(t.Properties, "WarmThroughput", "WriteUnitsPerSecond"))
			warmW = math.Max(warmW, DynamoNewTableWarmWRU)
			add(Check{Limit: "DynamoDB warm write throughput (" + t.ID + ")", Need: wru, Have: warmW, Unit: "WRU/s", OK: wru <= warmW,
				Detail: "a new on-demand table is warm for 4,000 WRU; beyond that it throttles while it splits",
				Fix:    fmt.Sprintf("set the table's WarmThroughput.WriteUnitsPerSecond ≥ %.0f (pre-warm) before the campaign", math.Ceil(wru))})
			warmR, _ := num(path(t.Properties, "WarmThroughput", "ReadUnitsPerSecond"))
			warmR = math.Max(warmR, DynamoNewTableWarmRRU)
			add(Check{Limit: "DynamoDB read throughput (" + t.ID + ")", Need: rru, Have: math.Min(DynamoTableRRU, warmR), Unit: "RRU/s", OK: rru <= math.Min(DynamoTableRRU, warmR),
				Detail: fmt.Sprintf("%.0f reads/s × %g RRU (after caching)", p.ReadRate, s.Capacity.RRUPerRead),
				Fix:    fmt.Sprintf("cache the totals (CloudFront / in-process) or set WarmThroughput.ReadUnitsPerSecond ≥ %.0f", math.Ceil(rru))})
		} else if v, ok := num(path(t.Properties, "ProvisionedThroughput", "WriteCapacityUnits")); ok {
			add(Check{Limit: "DynamoDB provisioned WCU (" + t.ID + ")", Need: wru, Have: v, Unit: "WCU", OK: wru <= v,
				Fix: fmt.Sprintf("raise WriteCapacityUnits to ≥ %.0f or switch to on-demand", math.Ceil(wru))})
		}
	}
	// the hot counter items
	perKey := w
	how := "every write updates the grand-total counter"
	if s.Capacity.CoalesceCounters {
		perKey = math.Min(w, math.Ceil(w*bd/batch)/bd) // batches/s once the writer keeps up
		how = fmt.Sprintf("coalesced: one update per key per batch, %.0f batches/s", perKey)
	}
	add(Check{Limit: "DynamoDB hot counter item (one partition)", Need: perKey, Have: DynamoPartitionWU, Unit: "WU/s", OK: perKey <= DynamoPartitionWU,
		Detail: how, Fix: "coalesce counter updates per batch in the writer (capacity.coalesceCounters) or shard the counter key"})
}

func (p *Plan) finish(s *scenario.Scenario, a *Assembly, web *Resource, region string) {
	if p.PeakRate > p.TargetRate*1.01 {
		need := math.Ceil(p.PeakRate * s.Capacity.MeanDuration.Seconds())
		p.Checks = append(p.Checks, Check{Limit: "scenario peak above target (spike)", Need: need, Have: p.Concurrency, Unit: "executions", OK: true, Warn: true,
			Detail: fmt.Sprintf("the load test peaks at %.0f rps (%.2f× target); on-demand scaling must cover %.0f executions beyond the plan", p.PeakRate, p.PeakRate/p.TargetRate, need-p.Concurrency)})
	}
	p.Cost = estimate(s, a, web, region)
	p.OK = true
	for _, c := range p.Checks {
		if !c.OK && !c.Warn {
			p.OK = false
		}
	}
}

// Text renders the plan for a terminal.
func (p *Plan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan %s on %s (region %s)\n", p.Scenario, p.Assembly, p.Region)
	fmt.Fprintf(&b, "  target %.0f rps (scenario peak %.0f), writes %.0f/s, reads %.0f/s, web concurrency %.0f\n\n", p.TargetRate, p.PeakRate, p.WriteRate, p.ReadRate, p.Concurrency)
	for _, c := range p.Checks {
		mark := "ok  "
		switch {
		case !c.OK && !c.Warn:
			mark = "FAIL"
		case c.Warn:
			mark = "note"
		}
		fmt.Fprintf(&b, "  %s %s", mark, c.Limit)
		if c.Unit != "" && (c.Need > 0 || c.Have > 0) {
			fmt.Fprintf(&b, ": need %s, have %s %s", human(c.Need), human(c.Have), c.Unit)
		}
		if c.Detail != "" {
			fmt.Fprintf(&b, "\n       %s", c.Detail)
		}
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(&b, "\n       fix: %s", c.Fix)
		}
		b.WriteString("\n")
	}
	if p.Cost != nil {
		b.WriteString("\n" + p.Cost.Text())
	}
	if p.OK {
		b.WriteString("\nverdict: the stack can carry the target\n")
	} else {
		b.WriteString("\nverdict: SHORT — fix the FAIL lines above\n")
	}
	return b.String()
}

func human(v float64) string {
	if v == math.Trunc(v) || v >= 100 {
		return fmt.Sprintf("%s", commas(math.Round(v)))
	}
	return fmt.Sprintf("%.1f", v)
}

func commas(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
