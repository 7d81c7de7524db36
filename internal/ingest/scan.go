package ingest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// scanner tokenises a UTF-8 XML document into encoding/xml token values: encoding/xml reads
// about 20 MB/s, which makes a big lycée's files take half a second and an academy's feed
// minutes; this reads them several times faster. It is strict like encoding/xml with Strict
// set (well-formed tags, matched end tags, quoted attributes, only the predefined and
// character entities, legal characters) and is checked against it by FuzzScanner and
// FuzzStreamScanner.
//
// A school file is held in memory whole (newScanner). The federating directory feed, which
// covers an academy, is streamed (newStreamScanner): src is then a window on the reader,
// refilled as tokens are read, and no bigger than its largest token.
//
// It fills a token rather than returning encoding/xml's token interface, which would cost an
// allocation per token. Text may point into the source (token.stable, in memory only) or a
// scratch buffer valid until the next call.
type scanner struct {
	src     []byte
	pos     int
	lines   int // newlines before linePos
	linePos int
	stack   []qname
	names   map[string]qname // interned element and attribute names
	recent  [64]qname        // a cache in front of names: a map lookup per name is a cost
	values  map[string]string
	attrs   []xml.Attr // slab the attributes of start tags are taken from
	buf     []byte
	pending string // the end of a self-closing element, when not ""
	err     error
	// skipBlank drops white space between tags instead of returning it as text: the readers
	// never use it (exports hold no mixed content), and it is a third of the tokens.
	skipBlank bool

	// Streaming: src is win[:valid], the checked UTF-8 part of what was read from r.
	r     io.Reader // nil: the whole document is in src
	win   []byte
	n     int  // bytes read into win
	valid int  // of those, the complete UTF-8 ones (an incomplete sequence waits for more)
	eofR  bool // r is exhausted
	short bool // the last failure was running out of window, not a fault in the document
	// lowWater: fewer bytes than this left in the window, and it is refilled before a token.
	lowWater int
}

// Window sizes of a streamed document: the usual window, how little of it is left before it
// is refilled (so that a token rarely straddles its end), and the largest token accepted.
const (
	streamWindow   = 256 << 10
	streamLowWater = 4 << 10
	maxStreamToken = 16 << 20
)

func newScanner(src []byte) *scanner {
	return &scanner{src: src, names: map[string]qname{}, values: map[string]string{}}
}

// newStreamScanner reads UTF-8 from r, a window at a time.
func newStreamScanner(r io.Reader) *scanner {
	return newStreamScannerSize(r, streamWindow)
}

// newStreamScannerSize starts with a window of size bytes (tests use tiny ones).
func newStreamScannerSize(r io.Reader, size int) *scanner {
	s := newScanner(nil)
	s.r, s.win = r, make([]byte, size)
	s.lowWater = min(streamLowWater, size/2)
	if err := s.fill(size); err != nil && s.err == nil {
		s.err = err
	}
	return s
}

// fill drops what was read before s.pos and reads from r until want bytes follow s.pos, the
// window is full, or r is exhausted; the window grows when want needs it. New bytes are
// checked as UTF-8 (encoding/xml's "invalid UTF-8", at their line) as they come.
func (s *scanner) fill(want int) error {
	s.line() // count the newlines of what is dropped
	copy(s.win, s.win[s.pos:s.n])
	s.n -= s.pos
	s.valid -= s.pos
	s.linePos -= s.pos
	s.pos = 0
	if want > len(s.win) {
		if want > maxStreamToken {
			return &apperr.InputError{Line: s.line(), Msg: fmt.Sprintf("une balise ou un texte XML de plus de %d Mio d'un seul tenant", maxStreamToken>>20)}
		}
		w := make([]byte, min(max(2*len(s.win), want), maxStreamToken))
		copy(w, s.win[:s.n])
		s.win = w
	}
	for empty := 0; !s.eofR && s.n < want && s.n < len(s.win); {
		k, err := s.r.Read(s.win[s.n:])
		s.n += k
		switch {
		case errors.Is(err, io.EOF):
			s.eofR = true
		case err != nil:
			return err
		case k == 0:
			if empty++; empty == 100 {
				return io.ErrNoProgress
			}
		}
	}
	end := s.n
	if !s.eofR {
		// Leave an incomplete trailing sequence for the next read.
		for i := 1; i <= utf8.UTFMax-1 && end-i >= s.valid; i++ {
			if c := s.win[end-i]; c >= 0xC0 {
				if !utf8.FullRune(s.win[end-i : end]) {
					end -= i
				}
				break
			} else if c < 0x80 {
				break
			}
		}
	}
	if !utf8.Valid(s.win[s.valid:end]) {
		bad := s.valid
		for bad < end {
			r, size := utf8.DecodeRune(s.win[bad:end])
			if r == utf8.RuneError && size == 1 {
				break
			}
			bad += size
		}
		s.valid, s.src = bad, s.win[:bad] // what comes before still says what the file is
		s.err = &xml.SyntaxError{Msg: "invalid UTF-8", Line: s.lines + bytes.Count(s.win[:bad], []byte{'\n'}) + 1}
		return s.err
	}
	s.valid = end
	s.src = s.win[:s.valid]
	return nil
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

// unexpectedEOF fails for want of input: at the end of a streamed window, the scanner reads
// on and tries again.
func (s *scanner) unexpectedEOF(msg string) error {
	s.short = true
	return s.fail("%s", msg)
}

func (s *scanner) eof() error {
	if len(s.stack) > 0 {
		return s.unexpectedEOF("unexpected EOF")
	}
	if s.r != nil && !s.eofR {
		s.short = true
		return s.fail("unexpected EOF")
	}
	s.err = io.EOF
	return io.EOF
}

// scan reads the next token into t, or returns io.EOF at the end of a complete document.
func (s *scanner) scan(t *token) error {
	if s.r == nil || s.err != nil {
		return s.scanToken(t)
	}
	for {
		if !s.eofR && len(s.src)-s.pos < s.lowWater {
			if err := s.fill(len(s.win)); err != nil {
				return err
			}
		}
		pos, lines, linePos := s.pos, s.lines, s.linePos
		err := s.scanToken(t)
		if err == nil || !s.short || s.eofR {
			return err
		}
		// The token goes on past the window: read on and scan it again.
		s.pos, s.lines, s.linePos, s.err, s.short = pos, lines, linePos, nil, false
		if err := s.fill(2 * (len(s.src) - s.pos + s.lowWater)); err != nil {
			return err
		}
	}
}

// scanToken reads the next token of src.
func (s *scanner) scanToken(t *token) error {
	if s.err != nil {
		return s.err
	}
	*t = token{}
	if s.pending != "" {
		t.kind, t.name, s.pending = tkEnd, s.pending, ""
		return nil
	}
	if s.skipBlank {
		i := s.pos
		for i < len(s.src) && isSpace(s.src[i]) {
			i++
		}
		if i < len(s.src) && s.src[i] == '<' || i == len(s.src) && (s.r == nil || s.eofR) {
			s.pos = i
		}
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
	if s.r != nil && !s.eofR && len(rest) < len("<![CDATA[") {
		return s.unexpectedEOF("unexpected EOF") // too little to tell the kind of markup
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
		if s.r != nil && !s.eofR {
			return s.unexpectedEOF("unexpected EOF")
		}
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
	t.kind, t.text = tkText, out
	t.stable = s.r == nil && len(out) == len(raw) && (len(raw) == 0 || &out[0] == &raw[0])
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
	h := (len(b)*31 + int(b[0])*7 + int(b[len(b)-1])) & (len(s.recent) - 1)
	if n := s.recent[h]; n.full == string(b) {
		return n, true
	}
	if n, ok := s.names[string(b)]; ok {
		s.recent[h] = n
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
			return s.unexpectedEOF("unexpected EOF")
		}
		return s.fail("expected element name after <")
	}
	t.kind, t.name = tkStart, name.local
	for {
		s.skipSpace()
		if s.pos >= len(s.src) {
			return s.unexpectedEOF("unexpected EOF")
		}
		switch c := s.src[s.pos]; {
		case c == '>':
			s.pos++
			s.stack = append(s.stack, name)
			s.keepAttrs(t)
			return nil
		case c == '/':
			if s.pos+1 >= len(s.src) {
				return s.unexpectedEOF("unexpected EOF")
			}
			if s.src[s.pos+1] != '>' {
				return s.fail("expected /> in element")
			}
			s.pos += 2
			s.pending = name.local
			s.keepAttrs(t)
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
			return s.unexpectedEOF("unexpected EOF")
		}
		if s.src[s.pos] != '=' {
			return s.fail("attribute name without = in element")
		}
		s.pos++
		s.skipSpace()
		if s.pos >= len(s.src) {
			return s.unexpectedEOF("unexpected EOF")
		}
		q := s.src[s.pos]
		if q != '"' && q != '\'' {
			return s.fail("unquoted or missing attribute value in element")
		}
		s.pos++
		end := bytes.IndexByte(s.src[s.pos:], q)
		if end < 0 {
			s.pos = len(s.src)
			return s.unexpectedEOF("unexpected EOF")
		}
		raw := s.src[s.pos : s.pos+end]
		v, err := s.decode(raw, true)
		if err != nil {
			return err
		}
		s.pos += end + 1
		if t.attrs == nil {
			if len(s.attrs) < 8 {
				s.attrs = make([]xml.Attr, 256)
			}
			t.attrs = s.attrs[:0:8]
		}
		t.attrs = append(t.attrs, xml.Attr{Name: xml.Name{Local: attr.local}, Value: s.value(v)})
	}
}

// keepAttrs takes the attributes of a start tag out of the slab for good (a captured record
// keeps them); an element has at most a few.
func (s *scanner) keepAttrs(t *token) {
	if n := len(t.attrs); n > 0 && cap(t.attrs) == 8 && len(s.attrs) >= 8 && &s.attrs[0] == &t.attrs[0] {
		t.attrs = t.attrs[:n:n]
		s.attrs = s.attrs[n:]
	}
}

// value returns an attribute value as a string, short ones of a feed shared: a feed repeats a
// few dozen attribute names and operations millions of times.
func (s *scanner) value(v []byte) string {
	if s.r == nil || len(v) > 32 {
		return string(v) // a school file's attributes are mostly ids, each seen once
	}
	if x, ok := s.values[string(v)]; ok {
		return x
	}
	x := string(v)
	if len(s.values) < 4096 {
		s.values[x] = x
	}
	return x
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
			return s.unexpectedEOF("unexpected EOF")
		}
		return s.fail("expected element name after </")
	}
	s.skipSpace()
	if s.pos >= len(s.src) {
		return s.unexpectedEOF("unexpected EOF")
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
			return s.unexpectedEOF("unexpected EOF")
		}
		return s.fail("expected target name after <?")
	}
	s.skipSpace()
	end := bytes.Index(s.src[s.pos:], []byte("?>"))
	if end < 0 {
		s.pos = len(s.src)
		return s.unexpectedEOF("unexpected EOF")
	}
	t.kind, t.name, t.text, t.stable = tkProcInst, string(target), s.src[s.pos:s.pos+end], s.r == nil
	s.pos += end + 2
	return nil
}

func (s *scanner) comment(t *token) error {
	s.pos += 4
	end := bytes.Index(s.src[s.pos:], []byte("--"))
	if end < 0 {
		s.pos = len(s.src)
		return s.unexpectedEOF("unexpected EOF")
	}
	body := s.src[s.pos : s.pos+end]
	s.pos += end + 2
	if s.pos >= len(s.src) {
		return s.unexpectedEOF("unexpected EOF")
	}
	if s.src[s.pos] != '>' {
		return s.fail(`invalid sequence "--" not allowed in comments`)
	}
	s.pos++
	t.kind, t.text, t.stable = tkComment, body, s.r == nil
	return nil
}

func (s *scanner) cdata(t *token) error {
	s.pos += len("<![CDATA[")
	end := bytes.Index(s.src[s.pos:], []byte("]]>"))
	if end < 0 {
		s.pos = len(s.src)
		return s.unexpectedEOF("unexpected EOF in CDATA section")
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
		return s.unexpectedEOF("unexpected EOF")
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
				return s.unexpectedEOF("unexpected EOF")
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
	return s.unexpectedEOF("unexpected EOF")
}
