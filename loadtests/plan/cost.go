package plan

import (
	"fmt"
	"math"
	"strings"

	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

// Price is one unit price with the date and source it was read from.
type Price struct {
	Item   string  `json:"item"`
	USD    float64 `json:"usd"`
	Per    float64 `json:"per"`
	Unit   string  `json:"unit"`
	Date   string  `json:"date"`
	Source string  `json:"source"`
}

const limitsDoc = "reference/aws-limits.md (us-east-1)"

// Prices are the unit prices the estimate uses. aws-limits.md dates only
// the DynamoDB rates; the others carry the date they were copied from it.
var Prices = map[string]Price{
	"lambda-requests":   {"Lambda requests", 0.20, 1e6, "requests", "2026-11-22 (copied; undated in source)", limitsDoc},
	"lambda-gbs-arm64":  {"Lambda duration arm64", 0.0000133334, 1, "GB-s", "2026-11-22 (copied; undated in source)", limitsDoc},
	"lambda-gbs-x86":    {"Lambda duration x86", 0.0000166667, 1, "GB-s", "2026-11-22 (copied; undated in source)", limitsDoc},
	"http-api":          {"API Gateway HTTP API", 1.00, 1e6, "requests (first 300M)", "2026-11-22 (copied; undated in source)", limitsDoc},
	"rest-api":          {"API Gateway REST API", 3.50, 1e6, "requests", "2026-11-22 (copied; secondary source)", limitsDoc},
	"sqs-standard":      {"SQS standard", 0.40, 1e6, "requests (64 KB chunks)", "2026-11-22 (copied; secondary source)", limitsDoc},
	"sqs-fifo":          {"SQS FIFO", 0.50, 1e6, "requests (64 KB chunks)", "2026-11-22 (copied; secondary source)", limitsDoc},
	"dynamodb-wru":      {"DynamoDB on-demand writes", 0.625, 1e6, "WRU", "2024-11-01", limitsDoc},
	"dynamodb-rru":      {"DynamoDB on-demand reads", 0.125, 1e6, "RRU", "2024-11-01", limitsDoc},
	"cloudfront-us":     {"CloudFront HTTPS requests (US)", 0.010, 1e4, "requests", "2026-11-22 (copied; undated in source)", limitsDoc},
	"cloudfront-europe": {"CloudFront HTTPS requests (Europe)", 0.012, 1e4, "requests", "2026-11-22 (copied; undated in source)", limitsDoc},
}

// Line is one cost item over the whole calendar.
type Line struct {
	Item     string  `json:"item"`
	Quantity float64 `json:"quantity"`
	Unit     string  `json:"unit"`
	USD      float64 `json:"usd"`
	Price    Price   `json:"price"`
}

// PhaseCost is the cost of one calendar phase.
type PhaseCost struct {
	Name     string  `json:"name"`
	Hours    float64 `json:"hours"`
	Load     float64 `json:"load"`
	Requests float64 `json:"requests"`
	USD      float64 `json:"usd"`
}

// Cost is the campaign's estimated request-driven cost.
type Cost struct {
	Phases []PhaseCost `json:"phases"`
	Lines  []Line      `json:"lines"`
	USD    float64     `json:"usd"`
	// Excluded lists what the estimate leaves out.
	Excluded []string `json:"excluded"`
}

func memGB(f *Resource) float64 {
	if f == nil {
		return 0.128
	}
	if v, ok := num(f.Properties["MemorySize"]); ok {
		return v / 1024
	}
	return 0.128
}

func gbsPrice(f *Resource) Price {
	if f != nil {
		if arch, ok := f.Properties["Architectures"].([]any); ok && len(arch) > 0 && arch[0] == "x86_64" {
			return Prices["lambda-gbs-x86"]
		}
		if _, ok := f.Properties["Architectures"]; !ok {
			return Prices["lambda-gbs-x86"] // Lambda's default architecture
		}
	}
	return Prices["lambda-gbs-arm64"]
}

// estimate prices the calendar's requests (mean load × hours per phase).
func estimate(s *scenario.Scenario, a *Assembly, web *Resource, region string) *Cost {
	if len(s.Calendar) == 0 {
		return nil
	}
	c := &Cost{Excluded: []string{
		"provisioned concurrency (not in the reference price table)",
		"data transfer out, S3 storage and requests, CloudWatch logs and metrics, WAF",
		"free tiers",
	}}
	var writer *Resource
	batch := 10.0
	fifo := false
	for _, m := range a.OfType("AWS::Lambda::EventSourceMapping") {
		writer = a.functionOf(m.Properties["FunctionName"])
		if v, ok := num(m.Properties["BatchSize"]); ok {
			batch = v
		}
		for _, id := range refs(m.Properties["EventSourceArn"]) {
			if q := a.Resources[id]; q != nil && q.Type == "AWS::SQS::Queue" && (q.Properties["FifoQueue"] == true || q.Properties["FifoQueue"] == "true") {
				fifo = true
			}
		}
	}
	var total float64
	for _, ph := range s.Calendar {
		total += s.TargetRate() * ph.Load * ph.Hours * 3600
		c.Phases = append(c.Phases, PhaseCost{Name: ph.Name, Hours: ph.Hours, Load: ph.Load, Requests: s.TargetRate() * ph.Load * ph.Hours * 3600})
	}
	writes := total * s.WriteShare()
	reads := total - writes
	add := func(key string, qty float64) float64 {
		p := Prices[key]
		usd := qty / p.Per * p.USD
		c.Lines = append(c.Lines, Line{Item: p.Item, Quantity: qty, Unit: p.Unit, USD: usd, Price: p})
		return usd
	}
	var perRequest float64 // USD per request, to split by phase
	cf := "cloudfront-us"
	if strings.HasPrefix(region, "eu-") {
		cf = "cloudfront-europe"
	}
	sum := 0.0
	if len(a.OfType("AWS::CloudFront::Distribution")) > 0 {
		sum += add(cf, total)
	}
	if len(a.OfType("AWS::ApiGatewayV2::Api")) > 0 {
		sum += add("http-api", total)
	} else if len(a.OfType("AWS::ApiGateway::RestApi")) > 0 {
		sum += add("rest-api", total)
	}
	sum += add("lambda-requests", total)
	webGBs := total * s.Capacity.MeanDuration.Seconds() * memGB(web)
	p := gbsPrice(web)
	usd := webGBs * p.USD
	c.Lines = append(c.Lines, Line{Item: p.Item + " (web)", Quantity: webGBs, Unit: "GB-s", USD: usd, Price: p})
	sum += usd
	if writes > 0 && writer != nil {
		// send 1 + receive and delete once per batch
		sqsReq := writes * (1 + 2/batch)
		if fifo {
			sum += add("sqs-fifo", sqsReq)
		} else {
			sum += add("sqs-standard", sqsReq)
		}
		batches := writes / batch
		sum += add("lambda-requests", batches)
		wGBs := batches * s.Capacity.WriterBatchDuration.Seconds() * memGB(writer)
		wp := gbsPrice(writer)
		c.Lines = append(c.Lines, Line{Item: wp.Item + " (writer)", Quantity: wGBs, Unit: "GB-s", USD: wGBs * wp.USD, Price: wp})
		sum += wGBs * wp.USD
	}
	if len(a.OfType("AWS::DynamoDB::Table")) > 0 {
		sum += add("dynamodb-wru", writes*s.Capacity.WRUPerWrite)
		sum += add("dynamodb-rru", reads*s.Capacity.RRUPerRead)
	}
	if total > 0 {
		perRequest = sum / total
	}
	for i := range c.Phases {
		c.Phases[i].USD = c.Phases[i].Requests * perRequest
	}
	c.USD = sum
	return c
}

// Text renders the estimate.
func (c *Cost) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  cost estimate over the calendar: $%s\n", money(c.USD))
	for _, ph := range c.Phases {
		fmt.Fprintf(&b, "    %-26s %6.0f h at %5.1f%% load  %14s requests  $%s\n", ph.Name, ph.Hours, ph.Load*100, commas(ph.Requests), money(ph.USD))
	}
	for _, l := range c.Lines {
		fmt.Fprintf(&b, "    %-38s %16s %-22s $%-10s ($%g per %s, %s)\n", l.Item, commas(l.Quantity), l.Unit, money(l.USD), l.Price.USD, commas(l.Price.Per), l.Price.Date)
	}
	fmt.Fprintf(&b, "    excluded: %s\n", strings.Join(c.Excluded, "; "))
	return b.String()
}

func money(v float64) string {
	if v >= 100 {
		return commas(math.Round(v))
	}
	return fmt.Sprintf("%.2f", v)
}
