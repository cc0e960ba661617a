package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"

	"github.com/google/uuid"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// ReconcileHeader carries a reconciled write's amount from the targeter to
// the runner's transport, which removes it before the request leaves: the
// runner then knows exactly which writes were accepted and for how much.
const ReconcileHeader = "X-Campaignkit-Reconcile-Amount"

var seq atomic.Uint64

// Funcs are the template functions request paths and bodies may use:
//
//	uuid              a random RFC 4122 version 4 UUID
//	idempotencyKey    a fresh idempotency key (a UUID)
//	randInt a b       a uniform integer in [a, b]
//	randChoice x...   one of its arguments, or of a single list argument
//	seq               a process-wide sequence number (1, 2, ...)
//	json v            v as JSON (quotes and escapes strings)
func Funcs() template.FuncMap {
	return template.FuncMap{
		"uuid":           uuid.NewString,
		"idempotencyKey": uuid.NewString,
		"randInt":        randInt,
		"randChoice":     randChoice,
		"seq":            func() uint64 { return seq.Add(1) },
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}
}

func randInt(lo, hi int) (int, error) {
	if hi < lo {
		return 0, fmt.Errorf("randInt %d %d: upper bound below lower bound", lo, hi)
	}
	return lo + rand.IntN(hi-lo+1), nil
}

func randChoice(xs ...any) (any, error) {
	if len(xs) == 1 {
		v := reflect.ValueOf(xs[0])
		if v.Kind() == reflect.Slice || v.Kind() == reflect.Array {
			if v.Len() == 0 {
				return nil, fmt.Errorf("randChoice: empty list")
			}
			return v.Index(rand.IntN(v.Len())).Interface(), nil
		}
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("randChoice: no choices")
	}
	return xs[rand.IntN(len(xs))], nil
}

// templateData is what request templates see as ".".
type templateData struct {
	Vars map[string]any
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Targeter returns a vegeta.Targeter that picks requests by weight and
// renders their path and body templates against base (scheme://host[:port]
// and an optional path prefix). It is safe for concurrent use. With
// reconcile set, the reconciled request carries its amount in
// ReconcileHeader (see there).
func (s *Scenario) Targeter(base string, reconcile bool) (vegeta.Targeter, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("target URL %q: want scheme://host[:port][/prefix]", base)
	}
	prefix := strings.TrimRight(base, "/")
	cum := make([]float64, len(s.Requests))
	var total float64
	for i, r := range s.Requests {
		total += r.Weight
		cum[i] = total
	}
	data := templateData{Vars: s.Vars}
	// Paths without template actions are joined once, not per request.
	static := make([]string, len(s.Requests))
	for i, r := range s.Requests {
		if !strings.Contains(r.Path, "{{") {
			static[i] = prefix + r.Path
		}
	}
	var amountField []string
	var recName string
	if reconcile && s.Reconcile != nil {
		recName = s.Reconcile.Request
		amountField = strings.Split(s.Reconcile.AmountField, ".")
	}
	return func(tgt *vegeta.Target) error {
		x := rand.Float64() * total
		i := 0
		for i < len(cum)-1 && x >= cum[i] {
			i++
		}
		r := &s.Requests[i]
		buf := bufPool.Get().(*bytes.Buffer)
		defer bufPool.Put(buf)
		tgt.Method = r.Method
		if static[i] != "" {
			tgt.URL = static[i]
		} else {
			buf.Reset()
			if err := r.path.Execute(buf, data); err != nil {
				return fmt.Errorf("render %s path: %w", r.Name, err)
			}
			tgt.URL = prefix + buf.String()
		}
		tgt.Body = nil
		if r.Body != "" && !strings.Contains(r.Body, "{{") {
			tgt.Body = []byte(r.Body)
		} else if r.Body != "" {
			buf.Reset()
			if err := r.body.Execute(buf, data); err != nil {
				return fmt.Errorf("render %s body: %w", r.Name, err)
			}
			tgt.Body = bytes.Clone(buf.Bytes())
		}
		tgt.Header = r.header
		if r.Name == recName {
			amount, err := Field(tgt.Body, amountField)
			if err != nil {
				return fmt.Errorf("request %s: reconcile.amountField: %w", r.Name, err)
			}
			tgt.Header = r.header.Clone()
			tgt.Header.Set(ReconcileHeader, strconv.FormatInt(amount, 10))
		}
		return nil
	}, nil
}

// Field reads an integer at a dotted path of a JSON document.
func Field(doc []byte, path []string) (int64, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return 0, fmt.Errorf("decode JSON: %w", err)
	}
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return 0, fmt.Errorf("field %q: not an object at %q", strings.Join(path, "."), p)
		}
		if v, ok = m[p]; !ok {
			return 0, fmt.Errorf("field %q: missing %q", strings.Join(path, "."), p)
		}
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("field %q: not a number", strings.Join(path, "."))
	}
	i, err := n.Int64()
	if err != nil {
		return 0, fmt.Errorf("field %q: %w", strings.Join(path, "."), err)
	}
	return i, nil
}
