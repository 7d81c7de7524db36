package ingest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tokens renders a token stream for comparison: local names only (the scanner does not
// resolve namespaces; readers match local names).
func tokens(next func() (xml.Token, error)) ([]string, error) {
	var out []string
	var text []byte
	flush := func() {
		if text != nil {
			out = append(out, "T"+string(text))
			text = nil
		}
	}
	for len(out) < 100_000 {
		tok, err := next()
		if errors.Is(err, io.EOF) {
			flush()
			return out, nil
		}
		if err != nil {
			return out, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			// Adjacent text and CDATA sections are one text for the readers.
			text = append(append(text, "|"...), t...)
			continue
		case xml.StartElement:
			flush()
			var b strings.Builder
			b.WriteString("S" + t.Name.Local)
			for _, a := range t.Attr {
				fmt.Fprintf(&b, " %s=%q", a.Name.Local, a.Value)
			}
			out = append(out, b.String())
		case xml.EndElement:
			flush()
			out = append(out, "E"+t.Name.Local)
		case xml.Comment:
			flush()
			out = append(out, "C"+string(t))
		case xml.ProcInst:
			flush()
			out = append(out, "P"+t.Target)
		case xml.Directive:
			flush()
			out = append(out, "D"+string(t))
		}
	}
	return out, nil
}

func stdTokens(data []byte) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	return tokens(dec.Token)
}

func scanTokens(data []byte) ([]string, error) {
	s := newScanner(data)
	var t token
	return tokens(func() (xml.Token, error) {
		if err := s.scan(&t); err != nil {
			return nil, err
		}
		switch t.kind {
		case tkStart:
			return xml.StartElement{Name: xml.Name{Local: t.name}, Attr: t.attrs}, nil
		case tkEnd:
			return xml.EndElement{Name: xml.Name{Local: t.name}}, nil
		case tkText:
			return xml.CharData(t.text), nil
		case tkDirective:
			return xml.Directive(t.text), nil
		case tkComment:
			return xml.Comment(t.text), nil
		}
		return xml.ProcInst{Target: t.name, Inst: t.text}, nil
	})
}

// FuzzScanner checks the scanner against encoding/xml: on every UTF-8 input encoding/xml
// accepts, the scanner gives the same tokens; on every input it refuses, the scanner refuses
// too, except for the few checks encoding/xml makes that the readers do not need (the XML
// version, encodings, which the scanner handles before, and non-ASCII name classes).
func FuzzScanner(f *testing.F) {
	for _, name := range []string{"sts_emp_0790029C_2026.xml", "Structures.xml", "0790029CELEGROUPE2026260908101500.xml", "aaf/FULL_TEST_Complet_20260909_Eleve_0000.xml"} {
		f.Add(readTestdata(f, name))
	}
	for _, s := range []string{`<a x="1" y='&lt;&#233;&#xE9;'>t&amp;u<![CDATA[<&>]]><!-- c --><?pi x?><b/></a>`,
		"<a>\r\n\r</a>", `<!DOCTYPE a [<!ELEMENT a ANY> <!-- > -->]><a/>`, `<!DOCTYPE a [<!-- 1 -->x<!-- 2 -->y]><a/>`, `<p:a xmlns:p="u" p:x="1"><:b/><c:/></p:a>`,
		"<a>&#0;</a>", "<a b='<'/>", "<a><b></a></b>", "<a>", "</a>", "<a/><b/>", "<a x=1/>", "<a\u00e9/>", "<\u00e9a/>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return // the scanner gets UTF-8 only (toUTF8 converts or refuses first)
		}
		want, werr := stdTokens(data)
		got, gerr := scanTokens(data)
		if werr != nil {
			msg := werr.Error()
			if strings.Contains(msg, "version") || strings.Contains(msg, "CharsetReader") || strings.Contains(msg, "invalid XML name") {
				return
			}
			if gerr == nil {
				t.Fatalf("encoding/xml refuses (%v), the scanner accepts: %q", werr, got)
			}
			return
		}
		if gerr != nil {
			t.Fatalf("encoding/xml accepts, the scanner refuses: %v\n%q", gerr, want)
		}
		if !equalStrings(want, got) {
			t.Fatalf("tokens differ\nencoding/xml: %q\nscanner:      %q", want, got)
		}
	})
}

func streamTokens(data []byte, window int) ([]string, error) {
	s := newStreamScannerSize(bytes.NewReader(data), window)
	return tokensOf(s)
}

func tokensOf(s *scanner) ([]string, error) {
	var t token
	return tokens(func() (xml.Token, error) {
		if err := s.scan(&t); err != nil {
			return nil, err
		}
		switch t.kind {
		case tkStart:
			return xml.StartElement{Name: xml.Name{Local: t.name}, Attr: t.attrs}, nil
		case tkEnd:
			return xml.EndElement{Name: xml.Name{Local: t.name}}, nil
		case tkText:
			return xml.CharData(t.text), nil
		case tkDirective:
			return xml.Directive(t.text), nil
		case tkComment:
			return xml.Comment(t.text), nil
		}
		return xml.ProcInst{Target: t.name, Inst: t.text}, nil
	})
}

// FuzzStreamScanner checks the streamed scanner, with windows of a few bytes so that tokens
// straddle every refill, against the in-memory scanner (itself checked against encoding/xml):
// the same tokens, and the same error at the same line. Invalid UTF-8 is refused either way
// (the stream finds it as it reads, before or after the markup errors that precede it).
func FuzzStreamScanner(f *testing.F) {
	for _, name := range []string{"sts_emp_0790029C_2026.xml", "Structures.xml", "aaf/FULL_TEST_Complet_20260909_Eleve_0000.xml", "aaf/FULL_TEST_Complet_20260909_EtabEducNat_0000.xml"} {
		f.Add(readTestdata(f, name), uint8(7))
	}
	for _, s := range []string{`<a x="1" y='&lt;&#233;&#xE9;'>t&amp;u<![CDATA[<&>]]><!-- c --><?pi x?><b/></a>`,
		"<a>\r\n\r</a>", `<!DOCTYPE a [<!ELEMENT a ANY> <!-- > -->]><a/>`, "<a>é\u20ac\U0001F600</a>", "<a>\xff</a>", "<a>", "<a></b>",
		"<a><![CDATA[x]]><![CDAT</a>", "<a>&amp</a>", "<a b='<'/>", " \n <a> \n </a> \n "} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, w uint8) {
		window := 16 + int(w)%48
		got, gerr := streamTokens(data, window)
		if !utf8.Valid(data) {
			if gerr == nil {
				t.Fatalf("invalid UTF-8 accepted: %q", got)
			}
			return
		}
		want, werr := scanTokens(data)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Fatalf("errors differ (window %d)\nin memory: %v\nstreamed:  %v", window, werr, gerr)
		}
		if !equalStrings(want, got) {
			t.Fatalf("tokens differ (window %d)\nin memory: %q\nstreamed:  %q", window, want, got)
		}
	})
}

func TestStreamScannerSkipsBlankAndReadsLines(t *testing.T) {
	data := []byte("<?xml version=\"1.0\"?>\n<a>\n  <b x=\"1\">t</b>\n  <c/>\n</a>\n")
	for _, window := range []int{16, 17, 23, 64, 4096} {
		s := newStreamScannerSize(bytes.NewReader(data), window)
		s.skipBlank = true
		got, err := tokensOf(s)
		require.NoError(t, err)
		assert.Equal(t, []string{"Pxml", "Sa", `Sb x="1"`, "T|t", "Eb", "Sc", "Ec", "Ea"}, got, "window %d", window)
	}
	s := newStreamScannerSize(bytes.NewReader([]byte("<a>\n\n<b>\n</c>")), 16)
	_, err := tokensOf(s)
	assert.EqualError(t, err, "XML syntax error on line 4: element <b> closed by </c>")
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestScannerMatchesEncodingXML(t *testing.T) {
	for _, name := range []string{"sts_emp_0790029C_2026.xml", "ElevesSansAdresses.xml", "Structures.xml", "0790029CELEGROUPE2026260908101500.xml"} {
		raw := readTestdata(t, name)
		d := &doc{}
		data, err := d.toUTF8(raw)
		require.NoError(t, err, name)
		got, err := scanTokens(data)
		require.NoError(t, err, name)
		dec := xml.NewDecoder(bytes.NewReader(raw))
		dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
			enc, err := lookupEncoding(label)
			if err != nil {
				return nil, err
			}
			return enc.NewDecoder().Reader(in), nil
		}
		want, err := tokens(dec.Token)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}
}

func TestDecodeCharmapInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, cm := range []*charmap.Charmap{charmap.ISO8859_15, charmap.Windows1252, charmap.ISO8859_1} {
		for n := range 300 {
			data := make([]byte, n)
			for i := range data {
				if rng.IntN(4) == 0 {
					data[i] = byte(0x80 + rng.IntN(0x80))
				} else {
					data[i] = byte(0x20 + rng.IntN(0x60))
				}
			}
			want := decodeCharmap(cm, data)
			roomy := append(make([]byte, 0, 3*n+1), data...)
			assert.Equal(t, string(want), string(decodeCharmapInPlace(cm, roomy)), "in place, %d bytes", n)
			assert.Equal(t, string(want), string(decodeCharmapInPlace(cm, slices.Clip(append([]byte(nil), data...)))), "no room, %d bytes", n)
		}
	}
}
