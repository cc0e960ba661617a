package obs

import (
	"context"
	"io"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Unit is a CloudWatch metric unit.
type Unit string

// CloudWatch units used by campaignkit metrics.
const (
	UnitNone         Unit = "None"
	UnitCount        Unit = "Count"
	UnitMilliseconds Unit = "Milliseconds"
	UnitSeconds      Unit = "Seconds"
	UnitBytes        Unit = "Bytes"
	UnitPercent      Unit = "Percent"
)

// Dimension is one CloudWatch dimension (name and value) attached to every
// metric a Metrics writes.
type Dimension struct {
	Name  string
	Value string
}

// Metric is one value in an EMF line.
type Metric struct {
	Name  string
	Value float64
	Unit  Unit
}

// Metrics writes business metrics as CloudWatch Embedded Metric Format lines
// (one JSON object per line) to an io.Writer, normally os.Stdout on Lambda.
// Each call writes one line with one w.Write, serialised by a mutex, with no
// allocation beyond a pooled buffer. A Metrics is safe for concurrent use.
type Metrics struct {
	w   io.Writer
	mu  *sync.Mutex
	now func() time.Time
	// head is `,"CloudWatchMetrics":[{"Namespace":..,"Dimensions":[[..]],"Metrics":[`,
	// tail is `]}]}` + the dimension values as top-level members.
	head, tail []byte
	namespace  string
	dims       []Dimension
}

// NewMetrics returns a Metrics that writes to w under the CloudWatch
// namespace with the given dimensions (at most 30, as CloudWatch allows).
func NewMetrics(w io.Writer, namespace string, dims ...Dimension) *Metrics {
	m := &Metrics{w: w, mu: &sync.Mutex{}, now: time.Now, namespace: namespace, dims: append([]Dimension(nil), dims...)}
	m.build()
	return m
}

// With returns a Metrics sharing m's writer with extra dimensions, e.g. a
// per-route child built once at start-up.
func (m *Metrics) With(dims ...Dimension) *Metrics {
	c := *m
	c.dims = append(append([]Dimension(nil), m.dims...), dims...)
	c.build()
	return &c
}

func (m *Metrics) build() {
	h := []byte(`,"CloudWatchMetrics":[{"Namespace":`)
	h = appendJSONString(h, m.namespace)
	h = append(h, `,"Dimensions":[[`...)
	for i, d := range m.dims {
		if i > 0 {
			h = append(h, ',')
		}
		h = appendJSONString(h, d.Name)
	}
	h = append(h, `]],"Metrics":[`...)
	t := []byte(`]}]}`)
	for _, d := range m.dims {
		t = append(t, ',')
		t = appendJSONString(t, d.Name)
		t = append(t, ':')
		t = appendJSONString(t, d.Value)
	}
	m.head, m.tail = h, t
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Count writes the count metric name with value n.
func (m *Metrics) Count(ctx context.Context, name string, n int) {
	m.Put(ctx, name, float64(n), UnitCount)
}

// Put writes one metric.
func (m *Metrics) Put(ctx context.Context, name string, value float64, unit Unit) {
	m.emit(ctx, Metric{Name: name, Value: value, Unit: unit}, nil)
}

// Emit writes several metrics in one EMF line (they share the dimensions
// and the timestamp). Names must be distinct and must not equal a dimension
// name or "request_id".
func (m *Metrics) Emit(ctx context.Context, metrics ...Metric) {
	if len(metrics) == 0 {
		return
	}
	m.emit(ctx, metrics[0], metrics[1:])
}

func (m *Metrics) emit(ctx context.Context, first Metric, rest []Metric) {
	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, m.now().UnixMilli(), 10)
	b = append(b, m.head...)
	b = appendDef(b, first)
	for _, x := range rest {
		b = append(b, ',')
		b = appendDef(b, x)
	}
	b = append(b, m.tail...)
	b = appendValue(b, first)
	for _, x := range rest {
		b = appendValue(b, x)
	}
	if id := RequestID(ctx); id != "" {
		b = append(b, `,"request_id":`...)
		b = appendJSONString(b, id)
	}
	b = append(b, '}', '\n')
	m.mu.Lock()
	_, _ = m.w.Write(b) // metrics are best effort: never fail a request for them
	m.mu.Unlock()
	*bp = b
	bufPool.Put(bp)
}

func appendDef(b []byte, x Metric) []byte {
	b = append(b, `{"Name":`...)
	b = appendJSONString(b, x.Name)
	unit := x.Unit
	if unit == "" {
		unit = UnitNone
	}
	b = append(b, `,"Unit":`...)
	b = appendJSONString(b, string(unit))
	return append(b, '}')
}

func appendValue(b []byte, x Metric) []byte {
	b = append(b, ',')
	b = appendJSONString(b, x.Name)
	b = append(b, ':')
	v := x.Value
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0 // JSON has no NaN/Inf; CloudWatch would reject the line
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
