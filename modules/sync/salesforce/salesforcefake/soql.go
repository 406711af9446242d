package salesforcefake

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The fake understands the part of SOQL a sync client needs: SELECT of plain fields
// FROM one object, a WHERE of comparisons joined by AND or OR (never both at one
// level without parentheses, which Salesforce refuses too), ORDER BY and LIMIT.
// Anything else is a MALFORMED_QUERY, so a client that drifts from real SOQL fails
// here rather than in production.

// apiError is an error Salesforce reports as [{"message","errorCode"}].
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func malformed(format string, args ...any) *apiError {
	return &apiError{status: 400, code: "MALFORMED_QUERY", msg: fmt.Sprintf(format, args...)}
}

type token struct {
	kind byte // 'i' identifier or keyword, 's' quoted string, 'v' bare value, 'p' punctuation or operator
	text string
}

func lower(s string) string { return strings.ToLower(s) }

func lex(q string) ([]token, error) {
	var out []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',' || c == '=':
			out = append(out, token{'p', string(c)})
			i++
		case c == '<' || c == '>' || c == '!':
			j := i + 1
			if j < len(q) && (q[j] == '=' || (c == '<' && q[j] == '>')) {
				j++
			}
			op := q[i:j]
			if op == "!" {
				return nil, malformed("unexpected token: !")
			}
			out = append(out, token{'p', op})
			i = j
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(q) && q[j] != '\''; j++ {
				if q[j] == '\\' && j+1 < len(q) {
					j++
				}
				b.WriteByte(q[j])
			}
			if j >= len(q) {
				return nil, malformed("unterminated string literal")
			}
			out = append(out, token{'s', b.String()})
			i = j + 1
		case isIdentStart(c):
			j := i
			for j < len(q) && (isIdentStart(q[j]) || isDigit(q[j]) || q[j] == '.') {
				j++
			}
			out = append(out, token{'i', q[i:j]})
			i = j
		case isDigit(c) || c == '-':
			j := i + 1
			for j < len(q) && (isIdentStart(q[j]) || isDigit(q[j]) || strings.IndexByte(":.+-", q[j]) >= 0) {
				j++
			}
			out = append(out, token{'v', q[i:j]})
			i = j
		default:
			return nil, malformed("unexpected character %q", c)
		}
	}
	return out, nil
}

func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

// query is a parsed SOQL statement.
type query struct {
	obj    *object
	fields []int
	where  cond
	order  []orderKey
	limit  int
}

type parser struct {
	toks []token
	pos  int
	obj  *object
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{}
}

func (p *parser) next() token { t := p.peek(); p.pos++; return t }

func (p *parser) keyword(kw string) bool {
	if t := p.peek(); t.kind == 'i' && strings.EqualFold(t.text, kw) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(kw string) error {
	if !p.keyword(kw) {
		return malformed("expected %s, found %q", kw, p.peek().text)
	}
	return nil
}

// parse reads q against the fake's objects.
func (s *Server) parse(q string) (*query, error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if err := p.expect("SELECT"); err != nil {
		return nil, err
	}
	var names []string
	for {
		t := p.next()
		if t.kind != 'i' || isKeyword(t.text) {
			return nil, malformed("unexpected token: %q", t.text)
		}
		names = append(names, t.text)
		if p.peek().text != "," {
			break
		}
		p.pos++
	}
	if err := p.expect("FROM"); err != nil {
		return nil, err
	}
	t := p.next()
	o, ok := s.objects[lower(t.text)]
	if t.kind != 'i' || !ok {
		return nil, &apiError{status: 400, code: "INVALID_TYPE", msg: fmt.Sprintf("sObject type '%s' is not supported.", t.text)}
	}
	p.obj = o
	out := &query{obj: o, limit: -1}
	for _, n := range names {
		i, err := p.field(n)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out.fields, i) {
			return nil, malformed("duplicate field selected: %s", n)
		}
		out.fields = append(out.fields, i)
	}
	if p.keyword("WHERE") {
		if out.where, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.keyword("ORDER") {
		if err := p.expect("BY"); err != nil {
			return nil, err
		}
		for {
			i, err := p.field(p.next().text)
			if err != nil {
				return nil, err
			}
			k := orderKey{field: i}
			if p.keyword("DESC") {
				k.desc = true
			} else {
				p.keyword("ASC")
			}
			out.order = append(out.order, k)
			if p.peek().text != "," {
				break
			}
			p.pos++
		}
	}
	if p.keyword("LIMIT") {
		n, err := strconv.Atoi(p.next().text)
		if err != nil || n < 0 {
			return nil, malformed("LIMIT must be a non-negative integer")
		}
		out.limit = n
	}
	if p.pos < len(p.toks) {
		return nil, malformed("unexpected token: %q", p.peek().text)
	}
	return out, nil
}

func isKeyword(s string) bool {
	switch lower(s) {
	case "select", "from", "where", "and", "or", "not", "order", "by", "asc", "desc", "limit", "null", "true", "false":
		return true
	}
	return false
}

func (p *parser) field(name string) (int, error) {
	if i, ok := p.obj.field(name); ok && !strings.Contains(name, ".") {
		return i, nil
	}
	return 0, &apiError{status: 400, code: "INVALID_FIELD", msg: fmt.Sprintf(
		"No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
		name, p.obj.name)}
}

// expr reads comparisons joined by one connective; a level that mixes AND and OR is
// refused, as Salesforce does.
func (p *parser) expr() (cond, error) {
	var parts []cond
	conn := ""
	for {
		c, err := p.operand()
		if err != nil {
			return nil, err
		}
		parts = append(parts, c)
		t := p.peek()
		if t.kind != 'i' || (!strings.EqualFold(t.text, "AND") && !strings.EqualFold(t.text, "OR")) {
			break
		}
		if conn != "" && !strings.EqualFold(conn, t.text) {
			return nil, malformed("unexpected token: %s (use parentheses to combine AND and OR)", t.text)
		}
		conn = t.text
		p.pos++
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	if strings.EqualFold(conn, "AND") {
		return allOf(parts), nil
	}
	return anyOf(parts), nil
}

func (p *parser) operand() (cond, error) {
	if p.peek().text == "(" {
		p.pos++
		c, err := p.expr()
		if err != nil {
			return nil, err
		}
		if p.next().text != ")" {
			return nil, malformed("expected )")
		}
		return c, nil
	}
	name := p.next()
	i, err := p.field(name.text)
	if err != nil {
		return nil, err
	}
	op := p.next()
	if op.kind != 'p' || !slices.Contains([]string{"=", "!=", "<>", "<", "<=", ">", ">="}, op.text) {
		return nil, malformed("unexpected token: %q", op.text)
	}
	fd := p.obj.fields[i]
	v, err := literal(fd, p.next())
	if err != nil {
		return nil, err
	}
	if (fd.typ == tBool || v == "") && op.text != "=" && op.text != "!=" && op.text != "<>" {
		return nil, &apiError{status: 400, code: "INVALID_QUERY_FILTER_OPERATOR", msg: fmt.Sprintf("invalid operator on field %s", fd.name)}
	}
	return compare{field: i, typ: fd.typ, op: op.text, value: v}, nil
}
