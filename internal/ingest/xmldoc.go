package ingest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/fact"
)

// maxDepth caps element nesting: exports nest about 6 levels, a hostile file millions.
const maxDepth = 256

// doc reads one XML document — streamed with encoding/xml (feed files, of any size) or held in
// memory and tokenised by the scanner (school files, capped at Limits.MaxFileSize) —
// honouring the declared encoding, refusing DTD entity declarations, capping nesting, and
// turning every failure into an *apperr.InputError naming the file and line.
type doc struct {
	file     string   // name for messages
	sc       *scanner // the in-memory scanner (school files); nil: encoding/xml
	br       *bufio.Reader
	utf16    bool
	dec      *xml.Decoder
	encoding string // declared encoding, lower case; "" when none
	bom      bool   // a byte order mark decided the encoding, whatever the prolog declares
	// overridden is the single-byte encoding declared by a stream read as UTF-8 because its
	// first non-ASCII bytes were: invalid UTF-8 further on then means mixed encodings.
	overridden string
	warnings   []string
	root       string // local name of the root element, once seen
	rootAttr   []xml.Attr
	depth      int
	maxElems   int
	nodes      arena
	stack      []open
	pooled     []byte // the buffer release hands back (school files)
}

// open is an element being captured; owned says whether its text is a copy (pieces joined)
// or a slice of the source.
type open struct {
	n     *node
	owned bool
}

func newDoc(file string, r io.Reader, lim Limits) *doc {
	d := &doc{file: file, maxElems: lim.MaxRecordElements}
	br := bufio.NewReaderSize(r, 64<<10)
	d.br = br
	var src io.Reader = br
	utf16 := false
	if b, _ := br.Peek(3); bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3) // encoding/xml does not skip a UTF-8 byte order mark
		d.bom = true
	} else if bytes.HasPrefix(b, []byte("\xff\xfe")) || bytes.HasPrefix(b, []byte("\xfe\xff")) {
		src = transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
		utf16 = true
		d.bom = true
	}
	d.utf16 = utf16
	d.dec = xml.NewDecoder(src)
	d.dec.Strict = true
	d.dec.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		d.encoding = strings.ToLower(strings.TrimSpace(label))
		if d.bom {
			return input, nil // the byte order mark decides (XML 1.0 Appendix F), already applied
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

// newStreamDoc streams a document of any size (a feed file) through the scanner, a window at
// a time, converting it to UTF-8 as sniff decides from the first window. When that window is
// all ASCII, where UTF-8 and a single-byte encoding read alike, the first byte that is not
// ASCII decides instead (guessReader), so that a stream reads as the whole file would.
func newStreamDoc(file string, r io.Reader, lim Limits) *doc {
	d := &doc{file: file, maxElems: lim.MaxRecordElements}
	br := bufio.NewReaderSize(r, sniffWindow)
	d.br = br
	var src io.Reader = br
	head, err := br.Peek(sniffWindow)
	s := d.sniff(head, err != nil)
	br.Discard(s.skip)
	switch {
	case s.err != nil:
		err = s.err
	case d.utf16:
		src, err = transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), nil
	case s.guess != nil:
		src, err = &guessReader{d: d, br: br, alt: s.guess, label: d.encoding}, nil
	default:
		src, err = d.decoder(s.enc, br), nil
	}
	if err != nil {
		d.sc = newScanner(head)
		d.sc.err = err
		return d
	}
	d.sc = newStreamScanner(src)
	d.sc.skipBlank = true
	return d
}

// sniffWindow is how much of a streamed document sniff sees.
const sniffWindow = 64 << 10

// decoder returns r read as UTF-8 from enc; nil enc: r is UTF-8 already.
func (d *doc) decoder(enc encoding.Encoding, r io.Reader) io.Reader {
	if enc == nil {
		return r
	}
	if cm, ok := enc.(*charmap.Charmap); ok {
		return &charmapReader{r: r, cm: cm}
	}
	return enc.NewDecoder().Reader(r)
}

// guessReader reads a stream whose first window (sniffWindow) was all ASCII, undeclared or
// declared in the single-byte encoding alt (ASCII-compatible): up to its first byte that is
// not ASCII, UTF-8 and alt read alike, and it passes the bytes on. At that byte it sniffs
// again, on the window that starts there (peeked in br: nothing is read twice, memory stays
// bounded), as sniff does at the start of a file: valid UTF-8 reads as UTF-8 (with the
// warning that the declaration is ignored when alt was declared), else as alt (with the
// warning that the encoding was guessed when it was not declared). The decision is final: if
// bytes further on contradict it, the scanner refuses the file at their line (fail words it).
type guessReader struct {
	d     *doc
	br    *bufio.Reader
	alt   *charmap.Charmap
	label string    // alt as declared; "" when undeclared (alt is then windows-1252)
	r     io.Reader // once decided
}

func (g *guessReader) Read(p []byte) (int, error) {
	if g.r != nil {
		return g.r.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if b, err := g.br.Peek(1); len(b) == 0 {
		return 0, err
	}
	b, _ := g.br.Peek(min(len(p), g.br.Buffered()))
	if i := asciiPrefix(b); i > 0 {
		copy(p, b[:i])
		g.br.Discard(i)
		return i, nil
	}
	head, err := g.br.Peek(sniffWindow)
	if valid, _ := utf8Head(head, err != nil); valid {
		if g.label != "" {
			g.d.encoding, g.d.overridden = "utf-8", g.label
			g.d.warnResave(g.label)
		}
		g.r = g.br
	} else {
		if g.label == "" {
			g.d.encoding = "windows-1252"
			g.d.warnUndeclared()
		}
		g.r = &charmapReader{r: g.br, cm: g.alt}
	}
	return g.r.Read(p)
}

// asciiPrefix is the length of the ASCII bytes that start b.
func asciiPrefix(b []byte) int {
	i := 0
	for i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0 {
		i += 8
	}
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// asciiCompatible says whether cm reads the bytes below 0x80 as ASCII (EBCDIC does not).
func asciiCompatible(cm *charmap.Charmap) bool {
	for b := range utf8.RuneSelf {
		if cm.DecodeByte(byte(b)) != rune(b) {
			return false
		}
	}
	return true
}

// charmapReader converts a single-byte encoding to UTF-8 as it reads, like decodeCharmap.
type charmapReader struct {
	r    io.Reader
	cm   *charmap.Charmap
	raw  []byte
	rest []byte // of a converted byte, what p had no room for
	one  [utf8.UTFMax]byte
}

func (c *charmapReader) Read(p []byte) (int, error) {
	if len(c.rest) > 0 {
		n := copy(p, c.rest)
		c.rest = c.rest[n:]
		return n, nil
	}
	// A byte becomes at most utf8.UTFMax bytes.
	n := len(p) / utf8.UTFMax
	if n == 0 {
		// The end of the scanner's window: convert one byte, keep what does not fit.
		if len(p) == 0 {
			return 0, nil
		}
		k, err := c.r.Read(c.one[:1])
		if k == 0 {
			return 0, err
		}
		out := utf8.AppendRune(c.one[:0], c.cm.DecodeByte(c.one[0]))
		m := copy(p, out)
		if c.rest = out[m:]; len(c.rest) > 0 {
			err = nil // the reader says io.EOF again on the next call
		}
		return m, err
	}
	if cap(c.raw) < n {
		c.raw = make([]byte, n)
	}
	k, err := c.r.Read(c.raw[:n])
	out := decodeCharmapAppend(p[:0], c.cm, c.raw[:k])
	return len(out), err
}

// newFastDoc reads a school file whole (at most lim.MaxFileSize bytes), converts it to UTF-8
// as its prolog says, and tokenises it with the scanner.
func newFastDoc(file string, r io.Reader, lim Limits) *doc {
	return newFastDocSized(file, r, lim, 0)
}

// newFastDocSized is newFastDoc with the expected size, to read without regrowing.
func newFastDocSized(file string, r io.Reader, lim Limits, size int64) *doc {
	d := &doc{file: file, maxElems: lim.MaxRecordElements}
	want := int(min(max(size, 0), lim.MaxFileSize))
	// Room for a single-byte encoding's accented letters to grow into UTF-8 in place.
	data, err := readAll(getBuf(want+want/8+bytes.MinRead), io.LimitReader(r, lim.MaxFileSize+1))
	d.pooled = data
	if err == nil && int64(len(data)) > lim.MaxFileSize {
		err = tooLarge(file, &budget{max: lim.MaxFileSize, what: forSchoolFile})
	}
	if err == nil {
		var utf []byte
		if utf, err = d.toUTF8(data); err == nil {
			data = utf
			if cap(utf) > cap(d.pooled) {
				d.pooled = utf
			}
		}
	}
	d.sc = newScanner(data) // on error, the raw bytes still tell what the file looks like
	d.sc.skipBlank = true
	if err != nil {
		d.sc.err = err
	}
	return d
}

// bufs recycles the buffers school files are read into: a lycée's pupil export is 6 MB, and
// allocating and clearing it for every read costs more than tokenising it.
var bufs sync.Pool

func getBuf(n int) []byte {
	if b, ok := bufs.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]byte, 0, n)
}

// release hands the document's buffer back once its reader is done: readers copy what they
// keep (strings), never slices of the source.
func (d *doc) release() {
	if d.pooled != nil && cap(d.pooled) <= maxPooledBuf {
		b := d.pooled[:0]
		bufs.Put(&b)
	}
	d.pooled = nil
	if d.sc != nil {
		d.sc.src = nil
	}
}

// maxPooledBuf: larger buffers (rare) are left to the garbage collector.
const maxPooledBuf = 64 << 20

// readAll appends all of r to buf, growing it only when full.
func readAll(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// toUTF8 converts a whole document to UTF-8 as sniff decides, or checks that it is UTF-8.
func (d *doc) toUTF8(data []byte) ([]byte, error) {
	s := d.sniff(data, true)
	if s.err != nil {
		return nil, s.err
	}
	data = data[s.skip:]
	switch {
	case d.utf16:
		out, err := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return nil, &apperr.InputError{Msg: "contenu UTF-16 illisible", Err: err}
		}
		return out, nil
	case s.enc == nil:
		if s.valid || utf8.Valid(data) {
			return data, nil
		}
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, &xml.SyntaxError{Msg: "invalid UTF-8", Line: bytes.Count(data[:i], []byte{'\n'}) + 1}
	}
	if cm, ok := s.enc.(*charmap.Charmap); ok {
		return decodeCharmapInPlace(cm, data), nil
	}
	out, err := s.enc.NewDecoder().Bytes(data)
	if err != nil {
		return nil, &apperr.InputError{Msg: fmt.Sprintf("le contenu n'est pas valide dans l'encodage %s qu'il déclare", d.encoding), Err: err}
	}
	return out, nil
}

// sniffed is how to read a document: skip bytes of byte order mark, then convert with enc
// (nil: the bytes are UTF-8; valid says whether sniff already checked them all). guess, only
// for a stream whose first window is all ASCII: the first byte that is not ASCII decides
// between UTF-8 and guess (guessReader).
type sniffed struct {
	skip  int
	enc   encoding.Encoding
	guess *charmap.Charmap
	valid bool
	err   error
}

// sniff decides how a document's bytes become UTF-8 from its head (the whole document when
// complete, else the first window of a stream), as XML 1.0 Appendix F and browsers do: a byte
// order mark decides, whatever the prolog then declares (an editor re-saved the file);
// without one, the prolog's declaration, read past leading white space, decides, except that
// a single-byte encoding declared on bytes that are valid UTF-8 with multi-byte sequences is
// a UTF-8 re-save (Latin-9 text is never valid UTF-8 but by accident: « Ã© »); without a
// declaration, bytes that are not UTF-8 are read as windows-1252. Warnings say what was
// overridden or guessed. It sets d.utf16 and d.encoding.
func (d *doc) sniff(head []byte, complete bool) sniffed {
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		d.bom, d.encoding = true, "utf-8"
		if label := declaredEncoding(head[3:]); label != "" && !isUTF8Label(label) {
			d.warnf("le fichier commence par la marque d'ordre des octets (BOM) de l'UTF-8 mais son en-tête XML déclare l'encodage %s : lu en UTF-8, la déclaration est ignorée (fichier réenregistré par un éditeur ?)", quoted(label))
		}
		return sniffed{skip: 3}
	case bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")):
		d.bom, d.utf16, d.encoding = true, true, "utf-16"
		if label := declaredEncoding(utf16Prolog(head)); label != "" && !strings.HasPrefix(label, "utf-16") && label != "utf16" {
			d.warnf("le fichier commence par la marque d'ordre des octets (BOM) de l'UTF-16 mais son en-tête XML déclare l'encodage %s : lu en UTF-16, la déclaration est ignorée (fichier réenregistré par un éditeur ?)", quoted(label))
		}
		return sniffed{}
	}
	label := declaredEncoding(bytes.TrimLeft(head, " \t\r\n"))
	d.encoding = label
	if label == "" || isUTF8Label(label) {
		valid, multi := utf8Head(head, complete)
		if !valid && label == "" {
			d.encoding = "windows-1252"
			d.warnUndeclared()
			return sniffed{enc: charmap.Windows1252}
		}
		if label != "" {
			d.encoding = "utf-8"
		} else if !multi && !complete {
			return sniffed{guess: charmap.Windows1252} // all ASCII so far: the first other byte decides
		}
		return sniffed{valid: valid && complete}
	}
	enc, err := lookupEncoding(label)
	if err != nil {
		return sniffed{err: err}
	}
	if enc == unicode.UTF8 {
		d.encoding = "utf-8"
		return sniffed{}
	}
	if cm, ok := enc.(*charmap.Charmap); ok {
		valid, multi := utf8Head(head, complete)
		if valid && multi {
			d.encoding = "utf-8"
			if !complete {
				d.overridden = label
			}
			d.warnResave(label)
			return sniffed{valid: complete}
		}
		if valid && !complete && asciiCompatible(cm) {
			return sniffed{guess: cm} // all ASCII so far: the first other byte decides
		}
	}
	return sniffed{enc: enc}
}

func (d *doc) warnUndeclared() {
	d.warnf("encodage non déclaré : lu comme Windows-1252 ; déclarez-le dans l'en-tête XML")
}

func (d *doc) warnResave(label string) {
	d.warnf("l'en-tête XML déclare l'encodage %s, mais le contenu est en UTF-8 (fichier réenregistré par un éditeur ?) : lu en UTF-8, la déclaration est ignorée", quoted(label))
}

// meta starts a part's metadata with what reading the document already had to say.
func (d *doc) meta(src fact.Source) Meta {
	return Meta{Source: src, File: d.file, Warnings: d.warnings}
}

func (d *doc) warnf(format string, args ...any) {
	d.warnings = append(d.warnings, fmt.Sprintf(format, args...))
}

// isUTF8Label reports the usual spellings of UTF-8.
func isUTF8Label(label string) bool {
	return label == "utf-8" || label == "utf8" || label == "unicode-1-1-utf-8"
}

// utf8Head says whether head is valid UTF-8 (a rune cut at its end is allowed unless complete)
// and whether it holds any multi-byte sequence. ASCII is skipped eight bytes at a time; a
// single-byte file fails at its first accented letter.
func utf8Head(head []byte, complete bool) (valid, multi bool) {
	i := 0
	for i+8 <= len(head) && binary.LittleEndian.Uint64(head[i:])&0x8080808080808080 == 0 {
		i += 8
	}
	for i < len(head) && head[i] < utf8.RuneSelf {
		i++
	}
	if i == len(head) {
		return true, false
	}
	rest := head[i:]
	if !complete {
		// Drop a rune cut by the end of the window.
		for k := 1; k <= min(utf8.UTFMax-1, len(rest)); k++ {
			if c := rest[len(rest)-k]; utf8.RuneStart(c) {
				if !utf8.FullRune(rest[len(rest)-k:]) {
					rest = rest[:len(rest)-k]
				}
				break
			}
		}
	}
	return utf8.Valid(rest), true
}

// utf16Prolog returns the ASCII characters that start a UTF-16 document after its byte order
// mark: enough to read its XML declaration.
func utf16Prolog(head []byte) []byte {
	lo := 0 // index of the low byte in each pair
	if head[0] == 0xfe {
		lo = 1
	}
	var out []byte
	for i := 2; i+1 < len(head) && len(out) < 256; i += 2 {
		c, hi := head[i+lo], head[i+1-lo]
		if hi != 0 || c >= utf8.RuneSelf {
			break
		}
		out = append(out, c)
	}
	return out
}

// decodeCharmap converts a single-byte encoding (ISO-8859-15, windows-1252...) with its
// x/text table, several times faster than the generic transformer on big files.
func decodeCharmap(cm *charmap.Charmap, data []byte) []byte {
	return decodeCharmapAppend(make([]byte, 0, len(data)+len(data)/16), cm, data)
}

// decodeCharmapInPlace converts data within its own array when it has room for the longer
// UTF-8, working from the end (a new array otherwise).
func decodeCharmapInPlace(cm *charmap.Charmap, data []byte) []byte {
	grow := 0
	for i := 0; i < len(data); i++ {
		for i+8 <= len(data) && binary.LittleEndian.Uint64(data[i:])&0x8080808080808080 == 0 {
			i += 8
		}
		if i < len(data) && data[i] >= utf8.RuneSelf {
			grow += utf8.RuneLen(cm.DecodeByte(data[i])) - 1
		}
	}
	if grow == 0 {
		return data
	}
	if len(data)+grow > cap(data) {
		return decodeCharmap(cm, data)
	}
	out := data[:len(data)+grow]
	j := len(out)
	for i := len(data); i > 0; {
		// The run of ASCII bytes ending at i moves as is.
		k := i
		for k >= 8 && binary.LittleEndian.Uint64(data[k-8:])&0x8080808080808080 == 0 {
			k -= 8
		}
		for k > 0 && data[k-1] < utf8.RuneSelf {
			k--
		}
		j -= i - k
		copy(out[j:], data[k:i])
		if k == 0 {
			break
		}
		r := cm.DecodeByte(data[k-1])
		j -= utf8.RuneLen(r)
		utf8.EncodeRune(out[j:], r)
		i = k - 1
	}
	return out
}

// decodeCharmapAppend appends the UTF-8 of data to out.
func decodeCharmapAppend(out []byte, cm *charmap.Charmap, data []byte) []byte {
	for len(data) > 0 {
		i := 0
		for i+8 <= len(data) && binary.LittleEndian.Uint64(data[i:])&0x8080808080808080 == 0 {
			i += 8 // eight ASCII bytes at once
		}
		for i < len(data) && data[i] < utf8.RuneSelf {
			i++
		}
		out = append(out, data[:i]...)
		if i == len(data) {
			break
		}
		out = utf8.AppendRune(out, cm.DecodeByte(data[i]))
		data = data[i+1:]
	}
	return out
}

// declaredEncoding reads encoding="..." from an XML prolog, lower case; "" when none.
func declaredEncoding(data []byte) string {
	if !bytes.HasPrefix(data, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(data, []byte("?>"))
	if end < 0 {
		return ""
	}
	p := data[:end]
	i := bytes.Index(p, []byte("encoding"))
	if i < 0 {
		return ""
	}
	p = bytes.TrimLeft(p[i+len("encoding"):], " \t\r\n")
	if len(p) == 0 || p[0] != '=' {
		return ""
	}
	p = bytes.TrimLeft(p[1:], " \t\r\n")
	if len(p) == 0 || (p[0] != '"' && p[0] != '\'') {
		return ""
	}
	q := p[0]
	p = p[1:]
	j := bytes.IndexByte(p, q)
	if j < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(string(p[:j])))
}

// lookupEncoding finds a declared encoding as browsers do (WHATWG Encoding Standard), so that
// ISO-8859-1 and its aliases read as windows-1252, as real French files written on Windows
// need (0x80 to 0x9F are €, Œ, ’, …), then in the IANA registry, after a few spellings that
// neither knows.
func lookupEncoding(label string) (encoding.Encoding, error) {
	if enc, ok := encodingAliases[label]; ok {
		return enc, nil
	}
	if !strings.HasPrefix(label, "utf-16") { // the WHATWG takes UTF-16 for UTF-16LE; XML for a BOM
		if enc, err := htmlindex.Get(label); err == nil && enc != nil && enc != encoding.Replacement {
			return enc, nil
		}
	}
	if enc, err := ianaindex.IANA.Encoding(label); err == nil && enc != nil {
		return enc, nil
	}
	return nil, &apperr.InputError{Msg: "encodage " + quoted(label) + " non pris en charge : enregistrez le fichier en UTF-8 ou en ISO-8859-15"}
}

// encodingAliases are spellings found in real files that neither index knows.
var encodingAliases = map[string]encoding.Encoding{
	"iso-latin-1": charmap.Windows1252,
	"latin-1":     charmap.Windows1252,
	"latin9":      charmap.ISO8859_15,
	"latin-9":     charmap.ISO8859_15,
	"iso-latin-9": charmap.ISO8859_15,
	"l9":          charmap.ISO8859_15,
}

func (d *doc) line() int {
	if d.sc != nil {
		return d.sc.line()
	}
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
		if msg == "invalid UTF-8" && d.overridden != "" {
			msg = fmt.Sprintf("UTF-8 invalide : le fichier déclare l'encodage %s, mais il a été lu en UTF-8 parce que ses premiers caractères accentués le sont ; il mêle donc deux encodages : enregistrez-le tout entier dans un seul", quoted(d.overridden))
		} else if msg == "invalid UTF-8" && (d.encoding == "" || d.encoding == "utf-8" || d.encoding == "utf8") {
			msg = `UTF-8 invalide (le fichier se déclare en UTF-8, ou ne déclare pas d'encodage, mais ne l'est pas) : s'il a été enregistré en Latin-9, déclarez encoding="ISO-8859-15" dans sa première ligne`
		} else {
			msg = frenchSyntax(msg)
		}
		return &apperr.InputError{File: d.file, Line: se.Line, Msg: "XML mal formé : " + msg}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &apperr.InputError{File: d.file, Line: d.line(), Msg: truncated}
	}
	return &apperr.InputError{File: d.file, Line: d.line(), Msg: "contenu illisible", Err: err}
}

// truncated is what a document that ends too soon is told.
const truncated = "le fichier est tronqué (fin de fichier inattendue)"

// frenchSyntax says in French what an XML syntax error means. The scanner words its errors as
// encoding/xml does (the fuzz tests compare the two), so both are translated here, only when a
// file is refused; a message not listed is kept as it is.
func frenchSyntax(msg string) string {
	switch msg {
	case "unexpected EOF":
		return truncated
	case "unexpected EOF in CDATA section":
		return "le fichier est tronqué (fin de fichier inattendue dans une section CDATA)"
	case "invalid UTF-8":
		return "UTF-8 invalide"
	case "expected element name after <":
		return "nom d'élément attendu après « < » (un « < » dans un texte s'écrit « &lt; »)"
	case "expected element name after </":
		return "nom d'élément attendu après « </ »"
	case "expected target name after <?":
		return "nom d'instruction attendu après « <? »"
	case "expected /> in element":
		return "« /> » attendu dans la balise"
	case "expected attribute name in element":
		return "nom d'attribut attendu dans la balise"
	case "attribute name without = in element":
		return "attribut sans « = » dans la balise"
	case "unquoted or missing attribute value in element":
		return "valeur d'attribut absente ou sans guillemets dans la balise"
	case "unescaped ]]> not in CDATA section":
		return "« ]]> » hors d'une section CDATA (il s'écrit « ]]&gt; »)"
	case "unescaped < inside quoted string":
		return "« < » dans une valeur d'attribut (il s'écrit « &lt; »)"
	case "invalid <![ sequence":
		return "séquence « <![ » invalide"
	case "invalid sequence <!- not part of <!--":
		return "séquence « <!- » invalide (un commentaire commence par « <!-- »)"
	case `invalid sequence "--" not allowed in comments`:
		return "« -- » interdit dans un commentaire"
	}
	if ent, ok := strings.CutPrefix(msg, "invalid character entity "); ok {
		if ent, ok := strings.CutSuffix(ent, " (no semicolon)"); ok {
			return "entité « " + ent + " » sans point-virgule final (un « & » seul s'écrit « &amp; »)"
		}
		return "entité « " + ent + " » non déclarée ou invalide : seules &lt; &gt; &amp; &apos; &quot; et les références de caractères (comme &#233;) sont admises"
	}
	if code, ok := strings.CutPrefix(msg, "illegal character code "); ok {
		return "caractère interdit en XML : " + code
	}
	if name, ok := strings.CutPrefix(msg, "unexpected end element "); ok {
		return "balise fermante " + name + " sans balise ouvrante"
	}
	if rest, ok := strings.CutPrefix(msg, "element "); ok {
		// "element <a> closed by </b>", or with " in space x" after each name.
		if open, end, ok := strings.Cut(rest, " closed by "); ok {
			inSpace := strings.NewReplacer(" in space ", " de l'espace de noms ").Replace
			return "l'élément " + inSpace(open) + " est fermé par " + inSpace(end)
		}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid characters between "); ok {
		if name, ok := strings.CutSuffix(rest, " and >"); ok {
			return "caractères invalides entre « " + name + " » et « > »"
		}
	}
	if name, ok := strings.CutPrefix(msg, "invalid XML name: "); ok {
		return "nom XML invalide : " + name
	}
	return msg
}

// Token kinds.
const (
	tkStart = iota + 1
	tkEnd
	tkText
	tkDirective
	tkComment
	tkProcInst
)

// token is one XML token of either backend, filled in place (no allocation per token).
type token struct {
	kind  int
	name  string     // start, end: local name; processing instruction: target
	attrs []xml.Attr // start
	text  []byte     // text, directive, comment, processing instruction: valid until the next token
	// stable: text points into the scanner's source and stays valid for the whole read.
	stable bool
}

// next reads the next token into t, checking DTDs, nesting and text before the root.
func (d *doc) next(t *token) error {
	var err error
	if d.sc != nil {
		err = d.sc.scan(t)
	} else {
		err = d.decode(t)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			if d.root == "" {
				return &apperr.InputError{File: d.file, Msg: "fichier vide : aucun élément XML"}
			}
			return io.EOF
		}
		return d.fail(err)
	}
	switch t.kind {
	case tkStart:
		d.depth++
		if d.depth > maxDepth {
			return &apperr.InputError{File: d.file, Line: d.line(), Field: t.name, Msg: fmt.Sprintf("éléments imbriqués sur plus de %d niveaux", maxDepth)}
		}
	case tkEnd:
		d.depth--
	case tkDirective:
		if err := d.checkDirective(t.text); err != nil {
			return err
		}
	case tkText:
		if d.root == "" && len(bytes.TrimSpace(t.text)) > 0 {
			return &apperr.InputError{File: d.file, Line: d.line(), Msg: "ce n'est pas un fichier XML : " + describeText(t.text)}
		}
	}
	return nil
}

// decode reads the next token with encoding/xml.
func (d *doc) decode(t *token) error {
	tok, err := d.dec.Token()
	if err != nil {
		return err
	}
	*t = token{}
	switch x := tok.(type) {
	case xml.StartElement:
		t.kind, t.name, t.attrs = tkStart, x.Name.Local, x.Attr
	case xml.EndElement:
		t.kind, t.name = tkEnd, x.Name.Local
	case xml.CharData:
		t.kind, t.text = tkText, x
	case xml.Directive:
		t.kind, t.text = tkDirective, x
	case xml.Comment:
		t.kind, t.text = tkComment, x
	case xml.ProcInst:
		t.kind, t.name, t.text = tkProcInst, x.Target, x.Inst
	}
	return nil
}

// checkDirective tolerates an external DTD reference (real STS and AAF files carry one; it is
// never fetched) and refuses an internal subset declaring entities: nested entities are the
// "billion laughs" expansion attack, and no real export needs them.
func (d *doc) checkDirective(t []byte) error {
	s := bytes.TrimSpace(t)
	if !bytes.HasPrefix(s, []byte("DOCTYPE")) {
		return nil
	}
	if i := bytes.IndexByte(s, '['); i >= 0 && bytes.Contains(s[i:], []byte("<!ENTITY")) {
		return &apperr.InputError{File: d.file, Line: d.line(), Field: "DOCTYPE",
			Msg: "la déclaration de type de document définit des entités (leur expansion est refusée) : supprimez le sous-ensemble interne de la DTD (entre crochets)"}
	}
	return nil
}

// start reads up to the root element and returns its local name.
func (d *doc) start() (string, error) {
	if d.sc != nil && d.sc.err != nil {
		if _, ok := errors.AsType[*apperr.InputError](d.sc.err); ok {
			return "", d.fail(d.sc.err) // too large, zip bomb, unsupported encoding
		}
	}
	if !d.utf16 {
		// Say what a non-XML file is before the XML decoder fails on its bytes.
		var b []byte
		if d.sc != nil {
			b = d.sc.src[:min(len(d.sc.src), 512)]
		} else {
			b, _ = d.br.Peek(512)
		}
		t := bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), " \t\r\n") // raw bytes when toUTF8 failed
		if len(b) == 0 {
			return "", &apperr.InputError{File: d.file, Msg: "fichier vide"}
		}
		if len(t) == 0 && len(b) < 512 {
			return "", &apperr.InputError{File: d.file, Msg: "fichier vide : il ne contient que des espaces"}
		}
		if len(t) > 0 && t[0] != '<' {
			return "", &apperr.InputError{File: d.file, Line: 1, Msg: "ce n'est pas un fichier XML : " + describeText(t)}
		}
	}
	if d.sc != nil && d.sc.err != nil {
		return "", d.fail(d.sc.err)
	}
	var t token
	for {
		if err := d.next(&t); err != nil {
			return "", err
		}
		if t.kind == tkStart {
			d.root, d.rootAttr = t.name, t.attrs
			return d.root, nil
		}
	}
}

// node is a small element tree: one record (a pupil, a teacher, a division) at a time, so
// that memory stays proportional to a record, not to the file.
type node struct {
	name  string
	attrs []xml.Attr
	raw   []byte // text directly inside, untrimmed: a slice of the source when possible
	kids  []*node
	line  int
}

// text returns the node's text, trimmed. Strings are made on demand: most fields of a
// record are never read.
func (n *node) text() string {
	return string(bytes.TrimSpace(n.raw))
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
		return c.text()
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

// arena hands out nodes for one record at a time: readers copy what they keep, so the nodes
// of a record are reused for the next one, saving most allocations.
type arena struct {
	chunks [][]node
	used   int
}

const arenaChunk = 256

func (a *arena) reset() { a.used = 0 }

func (a *arena) node(name string, attrs []xml.Attr, line int) *node {
	c, i := a.used/arenaChunk, a.used%arenaChunk
	if c == len(a.chunks) {
		a.chunks = append(a.chunks, make([]node, arenaChunk))
	}
	a.used++
	n := &a.chunks[c][i]
	*n = node{name: name, attrs: attrs, line: line, kids: n.kids[:0]}
	return n
}

// capture reads the subtree of the start element t into a node, valid until the next capture.
func (d *doc) capture(t *token) (*node, error) {
	d.nodes.reset()
	root := d.nodes.node(t.name, t.attrs, d.line())
	stack := append(d.stack[:0], open{n: root})
	defer func() { d.stack = stack[:0] }()
	count := 1
	for {
		if err := d.next(t); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, d.fail(io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		switch t.kind {
		case tkStart:
			count++
			if count > d.maxElems {
				return nil, &apperr.InputError{File: d.file, Line: d.line(), Field: root.name,
					Msg: fmt.Sprintf("un élément %s contient plus de %d sous-éléments", root.name, d.maxElems)}
			}
			n := d.nodes.node(t.name, t.attrs, d.line())
			top := stack[len(stack)-1].n
			top.kids = append(top.kids, n)
			stack = append(stack, open{n: n})
		case tkText:
			if blank(t.text) {
				continue // indentation between elements: exports hold no mixed content
			}
			o := &stack[len(stack)-1]
			switch {
			case len(o.n.raw) == 0 && t.stable:
				o.n.raw = t.text
			case !o.owned:
				o.n.raw, o.owned = append(append([]byte(nil), o.n.raw...), t.text...), true
			default:
				o.n.raw = append(o.n.raw, t.text...)
			}
		case tkEnd:
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return root, nil
			}
		}
	}
}

// each streams the rest of the document. For every start element, want(parent, name) says
// whether to capture its subtree and hand it to fn; other elements are descended into.
func (d *doc) each(want func(parent, name string) bool, fn func(*node) error) error {
	names := []string{d.root}
	var t token
	for {
		err := d.next(&t)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t.kind {
		case tkStart:
			if len(names) == 0 {
				return &apperr.InputError{File: d.file, Line: d.line(), Field: t.name, Msg: "XML mal formé : un second élément racine après la fin du document"}
			}
			if want(names[len(names)-1], t.name) {
				n, err := d.capture(&t)
				if err != nil {
					return err
				}
				if err := fn(n); err != nil {
					return err
				}
				continue
			}
			names = append(names, t.name)
		case tkEnd:
			if len(names) > 0 {
				names = names[:len(names)-1]
			}
		}
	}
}

// blank reports XML white space only.
func blank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// describeText says what a non-XML file looks like.
func describeText(b []byte) string {
	s := bytes.TrimSpace(b)
	switch {
	case bytes.HasPrefix(s, []byte("%PDF")):
		return "c'est un document PDF, pas un export"
	case bytes.IndexByte(s, ';') >= 0 && bytes.IndexByte(s, '\n') > 0, bytes.Count(s, []byte(",")) > 2:
		return "cela ressemble à un fichier CSV ou texte, pas à un export XML"
	}
	return "le contenu ne commence pas par un élément XML"
}
