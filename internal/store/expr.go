package store

import (
	_ "embed"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Expression parsing and evaluation for the embedded store; the supported
// subset is listed in the package documentation.

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tName  // #name
	tValue // :value
	tPunct
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentStart(c) || ((c == '#' || c == ':') && i+1 < len(s) && isIdentChar(s[i+1])):
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			k := tIdent
			if c == '#' {
				k = tName
			} else if c == ':' {
				k = tValue
			}
			out = append(out, token{kind: k, text: s[i:j], pos: i})
			i = j
		case strings.HasPrefix(s[i:], "<>") || strings.HasPrefix(s[i:], "<=") || strings.HasPrefix(s[i:], ">="):
			out = append(out, token{kind: tPunct, text: s[i : i+2], pos: i})
			i += 2
		case strings.ContainsRune("=<>(),+-.[]", rune(c)):
			out = append(out, token{kind: tPunct, text: s[i : i+1], pos: i})
			i++
		default:
			return nil, validationf("Invalid expression: syntax error; token: %q, near: %q", string(c), near(s, i))
		}
	}
	return append(out, token{kind: tEOF, pos: len(s)}), nil
}

func near(s string, i int) string {
	return s[max(0, i-10):min(len(s), i+10)]
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// exprEnv resolves placeholders and records which were used.
type exprEnv struct {
	names     map[string]string
	values    map[string]types.AttributeValue
	usedNames map[string]bool
	usedVals  map[string]bool
}

func newEnv(names map[string]string, values map[string]types.AttributeValue) *exprEnv {
	return &exprEnv{names: names, values: values, usedNames: map[string]bool{}, usedVals: map[string]bool{}}
}

// checkUnused rejects placeholders no expression used, like DynamoDB.
func (e *exprEnv) checkUnused() error {
	var un []string
	for k := range e.names {
		if !e.usedNames[k] {
			un = append(un, k)
		}
	}
	if len(un) > 0 {
		sort.Strings(un)
		return validationf("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(un, ", "))
	}
	for k := range e.values {
		if !e.usedVals[k] {
			un = append(un, k)
		}
	}
	if len(un) > 0 {
		sort.Strings(un)
		return validationf("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(un, ", "))
	}
	for k, v := range e.values {
		if err := checkValue(v); err != nil {
			return fmt.Errorf("ExpressionAttributeValues %s: %w", k, err)
		}
	}
	return nil
}

type parser struct {
	toks []token
	i    int
	src  string
	env  *exprEnv
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isKeyword(t token, kw string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) errAt(t token, msg string) error {
	tok := t.text
	if t.kind == tEOF {
		tok = "<EOF>"
	}
	return validationf("Invalid expression: %s; token: %q, near: %q", msg, tok, near(p.src, t.pos))
}

func (p *parser) expect(punct string) error {
	t := p.next()
	if t.kind != tPunct || t.text != punct {
		return p.errAt(t, "syntax error, expected "+punct)
	}
	return nil
}

// reservedWords is DynamoDB's published reserved-word list ("Reserved
// words in DynamoDB", Amazon DynamoDB Developer Guide); such attribute
// names must be written as #placeholders.
//
//go:embed reserved_words.txt
var reservedWordList string

var keywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(reservedWordList) {
		m[strings.ToUpper(w)] = true
	}
	return m
}()

// path parses a top-level attribute name.
func (p *parser) path() (string, error) {
	t := p.next()
	var name string
	switch t.kind {
	case tName:
		n, ok := p.env.names[t.text]
		if !ok {
			return "", validationf("Value provided in ExpressionAttributeNames unused in expressions or undefined: An expression attribute name used in the document path is not defined; attribute name: %s", t.text)
		}
		p.env.usedNames[t.text] = true
		name = n
	case tIdent:
		if keywords[strings.ToUpper(t.text)] {
			return "", validationf("Invalid expression: Attribute name is a reserved keyword; reserved keyword: %s", t.text)
		}
		name = t.text
	default:
		return "", p.errAt(t, "syntax error, expected an attribute name")
	}
	if n := p.peek(); n.kind == tPunct && (n.text == "." || n.text == "[") {
		return "", validationf("embedded store: nested document paths are not supported (near %q)", near(p.src, n.pos))
	}
	return name, nil
}

// operand is an attribute path or a value placeholder.
type operand struct {
	path string
	val  types.AttributeValue
}

func (o operand) get(it item) (types.AttributeValue, bool) {
	if o.val != nil {
		return o.val, true
	}
	v, ok := it[o.path]
	return v, ok
}

func (p *parser) value() (types.AttributeValue, error) {
	t := p.next()
	if t.kind != tValue {
		return nil, p.errAt(t, "syntax error, expected a value placeholder")
	}
	v, ok := p.env.values[t.text]
	if !ok {
		return nil, validationf("Invalid expression: An expression attribute value used in expression is not defined; attribute value: %s", t.text)
	}
	p.env.usedVals[t.text] = true
	return v, nil
}

func (p *parser) operand() (operand, error) {
	if p.peek().kind == tValue {
		v, err := p.value()
		return operand{val: v}, err
	}
	if t := p.peek(); t.kind == tIdent && p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].text == "(" {
		return operand{}, validationf("embedded store: function %s is not supported as an operand", t.text)
	}
	n, err := p.path()
	return operand{path: n}, err
}

// --- conditions ---

type cond interface {
	eval(it item) bool
}

type andCond struct{ l, r cond }
type orCond struct{ l, r cond }
type notCond struct{ c cond }
type cmpCond struct {
	op   string
	l, r operand
}
type betweenCond struct{ v, lo, hi operand }
type inCond struct {
	v    operand
	list []operand
}
type fnCond struct {
	fn   string
	path string
	arg  operand
}

func (c andCond) eval(it item) bool { return c.l.eval(it) && c.r.eval(it) }
func (c orCond) eval(it item) bool  { return c.l.eval(it) || c.r.eval(it) }
func (c notCond) eval(it item) bool { return !c.c.eval(it) }

func (c cmpCond) eval(it item) bool {
	a, okA := c.l.get(it)
	b, okB := c.r.get(it)
	if c.op == "<>" {
		return !(okA && okB && equal(a, b))
	}
	if !okA || !okB {
		return false
	}
	if c.op == "=" {
		return equal(a, b)
	}
	n, ok := scalarCompare(a, b)
	if !ok {
		return false
	}
	switch c.op {
	case "<":
		return n < 0
	case "<=":
		return n <= 0
	case ">":
		return n > 0
	default:
		return n >= 0
	}
}

func (c betweenCond) eval(it item) bool {
	v, ok1 := c.v.get(it)
	lo, ok2 := c.lo.get(it)
	hi, ok3 := c.hi.get(it)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	a, okA := scalarCompare(v, lo)
	b, okB := scalarCompare(v, hi)
	return okA && okB && a >= 0 && b <= 0
}

func (c inCond) eval(it item) bool {
	v, ok := c.v.get(it)
	if !ok {
		return false
	}
	for _, o := range c.list {
		if w, ok := o.get(it); ok && equal(v, w) {
			return true
		}
	}
	return false
}

func (c fnCond) eval(it item) bool {
	v, exists := it[c.path]
	switch c.fn {
	case "attribute_exists":
		return exists
	case "attribute_not_exists":
		return !exists
	case "begins_with":
		arg, ok := c.arg.get(it)
		if !exists || !ok {
			return false
		}
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			y, ok := arg.(*types.AttributeValueMemberS)
			return ok && strings.HasPrefix(x.Value, y.Value)
		case *types.AttributeValueMemberB:
			y, ok := arg.(*types.AttributeValueMemberB)
			return ok && strings.HasPrefix(string(x.Value), string(y.Value))
		}
		return false
	case "contains":
		arg, ok := c.arg.get(it)
		if !exists || !ok {
			return false
		}
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			y, ok := arg.(*types.AttributeValueMemberS)
			return ok && strings.Contains(x.Value, y.Value)
		case *types.AttributeValueMemberSS, *types.AttributeValueMemberNS, *types.AttributeValueMemberBS:
			return setContains(v, arg)
		case *types.AttributeValueMemberL:
			for _, e := range x.Value {
				if equal(e, arg) {
					return true
				}
			}
		}
		return false
	}
	return false
}

func setContains(set, v types.AttributeValue) bool {
	switch x := set.(type) {
	case *types.AttributeValueMemberSS:
		y, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return false
		}
		for _, s := range x.Value {
			if s == y.Value {
				return true
			}
		}
	case *types.AttributeValueMemberNS:
		y, ok := v.(*types.AttributeValueMemberN)
		if !ok {
			return false
		}
		for _, s := range x.Value {
			if c, ok := scalarCompare(&types.AttributeValueMemberN{Value: s}, y); ok && c == 0 {
				return true
			}
		}
	case *types.AttributeValueMemberBS:
		y, ok := v.(*types.AttributeValueMemberB)
		if !ok {
			return false
		}
		for _, s := range x.Value {
			if string(s) == string(y.Value) {
				return true
			}
		}
	}
	return false
}

// parseCondition parses a condition, filter or key-condition expression.
func parseCondition(src string, env *exprEnv) (cond, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, src: src, env: env}
	if p.peek().kind == tEOF {
		return nil, validationf("Invalid expression: The expression can not be empty")
	}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, "syntax error")
	}
	return c, nil
}

func (p *parser) or() (cond, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(p.peek(), "OR") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orCond{l, r}
	}
	return l, nil
}

func (p *parser) and() (cond, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(p.peek(), "AND") {
		p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = andCond{l, r}
	}
	return l, nil
}

func (p *parser) not() (cond, error) {
	if p.isKeyword(p.peek(), "NOT") {
		p.next()
		c, err := p.not()
		if err != nil {
			return nil, err
		}
		return notCond{c}, nil
	}
	return p.primary()
}

func (p *parser) primary() (cond, error) {
	t := p.peek()
	if t.kind == tPunct && t.text == "(" {
		p.next()
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		return c, p.expect(")")
	}
	if t.kind == tIdent && p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].text == "(" {
		return p.function()
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	op := p.next()
	switch {
	case op.kind == tPunct && (op.text == "=" || op.text == "<>" || op.text == "<" || op.text == "<=" || op.text == ">" || op.text == ">="):
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		return cmpCond{op: op.text, l: l, r: r}, nil
	case p.isKeyword(op, "BETWEEN"):
		lo, err := p.operand()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword(p.next(), "AND") {
			return nil, p.errAt(op, "syntax error, BETWEEN needs AND")
		}
		hi, err := p.operand()
		if err != nil {
			return nil, err
		}
		return betweenCond{v: l, lo: lo, hi: hi}, nil
	case p.isKeyword(op, "IN"):
		if err := p.expect("("); err != nil {
			return nil, err
		}
		var list []operand
		for {
			o, err := p.operand()
			if err != nil {
				return nil, err
			}
			list = append(list, o)
			if n := p.next(); n.kind == tPunct && n.text == ")" {
				break
			} else if n.kind != tPunct || n.text != "," {
				return nil, p.errAt(n, "syntax error in IN list")
			}
		}
		return inCond{v: l, list: list}, nil
	}
	return nil, p.errAt(op, "syntax error, expected a comparison")
}

func (p *parser) function() (cond, error) {
	name := p.next()
	fn := strings.ToLower(name.text)
	if err := p.expect("("); err != nil {
		return nil, err
	}
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	c := fnCond{fn: fn, path: path}
	switch fn {
	case "attribute_exists", "attribute_not_exists":
	case "begins_with", "contains":
		if err := p.expect(","); err != nil {
			return nil, err
		}
		if c.arg, err = p.operand(); err != nil {
			return nil, err
		}
	default:
		return nil, validationf("embedded store: function %s is not supported in conditions", name.text)
	}
	return c, p.expect(")")
}

// --- key conditions ---

type keyCond struct {
	pk     types.AttributeValue
	skOp   string // "", "=", "<", "<=", ">", ">=", "between", "begins_with"
	skVals []types.AttributeValue
}

func (k keyCond) matchSK(sk types.AttributeValue) bool {
	switch k.skOp {
	case "":
		return true
	case "between":
		return cmpCond{op: ">=", l: operand{val: sk}, r: operand{val: k.skVals[0]}}.eval(nil) &&
			cmpCond{op: "<=", l: operand{val: sk}, r: operand{val: k.skVals[1]}}.eval(nil)
	case "begins_with":
		return fnCond{fn: "begins_with", path: "v", arg: operand{val: k.skVals[0]}}.eval(item{"v": sk})
	default:
		return cmpCond{op: k.skOp, l: operand{val: sk}, r: operand{val: k.skVals[0]}}.eval(nil)
	}
}

func parseKeyCondition(src string, env *exprEnv, s schema) (keyCond, error) {
	c, err := parseCondition(src, env)
	if err != nil {
		return keyCond{}, err
	}
	var terms []cond
	var flat func(c cond)
	flat = func(c cond) {
		if a, ok := c.(andCond); ok {
			flat(a.l)
			flat(a.r)
			return
		}
		terms = append(terms, c)
	}
	flat(c)
	bad := validationf("Query key condition not supported")
	if len(terms) > 2 {
		return keyCond{}, validationf("Conditions can be of length 1 or 2 only")
	}
	var kc keyCond
	for _, t := range terms {
		switch x := t.(type) {
		case cmpCond:
			if x.l.path == "" || x.r.val == nil || x.op == "<>" {
				return keyCond{}, bad
			}
			switch {
			case x.l.path == s.PK && x.op == "=" && kc.pk == nil:
				kc.pk = x.r.val
			case x.l.path == s.SK && s.SK != "" && kc.skOp == "":
				kc.skOp, kc.skVals = x.op, []types.AttributeValue{x.r.val}
			default:
				return keyCond{}, bad
			}
		case betweenCond:
			if x.v.path != s.SK || s.SK == "" || x.lo.val == nil || x.hi.val == nil || kc.skOp != "" {
				return keyCond{}, bad
			}
			if c, ok := scalarCompare(x.lo.val, x.hi.val); !ok || c > 0 {
				return keyCond{}, validationf("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound")
			}
			kc.skOp, kc.skVals = "between", []types.AttributeValue{x.lo.val, x.hi.val}
		case fnCond:
			if x.fn != "begins_with" || x.path != s.SK || s.SK == "" || x.arg.val == nil || kc.skOp != "" {
				return keyCond{}, bad
			}
			kc.skOp, kc.skVals = "begins_with", []types.AttributeValue{x.arg.val}
		default:
			return keyCond{}, bad
		}
	}
	if kc.pk == nil {
		return keyCond{}, validationf("Query condition missed key schema element: %s", s.PK)
	}
	if err := s.checkAttr(s.PK, s.PKType, kc.pk); err != nil {
		return keyCond{}, err
	}
	for _, v := range kc.skVals {
		if err := s.checkAttr(s.SK, s.SKType, v); err != nil {
			return keyCond{}, err
		}
	}
	return kc, nil
}

// --- updates ---

type setAction struct {
	path string
	val  valueExpr
}

// valueExpr is a SET right-hand side: term [(+|-) term].
type valueExpr struct {
	a, b *term
	op   string
}

// term is an operand or a function of operands.
type term struct {
	op   operand
	fn   string // "", "if_not_exists", "list_append"
	args []*term
	path string // if_not_exists path
}

type updateExpr struct {
	sets    []setAction
	removes []string
	adds    []operand // path + value pairs (path in .path of first)
	addVals []types.AttributeValue
	dels    []string
	delVals []types.AttributeValue
}

func parseUpdate(src string, env *exprEnv) (*updateExpr, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, src: src, env: env}
	u := &updateExpr{}
	seenClause := map[string]bool{}
	touched := map[string]bool{}
	touch := func(path string) error {
		if touched[path] {
			return validationf("Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [%s], path two: [%s]", path, path)
		}
		touched[path] = true
		return nil
	}
	if p.peek().kind == tEOF {
		return nil, validationf("Invalid UpdateExpression: The expression can not be empty")
	}
	for p.peek().kind != tEOF {
		kw := p.next()
		clause := strings.ToUpper(kw.text)
		if kw.kind != tIdent || !(clause == "SET" || clause == "REMOVE" || clause == "ADD" || clause == "DELETE") {
			return nil, p.errAt(kw, "syntax error, expected SET, REMOVE, ADD or DELETE")
		}
		if seenClause[clause] {
			return nil, validationf("Invalid UpdateExpression: The \"%s\" section can only be used once in an update expression", clause)
		}
		seenClause[clause] = true
		for {
			path, err := p.path()
			if err != nil {
				return nil, err
			}
			if err := touch(path); err != nil {
				return nil, err
			}
			switch clause {
			case "SET":
				if err := p.expect("="); err != nil {
					return nil, err
				}
				ve, err := p.valueExpr()
				if err != nil {
					return nil, err
				}
				u.sets = append(u.sets, setAction{path: path, val: ve})
			case "REMOVE":
				u.removes = append(u.removes, path)
			case "ADD", "DELETE":
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				if clause == "ADD" {
					u.adds = append(u.adds, operand{path: path})
					u.addVals = append(u.addVals, v)
				} else {
					u.dels = append(u.dels, path)
					u.delVals = append(u.delVals, v)
				}
			}
			if t := p.peek(); t.kind == tPunct && t.text == "," {
				p.next()
				continue
			}
			break
		}
	}
	return u, nil
}

func (p *parser) valueExpr() (valueExpr, error) {
	a, err := p.term()
	if err != nil {
		return valueExpr{}, err
	}
	ve := valueExpr{a: a}
	if t := p.peek(); t.kind == tPunct && (t.text == "+" || t.text == "-") {
		p.next()
		b, err := p.term()
		if err != nil {
			return valueExpr{}, err
		}
		ve.op, ve.b = t.text, b
	}
	return ve, nil
}

func (p *parser) term() (*term, error) {
	t := p.peek()
	if t.kind == tIdent && p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].text == "(" {
		fn := strings.ToLower(t.text)
		p.next()
		p.next()
		switch fn {
		case "if_not_exists":
			path, err := p.path()
			if err != nil {
				return nil, err
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
			def, err := p.term()
			if err != nil {
				return nil, err
			}
			return &term{fn: fn, path: path, args: []*term{def}}, p.expect(")")
		case "list_append":
			a, err := p.term()
			if err != nil {
				return nil, err
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
			b, err := p.term()
			if err != nil {
				return nil, err
			}
			return &term{fn: fn, args: []*term{a, b}}, p.expect(")")
		default:
			return nil, validationf("Invalid UpdateExpression: Invalid function name; function: %s", t.text)
		}
	}
	o, err := p.operand()
	if err != nil {
		return nil, err
	}
	return &term{op: o}, nil
}

var errMissingOperand = validationf("The provided expression refers to an attribute that does not exist in the item")
var errOperandType = validationf("An operand in the update expression has an incorrect data type")

func (t *term) eval(old item) (types.AttributeValue, error) {
	switch t.fn {
	case "if_not_exists":
		if v, ok := old[t.path]; ok {
			return v, nil
		}
		return t.args[0].eval(old)
	case "list_append":
		a, err := t.args[0].eval(old)
		if err != nil {
			return nil, err
		}
		b, err := t.args[1].eval(old)
		if err != nil {
			return nil, err
		}
		la, ok1 := a.(*types.AttributeValueMemberL)
		lb, ok2 := b.(*types.AttributeValueMemberL)
		if !ok1 || !ok2 {
			return nil, errOperandType
		}
		l := append(append([]types.AttributeValue{}, la.Value...), lb.Value...)
		return &types.AttributeValueMemberL{Value: l}, nil
	}
	v, ok := t.op.get(old)
	if !ok {
		return nil, errMissingOperand
	}
	return v, nil
}

func (ve valueExpr) eval(old item) (types.AttributeValue, error) {
	a, err := ve.a.eval(old)
	if err != nil || ve.b == nil {
		return a, err
	}
	b, err := ve.b.eval(old)
	if err != nil {
		return nil, err
	}
	na, ok1 := a.(*types.AttributeValueMemberN)
	nb, ok2 := b.(*types.AttributeValueMemberN)
	if !ok1 || !ok2 {
		return nil, errOperandType
	}
	x, err := parseNumber(na.Value)
	if err != nil {
		return nil, err
	}
	y, err := parseNumber(nb.Value)
	if err != nil {
		return nil, err
	}
	if ve.op == "+" {
		x = new(big.Rat).Add(x, y)
	} else {
		x = new(big.Rat).Sub(x, y)
	}
	return &types.AttributeValueMemberN{Value: formatNumber(x)}, nil
}

// paths lists every attribute the update writes.
func (u *updateExpr) paths() []string {
	var out []string
	for _, s := range u.sets {
		out = append(out, s.path)
	}
	out = append(out, u.removes...)
	for _, a := range u.adds {
		out = append(out, a.path)
	}
	return append(out, u.dels...)
}

// apply returns the updated item; all right-hand sides read old.
func (u *updateExpr) apply(old item) (item, error) {
	nw := cloneItem(old)
	for _, s := range u.sets {
		v, err := s.val.eval(old)
		if err != nil {
			return nil, err
		}
		nw[s.path] = v
	}
	for _, r := range u.removes {
		delete(nw, r)
	}
	for i, a := range u.adds {
		v, err := addValue(old[a.path], u.addVals[i])
		if err != nil {
			return nil, err
		}
		nw[a.path] = v
	}
	for i, d := range u.dels {
		v, err := deleteFromSet(old[d], u.delVals[i])
		if err != nil {
			return nil, err
		}
		if v == nil {
			delete(nw, d)
		} else {
			nw[d] = v
		}
	}
	return nw, nil
}

func addValue(cur, delta types.AttributeValue) (types.AttributeValue, error) {
	switch d := delta.(type) {
	case *types.AttributeValueMemberN:
		y, err := parseNumber(d.Value)
		if err != nil {
			return nil, err
		}
		if cur == nil {
			return &types.AttributeValueMemberN{Value: formatNumber(y)}, nil
		}
		c, ok := cur.(*types.AttributeValueMemberN)
		if !ok {
			return nil, errOperandType
		}
		x, err := parseNumber(c.Value)
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberN{Value: formatNumber(new(big.Rat).Add(x, y))}, nil
	case *types.AttributeValueMemberSS:
		c, ok := cur.(*types.AttributeValueMemberSS)
		if cur != nil && !ok {
			return nil, errOperandType
		}
		var have []string
		if c != nil {
			have = c.Value
		}
		return &types.AttributeValueMemberSS{Value: union(have, d.Value, func(s string) string { return s })}, nil
	case *types.AttributeValueMemberNS:
		c, ok := cur.(*types.AttributeValueMemberNS)
		if cur != nil && !ok {
			return nil, errOperandType
		}
		var have []string
		if c != nil {
			have = c.Value
		}
		return &types.AttributeValueMemberNS{Value: union(have, d.Value, func(s string) string { n, _ := canonicalNumber(s); return n })}, nil
	case *types.AttributeValueMemberBS:
		c, ok := cur.(*types.AttributeValueMemberBS)
		if cur != nil && !ok {
			return nil, errOperandType
		}
		out := [][]byte{}
		seen := map[string]bool{}
		if c != nil {
			for _, b := range c.Value {
				seen[string(b)] = true
				out = append(out, b)
			}
		}
		for _, b := range d.Value {
			if !seen[string(b)] {
				seen[string(b)] = true
				out = append(out, b)
			}
		}
		return &types.AttributeValueMemberBS{Value: out}, nil
	}
	return nil, errOperandType
}

func union(have, add []string, norm func(string) string) []string {
	out := append([]string{}, have...)
	seen := map[string]bool{}
	for _, s := range have {
		seen[norm(s)] = true
	}
	for _, s := range add {
		if !seen[norm(s)] {
			seen[norm(s)] = true
			out = append(out, s)
		}
	}
	return out
}

// deleteFromSet removes members; a nil result means the set became empty.
func deleteFromSet(cur, del types.AttributeValue) (types.AttributeValue, error) {
	if cur == nil {
		return nil, nil
	}
	minus := func(have, drop []string, norm func(string) string) []string {
		gone := map[string]bool{}
		for _, s := range drop {
			gone[norm(s)] = true
		}
		var out []string
		for _, s := range have {
			if !gone[norm(s)] {
				out = append(out, s)
			}
		}
		return out
	}
	id := func(s string) string { return s }
	switch d := del.(type) {
	case *types.AttributeValueMemberSS:
		c, ok := cur.(*types.AttributeValueMemberSS)
		if !ok {
			return nil, errOperandType
		}
		if out := minus(c.Value, d.Value, id); len(out) > 0 {
			return &types.AttributeValueMemberSS{Value: out}, nil
		}
		return nil, nil
	case *types.AttributeValueMemberNS:
		c, ok := cur.(*types.AttributeValueMemberNS)
		if !ok {
			return nil, errOperandType
		}
		if out := minus(c.Value, d.Value, func(s string) string { n, _ := canonicalNumber(s); return n }); len(out) > 0 {
			return &types.AttributeValueMemberNS{Value: out}, nil
		}
		return nil, nil
	case *types.AttributeValueMemberBS:
		c, ok := cur.(*types.AttributeValueMemberBS)
		if !ok {
			return nil, errOperandType
		}
		have := make([]string, len(c.Value))
		for i, b := range c.Value {
			have[i] = string(b)
		}
		drop := make([]string, len(d.Value))
		for i, b := range d.Value {
			drop[i] = string(b)
		}
		out := minus(have, drop, id)
		if len(out) == 0 {
			return nil, nil
		}
		bs := make([][]byte, len(out))
		for i, s := range out {
			bs[i] = []byte(s)
		}
		return &types.AttributeValueMemberBS{Value: bs}, nil
	}
	return nil, errOperandType
}

// parseProjection parses "a, #b, c" into attribute names.
func parseProjection(src string, env *exprEnv) ([]string, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, src: src, env: env}
	var out []string
	for {
		n, err := p.path()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		t := p.next()
		if t.kind == tEOF {
			return out, nil
		}
		if t.kind != tPunct || t.text != "," {
			return nil, p.errAt(t, "syntax error in ProjectionExpression")
		}
	}
}

func project(it item, attrs []string) item {
	if attrs == nil {
		return it
	}
	out := item{}
	for _, a := range attrs {
		if v, ok := it[a]; ok {
			out[a] = v
		}
	}
	return out
}
