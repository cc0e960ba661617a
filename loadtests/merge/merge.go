// Package merge combines the raw results of several load generators into
// one set of metrics, exactly: every worker's Vegeta results are decoded
// and fed once into one report.Collector. Percentiles are never averaged
// across workers (a p99 of p99s is not a p99).
package merge

import (
	"bufio"
	"fmt"
	"io"
	"os"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/campaignkit/campaignkit/loadtests/report"
)

// Readers decodes every result from every reader (gob, JSON or CSV, as
// vegeta.DecoderFor detects) into one collector and returns it with the
// number of results read. Readers are decoded one after the other, not with
// Vegeta's round-robin decoder, so a corrupt or truncated worker file is an
// error instead of a silent early end; the metrics do not depend on order.
// An empty reader (a worker that sent nothing) adds nothing.
func Readers(title string, rs ...io.Reader) (*report.Collector, int, error) {
	col := report.NewCollector(title)
	total := 0
	for i, r := range rs {
		br := bufio.NewReader(r)
		if _, err := br.Peek(1); err == io.EOF {
			continue
		}
		d := vegeta.DecoderFor(br)
		if d == nil {
			return nil, total, fmt.Errorf("results %d: unknown encoding (want Vegeta gob, JSON or CSV)", i+1)
		}
		n, err := col.Decode(d)
		total += n
		if err != nil {
			return nil, total, fmt.Errorf("results %d: %w", i+1, err)
		}
	}
	return col, total, nil
}

// Files is Readers over files.
func Files(title string, paths ...string) (*report.Collector, int, error) {
	rs := make([]io.Reader, 0, len(paths))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, 0, fmt.Errorf("open results: %w", err)
		}
		defer f.Close()
		rs = append(rs, f)
	}
	return Readers(title, rs...)
}
