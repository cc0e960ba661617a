package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

// WriteHTML writes a single self-contained HTML page: Vegeta's latency plot
// (uPlot, inlined by Vegeta), preceded by the verdicts, the coordinated-
// omission rate chart (inline SVG), percentiles, status codes and the
// per-request table. The page loads nothing from the network.
func (c *Collector) WriteHTML(w io.Writer, s *Summary) error {
	c.Close()
	var plotHTML bytes.Buffer
	if _, err := c.plot.WriteTo(&plotHTML); err != nil {
		return fmt.Errorf("render vegeta plot: %w", err)
	}
	var section bytes.Buffer
	if err := sectionTpl.Execute(&section, view{Summary: s, RateSVG: rateSVG(s.PerSecond)}); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	page := plotHTML.String()
	i := strings.Index(page, "<body")
	if i < 0 {
		return fmt.Errorf("vegeta plot HTML has no <body>")
	}
	j := strings.Index(page[i:], ">")
	at := i + j + 1
	_, err := io.WriteString(w, page[:at]+"\n"+section.String()+page[at:])
	return err
}

type view struct {
	*Summary
	RateSVG template.HTML
}

// rateSVG draws target (dashed) and achieved (solid) requests per second.
func rateSVG(ps []Second) template.HTML {
	if len(ps) == 0 {
		return ""
	}
	const w, h, pad = 900.0, 220.0, 30.0
	maxY := 1.0
	for _, p := range ps {
		maxY = max(maxY, p.Target, float64(p.Achieved))
	}
	maxY *= 1.1
	x := func(i int) float64 { return pad + (w-2*pad)*float64(i)/float64(max(1, len(ps)-1)) }
	y := func(v float64) float64 { return h - pad - (h-2*pad)*v/maxY }
	var tgt, got strings.Builder
	for i, p := range ps {
		fmt.Fprintf(&tgt, "%.1f,%.1f ", x(i), y(p.Target))
		fmt.Fprintf(&got, "%.1f,%.1f ", x(i), y(float64(p.Achieved)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="rate-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="100%%" style="max-width:%.0fpx;background:#161b22;border-radius:6px">`, w, h, w)
	fmt.Fprintf(&b, `<text x="%.0f" y="18" fill="#9da7b3" font-size="12">requests/s — dashed: target, solid: achieved (max %.0f, %d s)</text>`, pad, maxY/1.1, len(ps))
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#30363d"/>`, pad, h-pad, w-pad, h-pad)
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#E9D758" stroke-dasharray="6 4" stroke-width="2" points="%s"/>`, tgt.String())
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#297373" stroke-width="2" points="%s"/>`, got.String())
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var sectionTpl = template.Must(template.New("section").Funcs(template.FuncMap{
	"dur": func(d time.Duration) string { return round(d).String() },
	"pct": func(f float64) string { return fmt.Sprintf("%.3f%%", f*100) },
	"f1":  func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"f3":  func(f float64) string { return fmt.Sprintf("%.3f", f) },
}).Parse(`<div class="container" id="campaignkit-report" style="margin-bottom:24px">
<style>
#campaignkit-report table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
#campaignkit-report th,#campaignkit-report td{border:1px solid #30363d;padding:4px 10px;text-align:right}
#campaignkit-report th:first-child,#campaignkit-report td:first-child{text-align:left}
#campaignkit-report .pass{color:#3fb950;font-weight:600}#campaignkit-report .fail{color:#f85149;font-weight:600}
#campaignkit-report h2{font-size:18px;margin:18px 0 6px}
</style>
<h1>Load test {{.Scenario}} — {{if .Pass}}<span class="pass" id="verdict">PASS</span>{{else}}<span class="fail" id="verdict">FAIL</span>{{end}}</h1>
<p>Target {{.Target}} · started {{.Start.UTC.Format "2006-01-02 15:04:05 MST"}} · elapsed {{dur .Elapsed}}{{if .Interrupted}} · <span class="fail">interrupted (partial report)</span>{{end}}{{if gt .Workers 1}} · {{.Workers}} load generators, results merged exactly{{end}}</p>
<h2>SLO verdicts</h2>
<table id="verdicts"><tr><th>check</th><th>threshold</th><th>actual</th><th>verdict</th></tr>
{{range .Verdicts}}<tr><td>{{.Name}}</td><td>{{.Threshold}}</td><td>{{.Actual}}</td><td>{{if .Pass}}<span class="pass">PASS</span>{{else}}<span class="fail">FAIL</span>{{end}}</td></tr>
{{end}}</table>
<h2>Coordinated omission: achieved vs target rate</h2>
<p>Vegeta is open-loop, but when the generator cannot keep up, fewer requests are sent and slow responses hide. Target mean {{f1 .TargetRate}} rps (peak {{f1 .PeakTargetRate}}), achieved {{f1 .AchievedRate}} rps, ratio <b>{{f3 .RateRatio}}</b>; {{.SlowSeconds}} second(s) below 90% of target. Expected {{printf "%.0f" .ExpectedRequests}} requests, sent {{.Requests}}.</p>
{{.RateSVG}}
<h2>Latency percentiles (all {{.Requests}} results, computed once)</h2>
<table id="percentiles"><tr><th>mean</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th><th>success</th><th>throughput</th></tr>
<tr><td>{{dur .Latencies.Mean}}</td><td>{{dur .Latencies.P50}}</td><td>{{dur .Latencies.P90}}</td><td>{{dur .Latencies.P95}}</td><td>{{dur .Latencies.P99}}</td><td>{{dur .Latencies.Max}}</td><td>{{pct .Success}}</td><td>{{f1 .Throughput}}/s</td></tr></table>
<h2>Status codes</h2>
<table id="status-codes"><tr><th>code</th><th>count</th></tr>{{range $c, $n := .StatusCodes}}<tr><td>{{$c}}</td><td>{{$n}}</td></tr>{{end}}</table>
{{if .Errors}}<h2>Errors</h2><ul>{{range .Errors}}<li>{{.}}</li>{{end}}</ul>{{end}}
<h2>Per request</h2>
<table id="per-request"><tr><th>request</th><th>count</th><th>success</th><th>p50</th><th>p95</th><th>p99</th><th>codes</th></tr>
{{range .ByRequest}}<tr><td>{{.Request}}</td><td>{{.Requests}}</td><td>{{pct .Success}}</td><td>{{dur .Latencies.P50}}</td><td>{{dur .Latencies.P95}}</td><td>{{dur .Latencies.P99}}</td><td>{{range $c, $n := .StatusCodes}}{{$c}}:{{$n}} {{end}}</td></tr>
{{end}}</table>
{{with .Reconciliation}}<h2>Reconciliation</h2>
{{if .Skipped}}<p>Skipped: {{.Skipped}}</p>{{else}}<table id="reconciliation"><tr><th></th><th>count</th><th>sum</th></tr>
<tr><td>accepted by the API (2xx)</td><td>{{.AcceptedCount}}</td><td>{{.AcceptedSum}}</td></tr>
<tr><td>totals before</td><td>{{.BeforeCount}}</td><td>{{.BeforeSum}}</td></tr>
<tr><td>totals after drain ({{dur .Drain}})</td><td>{{.AfterCount}}</td><td>{{.AfterSum}}</td></tr></table>
<p>{{if .Pass}}<span class="pass">PASS</span>{{else}}<span class="fail">FAIL</span>{{end}} {{.Detail}}</p>{{end}}{{end}}
<h2>Latency over time (Vegeta plot)</h2>
</div>
`))
