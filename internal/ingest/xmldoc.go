package ingest

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// maxDepth caps element nesting: exports nest about 6 levels, a hostile file millions.
const maxDepth = 256

// doc streams one XML document with encoding/xml, honouring the declared encoding, refusing
// DTD entity declarations, and turning every failure into an *apperr.InputError.
type doc struct {
	file     string // name for messages
	br       *bufio.Reader
	utf16    bool
	dec      *xml.Decoder
	encoding string // declared encoding, lower case; "" when none
	root     string // local name of the root element, once seen
	rootAttr []xml.Attr
	depth    int
	maxElems int
}

func newDoc(file string, r io.Reader, lim Limits) *doc {
	d := &doc{file: file, maxElems: lim.MaxRecordElements}
	br := bufio.NewReaderSize(r, 64<<10)
	d.br = br
	var src io.Reader = br
	utf16 := false
	if b, _ := br.Peek(3); bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3) // encoding/xml does not skip a UTF-8 byte order mark
	} else if bytes.HasPrefix(b, []byte("\xff\xfe")) || bytes.HasPrefix(b, []byte("\xfe\xff")) {
		src = transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
		utf16 = true
	}
	d.utf16 = utf16
	d.dec = xml.NewDecoder(src)
	d.dec.Strict = true
	d.dec.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		d.encoding = strings.ToLower(strings.TrimSpace(label))
		if utf16 && strings.HasPrefix(d.encoding, "utf-16") {
			return input, nil // already transcoded from the byte order mark
		}
		enc, err := lookupEncoding(d.encoding)
		if err != nil {
			return nil, err
		}
		if enc == unicode.UTF8 {
			// A spelling such as "UTF8": let encoding/xml validate the bytes rather than a
			// decoder that would silently replace invalid ones.
			d.encoding = "utf-8"
			return input, nil
		}
		return enc.NewDecoder().Reader(input), nil
	}
	return d
}

// lookupEncoding finds a declared encoding in the IANA registry, then under the WHATWG labels.
func lookupEncoding(label string) (encoding.Encoding, error) {
	if enc, err := ianaindex.IANA.Encoding(label); err == nil && enc != nil {
		return enc, nil
	}
	if enc, err := htmlindex.Get(label); err == nil && enc != nil {
		return enc, nil
	}
	return nil, &apperr.InputError{Msg: fmt.Sprintf("unsupported encoding %q: save the file as UTF-8 or ISO-8859-15", label)}
}

func (d *doc) line() int {
	l, _ := d.dec.InputPos()
	return l
}

// fail turns any decoding error into an *apperr.InputError naming the file and line.
func (d *doc) fail(err error) error {
	if ie, ok := errors.AsType[*apperr.InputError](err); ok {
		if ie.File == "" {
			ie.File = d.file
		}
		if ie.Line == 0 && d.root != "" {
			ie.Line = d.line()
		}
		return ie
	}
	if se, ok := errors.AsType[*xml.SyntaxError](err); ok {
		msg := se.Msg
		switch {
		case msg == "unexpected EOF":
			msg = "the file is truncated (unexpected end of file)"
		case msg == "invalid UTF-8":
			if d.encoding == "" || d.encoding == "utf-8" || d.encoding == "utf8" {
				msg = `invalid UTF-8: the file declares UTF-8 (or no encoding) but is not; if it was saved as Latin-9, declare encoding="ISO-8859-15" in its first line`
			}
		case strings.HasPrefix(msg, "invalid character entity"):
			msg += " (undeclared entity: only &lt; &gt; &amp; &apos; &quot; and character references are allowed)"
		}
		return &apperr.InputError{File: d.file, Line: se.Line, Msg: "malformed XML: " + msg}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &apperr.InputError{File: d.file, Line: d.line(), Msg: "the file is truncated (unexpected end of file)"}
	}
	return &apperr.InputError{File: d.file, Line: d.line(), Msg: "unreadable content", Err: err}
}

// token returns the next token, checking DTDs and nesting on the way.
func (d *doc) token() (xml.Token, error) {
	tok, err := d.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			if d.root == "" {
				return nil, &apperr.InputError{File: d.file, Msg: "empty file: no XML element found"}
			}
			return nil, io.EOF
		}
		return nil, d.fail(err)
	}
	switch t := tok.(type) {
	case xml.StartElement:
		d.depth++
		if d.depth > maxDepth {
			return nil, &apperr.InputError{File: d.file, Line: d.line(), Field: t.Name.Local, Msg: fmt.Sprintf("elements nested more than %d levels deep", maxDepth)}
		}
	case xml.EndElement:
		d.depth--
	case xml.Directive:
		if err := d.checkDirective(t); err != nil {
			return nil, err
		}
	case xml.CharData:
		if d.root == "" && len(bytes.TrimSpace(t)) > 0 {
			return nil, &apperr.InputError{File: d.file, Line: d.line(), Msg: "not an XML file: " + describeText(t)}
		}
	}
	return tok, nil
}

// checkDirective tolerates an external DTD reference (real STS and AAF files carry one; it is
// never fetched) and refuses an internal subset declaring entities: nested entities are the
// "billion laughs" expansion attack, and no real export needs them.
func (d *doc) checkDirective(t xml.Directive) error {
	s := bytes.TrimSpace(t)
	if !bytes.HasPrefix(s, []byte("DOCTYPE")) {
		return nil
	}
	if i := bytes.IndexByte(s, '['); i >= 0 && bytes.Contains(s[i:], []byte("<!ENTITY")) {
		return &apperr.InputError{File: d.file, Line: d.line(), Field: "DOCTYPE",
			Msg: "the document type declares entities (entity expansion is refused): remove the internal DTD subset"}
	}
	return nil
}

// start reads up to the root element and returns its local name.
func (d *doc) start() (string, error) {
	if !d.utf16 {
		// Say what a non-XML file is before the XML decoder fails on its bytes.
		b, _ := d.br.Peek(512)
		t := bytes.TrimLeft(b, " \t\r\n")
		if len(b) == 0 {
			return "", &apperr.InputError{File: d.file, Msg: "empty file"}
		}
		if len(t) == 0 && len(b) < 512 {
			return "", &apperr.InputError{File: d.file, Msg: "empty file: only white space"}
		}
		if len(t) > 0 && t[0] != '<' {
			return "", &apperr.InputError{File: d.file, Line: 1, Msg: "not an XML file: " + describeText(t)}
		}
	}
	for {
		tok, err := d.token()
		if err != nil {
			return "", err
		}
		if se, ok := tok.(xml.StartElement); ok {
			d.root = se.Name.Local
			d.rootAttr = se.Attr
			return d.root, nil
		}
	}
}

// node is a small element tree: one record (a pupil, a teacher, a division) at a time, so
// that memory stays proportional to a record, not to the file.
type node struct {
	name  string
	attrs []xml.Attr
	text  string
	kids  []*node
	line  int
}

// attr returns the value of an attribute, trimmed; "" when absent.
func (n *node) attr(name string) string {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// child returns the first child with that name, or nil.
func (n *node) child(name string) *node {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// all returns the children with that name.
func (n *node) all(name string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// get returns the text of the first child with that name, trimmed; "" when absent or empty.
func (n *node) get(name string) string {
	if c := n.child(name); c != nil {
		return c.text
	}
	return ""
}

// path follows child names: n.path("A", "B") is every B under every A.
func (n *node) path(names ...string) []*node {
	cur := []*node{n}
	for _, name := range names {
		var next []*node
		for _, c := range cur {
			next = append(next, c.all(name)...)
		}
		cur = next
	}
	return cur
}

// walk visits every descendant, depth first.
func (n *node) walk(fn func(*node)) {
	for _, k := range n.kids {
		fn(k)
		k.walk(fn)
	}
}

// capture reads the subtree of start into a node.
func (d *doc) capture(start xml.StartElement) (*node, error) {
	root := &node{name: start.Name.Local, attrs: start.Attr, line: d.line()}
	stack := []*node{root}
	var texts [][]byte
	texts = append(texts, nil)
	count := 1
	for {
		tok, err := d.token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, d.fail(io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > d.maxElems {
				return nil, &apperr.InputError{File: d.file, Line: d.line(), Field: root.name,
					Msg: fmt.Sprintf("one %s holds more than %d elements", root.name, d.maxElems)}
			}
			n := &node{name: t.Name.Local, attrs: t.Attr, line: d.line()}
			top := stack[len(stack)-1]
			top.kids = append(top.kids, n)
			stack = append(stack, n)
			texts = append(texts, nil)
		case xml.CharData:
			i := len(texts) - 1
			texts[i] = append(texts[i], t...)
		case xml.EndElement:
			i := len(stack) - 1
			stack[i].text = string(bytes.TrimSpace(texts[i]))
			stack, texts = stack[:i], texts[:i]
			if i == 0 {
				return root, nil
			}
		}
	}
}

// each streams the rest of the document. For every start element, want(parent, name) says
// whether to capture its subtree and hand it to fn; other elements are descended into.
func (d *doc) each(want func(parent, name string) bool, fn func(*node) error) error {
	names := []string{d.root}
	for {
		tok, err := d.token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(names) == 0 {
				return &apperr.InputError{File: d.file, Line: d.line(), Field: t.Name.Local, Msg: "malformed XML: a second root element after the end of the document"}
			}
			if want(names[len(names)-1], t.Name.Local) {
				n, err := d.capture(t)
				if err != nil {
					return err
				}
				if err := fn(n); err != nil {
					return err
				}
				continue
			}
			names = append(names, t.Name.Local)
		case xml.EndElement:
			if len(names) > 0 {
				names = names[:len(names)-1]
			}
		}
	}
}

// describeText says what a non-XML file looks like.
func describeText(b []byte) string {
	s := bytes.TrimSpace(b)
	switch {
	case bytes.HasPrefix(s, []byte("%PDF")):
		return "this is a PDF document, not an export"
	case bytes.IndexByte(s, ';') >= 0 && bytes.IndexByte(s, '\n') > 0, bytes.Count(s, []byte(",")) > 2:
		return "this looks like a CSV or text file, not an XML export"
	}
	return "the content does not start with an XML element"
}
