package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// item is a DynamoDB item.
type item = map[string]types.AttributeValue

// wireAV is the DynamoDB JSON wire form of an attribute value; the
// embedded store persists items in it.
type wireAV struct {
	S    *string            `json:"S,omitempty"`
	N    *string            `json:"N,omitempty"`
	B    *[]byte            `json:"B,omitempty"`
	BOOL *bool              `json:"BOOL,omitempty"`
	NULL *bool              `json:"NULL,omitempty"`
	M    map[string]*wireAV `json:"M,omitempty"`
	L    *[]*wireAV         `json:"L,omitempty"`
	SS   *[]string          `json:"SS,omitempty"`
	NS   *[]string          `json:"NS,omitempty"`
	BS   *[][]byte          `json:"BS,omitempty"`
	// EM marks an empty map, which omitempty would drop.
	EM bool `json:"EM,omitempty"`
}

func toWire(av types.AttributeValue) (*wireAV, error) {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return &wireAV{S: &v.Value}, nil
	case *types.AttributeValueMemberN:
		return &wireAV{N: &v.Value}, nil
	case *types.AttributeValueMemberB:
		b := v.Value
		if b == nil {
			b = []byte{}
		}
		return &wireAV{B: &b}, nil
	case *types.AttributeValueMemberBOOL:
		return &wireAV{BOOL: &v.Value}, nil
	case *types.AttributeValueMemberNULL:
		t := true
		return &wireAV{NULL: &t}, nil
	case *types.AttributeValueMemberM:
		m := make(map[string]*wireAV, len(v.Value))
		for k, e := range v.Value {
			w, err := toWire(e)
			if err != nil {
				return nil, err
			}
			m[k] = w
		}
		return &wireAV{M: m, EM: len(m) == 0}, nil
	case *types.AttributeValueMemberL:
		l := make([]*wireAV, len(v.Value))
		for i, e := range v.Value {
			w, err := toWire(e)
			if err != nil {
				return nil, err
			}
			l[i] = w
		}
		return &wireAV{L: &l}, nil
	case *types.AttributeValueMemberSS:
		s := append([]string(nil), v.Value...)
		return &wireAV{SS: &s}, nil
	case *types.AttributeValueMemberNS:
		s := append([]string(nil), v.Value...)
		return &wireAV{NS: &s}, nil
	case *types.AttributeValueMemberBS:
		s := append([][]byte(nil), v.Value...)
		return &wireAV{BS: &s}, nil
	default:
		return nil, validationf("unsupported attribute value type %T", av)
	}
}

func fromWire(w *wireAV) types.AttributeValue {
	switch {
	case w.S != nil:
		return &types.AttributeValueMemberS{Value: *w.S}
	case w.N != nil:
		return &types.AttributeValueMemberN{Value: *w.N}
	case w.B != nil:
		return &types.AttributeValueMemberB{Value: *w.B}
	case w.BOOL != nil:
		return &types.AttributeValueMemberBOOL{Value: *w.BOOL}
	case w.NULL != nil:
		return &types.AttributeValueMemberNULL{Value: true}
	case w.M != nil || w.EM:
		m := make(map[string]types.AttributeValue, len(w.M))
		for k, e := range w.M {
			m[k] = fromWire(e)
		}
		return &types.AttributeValueMemberM{Value: m}
	case w.L != nil:
		l := make([]types.AttributeValue, len(*w.L))
		for i, e := range *w.L {
			l[i] = fromWire(e)
		}
		return &types.AttributeValueMemberL{Value: l}
	case w.SS != nil:
		return &types.AttributeValueMemberSS{Value: *w.SS}
	case w.NS != nil:
		return &types.AttributeValueMemberNS{Value: *w.NS}
	case w.BS != nil:
		return &types.AttributeValueMemberBS{Value: *w.BS}
	}
	return &types.AttributeValueMemberNULL{Value: true}
}

func encodeItem(it item) ([]byte, error) {
	m := make(map[string]*wireAV, len(it))
	for k, v := range it {
		w, err := toWire(v)
		if err != nil {
			return nil, err
		}
		m[k] = w
	}
	return json.Marshal(m)
}

func decodeItem(b []byte) (item, error) {
	var m map[string]*wireAV
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("store: corrupt item: %w", err)
	}
	it := make(item, len(m))
	for k, w := range m {
		it[k] = fromWire(w)
	}
	return it, nil
}

// checkValue rejects values DynamoDB rejects: bad numbers, empty sets,
// duplicate set members.
func checkValue(av types.AttributeValue) error {
	switch v := av.(type) {
	case nil:
		return validationf("attribute value is nil")
	case *types.AttributeValueMemberN:
		if _, err := parseNumber(v.Value); err != nil {
			return err
		}
	case *types.AttributeValueMemberM:
		for _, e := range v.Value {
			if err := checkValue(e); err != nil {
				return err
			}
		}
	case *types.AttributeValueMemberL:
		for _, e := range v.Value {
			if err := checkValue(e); err != nil {
				return err
			}
		}
	case *types.AttributeValueMemberSS:
		return checkSet(len(v.Value), func(i int) string { return v.Value[i] })
	case *types.AttributeValueMemberBS:
		return checkSet(len(v.Value), func(i int) string { return string(v.Value[i]) })
	case *types.AttributeValueMemberNS:
		for _, n := range v.Value {
			if _, err := parseNumber(n); err != nil {
				return err
			}
		}
		return checkSet(len(v.Value), func(i int) string { r, _ := parseNumber(v.Value[i]); return r.RatString() })
	}
	return nil
}

func checkSet(n int, at func(int) string) error {
	if n == 0 {
		return validationf("One or more parameter values were invalid: An number set, string set or binary set may not be empty")
	}
	seen := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		if seen[at(i)] {
			return validationf("One or more parameter values were invalid: Input collection contains duplicates")
		}
		seen[at(i)] = true
	}
	return nil
}

// parseNumber parses a DynamoDB number (decimal, optional exponent).
func parseNumber(s string) (*big.Rat, error) {
	if s == "" || strings.ContainsAny(s, "/ _") || strings.HasPrefix(s, "0x") {
		return nil, validationf("A value provided cannot be converted into a number: %q", s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, validationf("A value provided cannot be converted into a number: %q", s)
	}
	return r, nil
}

// formatNumber renders r as a decimal without trailing zeros.
func formatNumber(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	s := r.FloatString(40)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// canonicalNumber normalises a number for key encoding ("1.0" == "1").
func canonicalNumber(s string) (string, error) {
	r, err := parseNumber(s)
	if err != nil {
		return "", err
	}
	return formatNumber(r), nil
}

// scalarCompare compares two S, N or B values of the same type; ok is
// false when they are not comparable.
func scalarCompare(a, b types.AttributeValue) (c int, ok bool) {
	switch x := a.(type) {
	case *types.AttributeValueMemberS:
		y, isS := b.(*types.AttributeValueMemberS)
		if !isS {
			return 0, false
		}
		return strings.Compare(x.Value, y.Value), true
	case *types.AttributeValueMemberN:
		y, isN := b.(*types.AttributeValueMemberN)
		if !isN {
			return 0, false
		}
		rx, err1 := parseNumber(x.Value)
		ry, err2 := parseNumber(y.Value)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		return rx.Cmp(ry), true
	case *types.AttributeValueMemberB:
		y, isB := b.(*types.AttributeValueMemberB)
		if !isB {
			return 0, false
		}
		return bytes.Compare(x.Value, y.Value), true
	}
	return 0, false
}

// equal is DynamoDB's "=": same type and same value (sets ignore order).
func equal(a, b types.AttributeValue) bool {
	if c, ok := scalarCompare(a, b); ok {
		return c == 0
	}
	switch x := a.(type) {
	case *types.AttributeValueMemberBOOL:
		y, ok := b.(*types.AttributeValueMemberBOOL)
		return ok && x.Value == y.Value
	case *types.AttributeValueMemberNULL:
		_, ok := b.(*types.AttributeValueMemberNULL)
		return ok
	case *types.AttributeValueMemberL:
		y, ok := b.(*types.AttributeValueMemberL)
		if !ok || len(x.Value) != len(y.Value) {
			return false
		}
		for i := range x.Value {
			if !equal(x.Value[i], y.Value[i]) {
				return false
			}
		}
		return true
	case *types.AttributeValueMemberM:
		y, ok := b.(*types.AttributeValueMemberM)
		if !ok || len(x.Value) != len(y.Value) {
			return false
		}
		for k, v := range x.Value {
			w, ok := y.Value[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case *types.AttributeValueMemberSS:
		y, ok := b.(*types.AttributeValueMemberSS)
		return ok && sameSet(x.Value, y.Value, func(s string) string { return s })
	case *types.AttributeValueMemberNS:
		y, ok := b.(*types.AttributeValueMemberNS)
		return ok && sameSet(x.Value, y.Value, func(s string) string { c, _ := canonicalNumber(s); return c })
	case *types.AttributeValueMemberBS:
		y, ok := b.(*types.AttributeValueMemberBS)
		if !ok {
			return false
		}
		xs, ys := make([]string, len(x.Value)), make([]string, len(y.Value))
		for i, v := range x.Value {
			xs[i] = string(v)
		}
		for i, v := range y.Value {
			ys[i] = string(v)
		}
		return sameSet(xs, ys, func(s string) string { return s })
	}
	return false
}

func sameSet(a, b []string, norm func(string) string) bool {
	if len(a) != len(b) {
		return false
	}
	m := make(map[string]bool, len(a))
	for _, s := range a {
		m[norm(s)] = true
	}
	for _, s := range b {
		if !m[norm(s)] {
			return false
		}
	}
	return true
}

// ItemSize approximates DynamoDB's item size accounting (attribute names
// plus values, numbers at about one byte per two digits): what counts
// against the 400 KB item and 4 MB transaction limits.
func ItemSize(it map[string]types.AttributeValue) int {
	n := 0
	for k, v := range it {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(av types.AttributeValue) int {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return len(v.Value)/2 + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += len(s)/2 + 1
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	}
	return 0
}

// cloneItem returns a shallow copy of it (values are immutable here).
func cloneItem(it item) item {
	out := make(item, len(it))
	for k, v := range it {
		out[k] = v
	}
	return out
}
