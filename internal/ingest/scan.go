package ingest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// scanner tokenises a UTF-8 XML document held in memory into encoding/xml token values, for
// the school files: encoding/xml reads about 20 MB/s, which makes a big lycée's files take
// half a second; this reads them several times faster. It is strict like encoding/xml with
// Strict set (well-formed tags, matched end tags, quoted attributes, only the predefined and
// character entities, legal characters) and is checked against it by FuzzScanner. The
// federating directory feed, read once per academy, stays with encoding/xml.
//
// It fills a token rather than returning encoding/xml's token interface, which would cost an
// allocation per token. Text may point into the source (token.stable) or a scratch buffer
// valid until the next call.
type scanner struct {
	src     []byte
	pos     int
	lines   int // newlines before linePos
	linePos int
	stack   []qname
	names   map[string]qname // interned element and attribute names
	buf     []byte
	pending string // the end of a self-closing element, when not ""
	err     error
}

func newScanner(src []byte) *scanner {
	return &scanner{src: src, names: map[string]qname{}}
}

// line is the 1-based line of the current position.
func (s *scanner) line() int {
	if s.pos > s.linePos {
		s.lines += bytes.Count(s.src[s.linePos:min(s.pos, len(s.src))], []byte{'\n'})
		s.linePos = s.pos
	}
	return s.lines + 1
}

func (s *scanner) fail(format string, args ...any) error {
	s.err = &xml.SyntaxError{Msg: fmt.Sprintf(format, args...), Line: s.line()}
	return s.err
}

func (s *scanner) eof() error {
	if len(s.stack) > 0 {
		return s.fail("unexpected EOF")
	}
	s.err = io.EOF
	return io.EOF
}

// scan reads the next token into t, or returns io.EOF at the end of a complete document.
func (s *scanner) scan(t *token) error {
	if s.err != nil {
		return s.err
	}
	*t = token{}
	if s.pending != "" {
		t.kind, t.name, s.pending = tkEnd, s.pending, ""
		return nil
	}
	if s.pos >= len(s.src) {
		return s.eof()
	}
	if s.src[s.pos] != '<' {
		return s.text(t)
	}
	rest := s.src[s.pos:]
	if len(rest) > 1 {
		switch rest[1] {
		case '/':
			return s.endTag(t)
		case '?':
			return s.procInst(t)
		case '!':
		default:
			return s.startTag(t)
		}
	}
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		return s.comment(t)
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		return s.cdata(t)
	case bytes.HasPrefix(rest, []byte("<!-")):
		return s.fail("invalid sequence <!- not part of <!--")
	case bytes.HasPrefix(rest, []byte("<![")):
		return s.fail("invalid <![ sequence")
	case bytes.HasPrefix(rest, []byte("<!")):
		return s.directive(t)
	}
	return s.startTag(t)
}

// text reads character data up to the next '<', decoding entities and line ends.
func (s *scanner) text(t *token) error {
	start := s.pos
	end := bytes.IndexByte(s.src[start:], '<')
	if end < 0 {
		end = len(s.src)
	} else {
		end += start
	}
	raw := s.src[start:end]
	out, err := s.decode(raw, false)
	if err != nil {
		return err
	}
	s.pos = end
	t.kind, t.text, t.stable = tkText, out, len(out) == len(raw) && (len(raw) == 0 || &out[0] == &raw[0])
	return nil
}

// decode checks the characters of raw and replaces entities and CR/CRLF, returning raw itself
// when nothing changes. inAttr refuses '<'.
func (s *scanner) decode(raw []byte, inAttr bool) ([]byte, error) {
	clean := true
	for i, c := range raw {
		switch {
		case c == '&' || c == '\r':
			clean = false
		case c < 0x20 && c != '\t' && c != '\n':
			s.pos += i
			return nil, s.fail("illegal character code U+%04X", c)
		case c == '<' && inAttr:
			s.pos += i
			return nil, s.fail("unescaped < inside quoted string")
		case c == '>' && !inAttr && i >= 2 && raw[i-1] == ']' && raw[i-2] == ']':
			s.pos += i
			return nil, s.fail("unescaped ]]> not in CDATA section")
		case c == 0xEF && i+2 < len(raw) && raw[i+1] == 0xBF && (raw[i+2] == 0xBE || raw[i+2] == 0xBF):
			s.pos += i
			return nil, s.fail("illegal character code U+FFF%c", "EF"[raw[i+2]-0xBE])
		}
	}
	if clean {
		return raw, nil
	}
	b := s.buf[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '\r':
			b = append(b, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		case '&':
			j := bytes.IndexByte(raw[i:], ';')
			if j < 0 {
				s.pos += i
				return nil, s.fail("invalid character entity %s (no semicolon)", truncate(raw[i:], 20))
			}
			name := raw[i+1 : i+j]
			r, ok := entity(name)
			if !ok {
				s.pos += i
				return nil, s.fail("invalid character entity &%s;", name)
			}
			b = utf8.AppendRune(b, r)
			i += j
		default:
			b = append(b, c)
		}
	}
	s.buf = b
	return b, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// entity resolves the predefined entities and character references.
func entity(name []byte) (rune, bool) {
	switch string(name) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	var n uint64
	var err error
	if name[1] == 'x' {
		n, err = strconv.ParseUint(string(name[2:]), 16, 32)
	} else {
		n, err = strconv.ParseUint(string(name[1:]), 10, 32)
	}
	if err != nil || n > unicode.MaxRune {
		return 0, false
	}
	r := rune(n)
	if !utf8.ValidRune(r) {
		r = utf8.RuneError // a surrogate, written as U+FFFD like encoding/xml does
	}
	return r, legalChar(r)
}

// legalChar is the XML 1.0 Char production.
func legalChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) skipSpace() {
	for s.pos < len(s.src) && isSpace(s.src[s.pos]) {
		s.pos++
	}
}

func nameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

func nameByte(c byte) bool {
	return nameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}

// qname is a name as written and its local part (after any prefix).
type qname struct{ full, local string }

// name reads a name and returns it interned.
func (s *scanner) name() (qname, bool) {
	start := s.pos
	if s.pos >= len(s.src) || !nameStart(s.src[s.pos]) {
		return qname{}, false
	}
	for s.pos < len(s.src) && nameByte(s.src[s.pos]) {
		s.pos++
	}
	b := s.src[start:s.pos]
	if n, ok := s.names[string(b)]; ok {
		return n, true
	}
	if !validName(b) || bytes.Count(b, []byte{':'}) > 1 {
		s.pos = start
		return qname{}, false
	}
	// Like encoding/xml, "p:local" has a prefix, ":x" and "x:" do not.
	n := qname{full: string(b)}
	n.local = n.full
	if i := bytes.IndexByte(b, ':'); i > 0 && i+1 < len(b) {
		n.local = n.full[i+1:]
	}
	s.names[n.full] = n
	return n, true
}

// validName checks the characters of a name beyond ASCII: a letter first, then letters,
// digits and marks.
func validName(b []byte) bool {
	for i, r := range string(b) {
		switch {
		case r < utf8.RuneSelf:
			if i == 0 && !nameStart(byte(r)) {
				return false
			}
		case r == utf8.RuneError:
			return false
		case i == 0 && !unicode.IsLetter(r):
			return false
		case !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) && r != 0xB7:
			return false
		}
	}
	return true
}

func (s *scanner) startTag(t *token) error {
	s.pos++ // '<'
	name, ok := s.name()
	if !ok {
		if s.pos >= len(s.src) {
			return s.fail("unexpected EOF")
		}
		return s.fail("expected element name after <")
	}
	t.kind, t.name = tkStart, name.local
	for {
		s.skipSpace()
		if s.pos >= len(s.src) {
			return s.fail("unexpected EOF")
		}
		switch c := s.src[s.pos]; {
		case c == '>':
			s.pos++
			s.stack = append(s.stack, name)
			return nil
		case c == '/':
			if s.pos+1 >= len(s.src) {
				return s.fail("unexpected EOF")
			}
			if s.src[s.pos+1] != '>' {
				return s.fail("expected /> in element")
			}
			s.pos += 2
			s.pending = name.local
			return nil
		}
		before := s.pos
		attr, ok := s.name()
		if !ok {
			return s.fail("expected attribute name in element")
		}
		if s.pos == before {
			return s.fail("expected attribute name in element")
		}
		s.skipSpace()
		if s.pos >= len(s.src) {
			return s.fail("unexpected EOF")
		}
		if s.src[s.pos] != '=' {
			return s.fail("attribute name without = in element")
		}
		s.pos++
		s.skipSpace()
		if s.pos >= len(s.src) {
			return s.fail("unexpected EOF")
		}
		q := s.src[s.pos]
		if q != '"' && q != '\'' {
			return s.fail("unquoted or missing attribute value in element")
		}
		s.pos++
		end := bytes.IndexByte(s.src[s.pos:], q)
		if end < 0 {
			s.pos = len(s.src)
			return s.fail("unexpected EOF")
		}
		raw := s.src[s.pos : s.pos+end]
		v, err := s.decode(raw, true)
		if err != nil {
			return err
		}
		s.pos += end + 1
		t.attrs = append(t.attrs, xml.Attr{Name: xml.Name{Local: attr.local}, Value: string(v)})
	}
}

func (s *scanner) endTag(t *token) error {
	s.pos += 2
	var name qname
	ok := false
	// The usual end tag closes the open element: compare with it before any lookup.
	if n := len(s.stack); n > 0 {
		top := s.stack[n-1]
		if end := s.pos + len(top.full); end < len(s.src) && string(s.src[s.pos:end]) == top.full && !nameByte(s.src[end]) {
			name, ok = top, true
			s.pos = end
		}
	}
	if !ok {
		name, ok = s.name()
	}
	if !ok {
		if s.pos >= len(s.src) {
			return s.fail("unexpected EOF")
		}
		return s.fail("expected element name after </")
	}
	s.skipSpace()
	if s.pos >= len(s.src) {
		return s.fail("unexpected EOF")
	}
	if s.src[s.pos] != '>' {
		return s.fail("invalid characters between </%s and >", name.full)
	}
	s.pos++
	if len(s.stack) == 0 {
		return s.fail("unexpected end element </%s>", name.full)
	}
	if top := s.stack[len(s.stack)-1]; top.full != name.full {
		return s.fail("element <%s> closed by </%s>", top.full, name.full)
	}
	s.stack = s.stack[:len(s.stack)-1]
	t.kind, t.name = tkEnd, name.local
	return nil
}

func (s *scanner) procInst(t *token) error {
	s.pos += 2
	start := s.pos
	if s.pos < len(s.src) && nameStart(s.src[s.pos]) {
		for s.pos < len(s.src) && nameByte(s.src[s.pos]) {
			s.pos++
		}
	}
	target := s.src[start:s.pos]
	if len(target) == 0 || !validName(target) {
		if s.pos >= len(s.src) {
			return s.fail("unexpected EOF")
		}
		return s.fail("expected target name after <?")
	}
	s.skipSpace()
	end := bytes.Index(s.src[s.pos:], []byte("?>"))
	if end < 0 {
		s.pos = len(s.src)
		return s.fail("unexpected EOF")
	}
	t.kind, t.name, t.text, t.stable = tkProcInst, string(target), s.src[s.pos:s.pos+end], true
	s.pos += end + 2
	return nil
}

func (s *scanner) comment(t *token) error {
	s.pos += 4
	end := bytes.Index(s.src[s.pos:], []byte("--"))
	if end < 0 {
		s.pos = len(s.src)
		return s.fail("unexpected EOF")
	}
	body := s.src[s.pos : s.pos+end]
	s.pos += end + 2
	if s.pos >= len(s.src) {
		return s.fail("unexpected EOF")
	}
	if s.src[s.pos] != '>' {
		return s.fail(`invalid sequence "--" not allowed in comments`)
	}
	s.pos++
	t.kind, t.text, t.stable = tkComment, body, true
	return nil
}

func (s *scanner) cdata(t *token) error {
	s.pos += len("<![CDATA[")
	end := bytes.Index(s.src[s.pos:], []byte("]]>"))
	if end < 0 {
		s.pos = len(s.src)
		return s.fail("unexpected EOF in CDATA section")
	}
	raw := s.src[s.pos : s.pos+end]
	out, err := s.decodeCDATA(raw)
	if err != nil {
		return err
	}
	s.pos += end + 3
	t.kind, t.text = tkText, out
	return nil
}

// decodeCDATA checks characters and folds line ends; CDATA has no entities.
func (s *scanner) decodeCDATA(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '&') < 0 {
		return s.decode(raw, false)
	}
	// Entities are literal in CDATA: hide them from decode.
	b := s.buf[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			s.pos += i
			return nil, s.fail("illegal character code U+%04X", c)
		}
		if c == '\r' {
			b = append(b, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			continue
		}
		b = append(b, c)
	}
	s.buf = b
	return b, nil
}

// directive reads <!...>, minding quotes and nested <...>, and replacing comments by a space,
// as encoding/xml does.
func (s *scanner) directive(t *token) error {
	s.pos += 2
	start := s.pos
	if s.pos >= len(s.src) {
		return s.fail("unexpected EOF")
	}
	s.pos++ // encoding/xml takes the first byte as is, even '>'

	var out []byte // set once a comment is cut out
	depth := 0
	var quote byte
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case bytes.HasPrefix(s.src[s.pos:], []byte("<!--")):
			end := bytes.Index(s.src[s.pos+4:], []byte("-->"))
			if end < 0 {
				s.pos = len(s.src)
				return s.fail("unexpected EOF")
			}
			out = append(append(out, s.src[start:s.pos]...), ' ')
			s.pos += 4 + end + 3
			start = s.pos
			continue
		case c == '<':
			depth++
		case c == '>':
			if depth == 0 {
				d := s.src[start:s.pos]
				if out != nil {
					d = append(out, d...)
				}
				s.pos++
				t.kind, t.text = tkDirective, d
				return nil
			}
			depth--
		}
		s.pos++
	}
	return s.fail("unexpected EOF")
}
