package policy

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// maxJSONDepth bounds nesting so that a hostile document cannot exhaust the stack.
const maxJSONDepth = 256

// parseJSONValue decodes one JSON document straight into an OPA value. OPA's own path
// (encoding/json into any, then ast.InterfaceToValue) spends most of its time building the
// intermediate maps; measured on a typical snapshot it is several times slower than this.
// Duplicate keys keep the last value, as encoding/json does; trailing data is an error.
func parseJSONValue(data []byte) (ast.Value, error) {
	p := jsonParser{data: data, keys: make(map[string]*ast.Term, 64)}
	p.skipSpace()
	t, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, p.errorf("unexpected data after the JSON value")
	}
	return t.Value, nil
}

type jsonParser struct {
	data []byte
	pos  int
	// keys shares one term per distinct object key: a snapshot repeats a few dozen keys
	// thousands of times. Terms are never mutated once built, so sharing is safe.
	keys map[string]*ast.Term
	buf  []byte
	// items and elems are stacks of scratch space shared by nested objects and arrays: a
	// container copies its part out once complete, so no slice grows per container.
	items [][2]*ast.Term
	elems []*ast.Term
	// terms and lists are slabs the parser hands out one term or one array's elements at a
	// time: a few allocations instead of one per value. A value keeps its slab alive, and a
	// document's values live and die together.
	terms []ast.Term
	lists []*ast.Term
}

// slab is the number of terms, or of term pointers, allocated at once: small enough that the
// unused end of the last slab wastes little, large enough to make allocations rare.
const slab = 256

// term returns a new term holding v, from the slab.
func (p *jsonParser) term(v ast.Value) *ast.Term {
	if len(p.terms) == 0 {
		p.terms = make([]ast.Term, slab)
	}
	t := &p.terms[0]
	p.terms = p.terms[1:]
	t.Value = v
	return t
}

// list returns a slice of n term pointers from the slab, capped so that an append by its
// owner cannot reach the next list.
func (p *jsonParser) list(n int) []*ast.Term {
	if n > len(p.lists) {
		if n > slab/4 {
			return make([]*ast.Term, n)
		}
		p.lists = make([]*ast.Term, slab)
	}
	l := p.lists[:n:n]
	p.lists = p.lists[n:]
	return l
}

var errUnexpectedEnd = errors.New("unexpected end of JSON input")

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (*ast.Term, error) {
	if depth > maxJSONDepth {
		return nil, p.errorf("nested more than %d levels", maxJSONDepth)
	}
	if p.pos >= len(p.data) {
		return nil, errUnexpectedEnd
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.strTerm()
	case c == 't':
		return p.literal("true", ast.InternedTerm(true))
	case c == 'f':
		return p.literal("false", ast.InternedTerm(false))
	case c == 'n':
		return p.literal("null", ast.InternedNullTerm)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return nil, p.errorf("unexpected character %q", c)
	}
}

func (p *jsonParser) literal(word string, t *ast.Term) (*ast.Term, error) {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return nil, p.errorf("invalid literal")
	}
	p.pos += len(word)
	return t, nil
}

func (p *jsonParser) object(depth int) (*ast.Term, error) {
	p.pos++ // {
	base := len(p.items)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		// OPA's own shared empty values: values are never modified once built.
		return ast.InternedEmptyObject, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, errUnexpectedEnd
		}
		if p.data[p.pos] != '"' {
			return nil, p.errorf("object key must be a string")
		}
		key, err := p.strTerm()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("expected ':' after object key")
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.items = append(p.items, [2]*ast.Term{key, v})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, errUnexpectedEnd
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			obj := newObject(p.items[base:])
			clear(p.items[base:])
			p.items = p.items[:base]
			return p.term(obj), nil
		default:
			return nil, p.errorf("expected ',' or '}' in object")
		}
	}
}

// newObject builds an object from items (which it does not keep); ast.NewObject assumes
// distinct keys, so duplicates (rare) go through Insert, which replaces.
func newObject(items [][2]*ast.Term) ast.Object {
	if len(items) <= 1 {
		return ast.NewObject(items...)
	}
	dup := false
	if len(items) <= 32 {
		// Objects of a snapshot are small: comparing pairs beats hashing into a map.
		for i := 1; i < len(items) && !dup; i++ {
			ki := items[i][0].Value.(ast.String)
			for j := 0; j < i; j++ {
				if items[j][0].Value.(ast.String) == ki {
					dup = true
					break
				}
			}
		}
	} else {
		seen := make(map[ast.String]struct{}, len(items))
		for _, it := range items {
			k := it[0].Value.(ast.String)
			if _, ok := seen[k]; ok {
				dup = true
				break
			}
			seen[k] = struct{}{}
		}
	}
	if !dup {
		return ast.NewObject(items...)
	}
	obj := ast.NewObjectWithCapacity(len(items))
	for _, it := range items {
		obj.Insert(it[0], it[1])
	}
	return obj
}

func (p *jsonParser) array(depth int) (*ast.Term, error) {
	p.pos++ // [
	base := len(p.elems)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return ast.InternedEmptyArray, nil
	}
	for {
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.elems = append(p.elems, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, errUnexpectedEnd
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			elems := p.list(len(p.elems) - base)
			copy(elems, p.elems[base:])
			clear(p.elems[base:])
			p.elems = p.elems[:base]
			return p.term(ast.NewArray(elems...)), nil
		default:
			return nil, p.errorf("expected ',' or ']' in array")
		}
	}
}

// strTerm reads a string; short strings (keys, codes, sources) share one term per distinct
// value. The lookup with string(bytes) does not allocate.
func (p *jsonParser) strTerm() (*ast.Term, error) {
	b, err := p.strBytes()
	if err != nil {
		return nil, err
	}
	if len(b) > 24 {
		return p.term(ast.String(b)), nil
	}
	if t, ok := p.keys[string(b)]; ok {
		return t, nil
	}
	t := p.term(ast.String(b))
	if len(p.keys) < 4096 {
		p.keys[string(b)] = t
	}
	return t, nil
}

// strBytes reads a string starting at the opening quote; the result is valid until the next
// call.
func (p *jsonParser) strBytes() ([]byte, error) {
	p.pos++ // "
	start := p.pos
	// Fast path: no escapes, valid UTF-8, no control characters.
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := p.data[start:p.pos]
			p.pos++
			if !utf8.Valid(s) {
				return nil, p.errorf("invalid UTF-8 in string")
			}
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.pos++
	}
	p.buf = append(p.buf[:0], p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			if !utf8.Valid(p.buf) {
				return nil, p.errorf("invalid UTF-8 in string")
			}
			return p.buf, nil
		case c < 0x20:
			return nil, p.errorf("control character in string")
		case c != '\\':
			p.buf = append(p.buf, c)
			p.pos++
			continue
		}
		p.pos++ // backslash
		if p.pos >= len(p.data) {
			return nil, errUnexpectedEnd
		}
		e := p.data[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			p.buf = append(p.buf, e)
		case 'b':
			p.buf = append(p.buf, '\b')
		case 'f':
			p.buf = append(p.buf, '\f')
		case 'n':
			p.buf = append(p.buf, '\n')
		case 'r':
			p.buf = append(p.buf, '\r')
		case 't':
			p.buf = append(p.buf, '\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return nil, err
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
					save := p.pos
					p.pos += 2
					lo, err := p.hex4()
					if err != nil {
						return nil, err
					}
					if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
						r2 = d
					} else {
						p.pos = save
					}
				}
				r = r2
			}
			p.buf = utf8.AppendRune(p.buf, r)
		default:
			return nil, p.errorf("invalid escape \\%c", e)
		}
	}
	return nil, errUnexpectedEnd
}

func (p *jsonParser) hex4() (rune, error) {
	if len(p.data)-p.pos < 4 {
		return 0, errUnexpectedEnd
	}
	var r rune
	for _, c := range p.data[p.pos : p.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, p.errorf("invalid \\u escape")
		}
	}
	p.pos += 4
	return r, nil
}

// number reads a JSON number, checking its grammar; OPA keeps numbers as their text.
func (p *jsonParser) number() (*ast.Term, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.data[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return nil, p.errorf("invalid number")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.errorf("invalid number")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.errorf("invalid number")
		}
	}
	s := string(p.data[start:p.pos])
	if t := ast.InternedIntNumberTermFromString(s); t != nil {
		return t, nil
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		// Out of float range: OPA would reject it too.
		return nil, p.errorf("number %s out of range", s)
	}
	return p.term(ast.Number(s)), nil
}
