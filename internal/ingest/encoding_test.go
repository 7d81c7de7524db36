package ingest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// encode writes s in enc, failing the test on a character enc lacks.
func encode(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

const (
	prologLatin9 = `<?xml version="1.0" encoding="ISO-8859-15"?>` + "\n"
	bomUTF8      = "\xef\xbb\xbf"
	// The warnings sniff gives, as import warnings.
	warnBOM8   = "le fichier commence par la marque d'ordre des octets (BOM) de l'UTF-8 mais son en-tête XML déclare l'encodage « iso-8859-15 » : lu en UTF-8, la déclaration est ignorée (fichier réenregistré par un éditeur ?)"
	warnBOM16  = "le fichier commence par la marque d'ordre des octets (BOM) de l'UTF-16 mais son en-tête XML déclare l'encodage « iso-8859-15 » : lu en UTF-16, la déclaration est ignorée (fichier réenregistré par un éditeur ?)"
	warnResave = "l'en-tête XML déclare l'encodage « iso-8859-15 », mais le contenu est en UTF-8 (fichier réenregistré par un éditeur ?) : lu en UTF-8, la déclaration est ignorée"
	warnNoDecl = "encodage non déclaré : lu comme Windows-1252 ; déclarez-le dans l'en-tête XML"
)

// TestEncodingPrecedence: a byte order mark decides over the declaration (XML 1.0 Appendix F);
// a declaration is found past leading white space; a single-byte declaration over UTF-8 bytes
// is a re-save; ISO-8859-1 reads as windows-1252, as browsers do; an undeclared file that is
// not UTF-8 reads as windows-1252. School files (read whole) and feed files (streamed) alike.
func TestEncodingPrecedence(t *testing.T) {
	const label = "Seconde € Élan œuvre"
	body := `<BEE_STRUCTURES><PARAMETRES><UAJ>0790029C</UAJ><ANNEE_SCOLAIRE>2026</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><DIVISIONS><DIVISION CODE_STRUCTURE="1ÈRE SPÉ"><LIBELLE_LONG>` +
		label + `</LIBELLE_LONG></DIVISION></DIVISIONS></DONNEES></BEE_STRUCTURES>`
	utf16 := func(e unicode.Endianness, s string) []byte {
		return encode(t, unicode.UTF16(e, unicode.UseBOM), s)
	}
	decl := func(enc string) string { return `<?xml version="1.0" encoding="` + enc + `"?>` + "\n" }
	cases := []struct {
		desc  string
		data  []byte
		label string // "": label
		warn  []string
	}{
		{"UTF-8 BOM over an ISO-8859-15 declaration", []byte(bomUTF8 + prologLatin9 + body), "", []string{warnBOM8}},
		{"UTF-8 BOM and a UTF-8 declaration", []byte(bomUTF8 + decl("UTF-8") + body), "", nil},
		{"UTF-16LE BOM over an ISO-8859-15 declaration", utf16(unicode.LittleEndian, prologLatin9+body), "", []string{warnBOM16}},
		{"UTF-16BE BOM over an ISO-8859-15 declaration", utf16(unicode.BigEndian, prologLatin9+body), "", []string{warnBOM16}},
		{"UTF-16 BOM and a UTF-16 declaration", utf16(unicode.LittleEndian, decl("UTF-16")+body), "", nil},
		{"ISO-8859-15 declared on UTF-8 bytes", []byte(prologLatin9 + body), "", []string{warnResave}},
		{"windows-1252 declared on UTF-8 bytes", []byte(decl("windows-1252") + body), "", []string{strings.Replace(warnResave, "iso-8859-15", "windows-1252", 1)}},
		{"ISO-8859-15 declared, Latin-9 bytes", append([]byte(prologLatin9), encode(t, charmap.ISO8859_15, body)...), "", nil},
		{"ISO-8859-15 declared, ASCII only", []byte(prologLatin9 + strings.NewReplacer("È", "E", "É", "E", "€", "E", "œ", "oe").Replace(body)), "Seconde E Elan oeuvre", nil},
		{"ISO-8859-1 declared, windows-1252 bytes", append([]byte(decl("ISO-8859-1")), encode(t, charmap.Windows1252, body)...), "", nil},
		{"ISO-8859-1 declared, curly apostrophe", append([]byte(decl("ISO-8859-1")), bytes.Replace(encode(t, charmap.Windows1252, body), []byte("Seconde"), []byte("Seconde d\x92abord"), 1)...), "Seconde d’abord € Élan œuvre", nil},
		{"latin1 declared", append([]byte(decl("latin1")), encode(t, charmap.Windows1252, body)...), "", nil},
		{"iso-latin-1 declared", append([]byte(decl("iso-latin-1")), encode(t, charmap.Windows1252, body)...), "", nil},
		{"us-ascii declared, windows-1252 bytes", append([]byte(decl("us-ascii")), encode(t, charmap.Windows1252, body)...), "", nil},
		{"Latin9 declared", append([]byte(decl("Latin9")), encode(t, charmap.ISO8859_15, body)...), "", nil},
		{"LATIN-9 declared", append([]byte(decl("LATIN-9")), encode(t, charmap.ISO8859_15, body)...), "", nil},
		{"l9 declared", append([]byte(decl("l9")), encode(t, charmap.ISO8859_15, body)...), "", nil},
		{"leading CRLF and spaces before the declaration", append([]byte("\r\n  \t"+prologLatin9), encode(t, charmap.ISO8859_15, body)...), "", nil},
		{"no declaration, windows-1252 bytes", encode(t, charmap.Windows1252, body), "", []string{warnNoDecl}},
		{"no declaration, UTF-8", []byte(body), "", nil},
	}
	for _, c := range cases {
		want := firstNonEmpty(c.label, label)
		t.Run(c.desc, func(t *testing.T) {
			p, err := Read(bytesUpload("Structures.xml", c.data), Options{})
			require.NoError(t, err)
			s := p.Structures
			require.Len(t, s.Divisions, 1)
			assert.Equal(t, want, s.Divisions[0].Label)
			if c.label == "" {
				assert.Equal(t, "1ÈRE SPÉ", s.Divisions[0].Code)
			}
			assertWarnings(t, c.warn, s.Meta.Warnings[:len(s.Meta.Warnings)-1]) // the last is the undated export's
		})
		t.Run(c.desc+", feed", func(t *testing.T) {
			feed, err := ReadFeed([]Upload{bytesUpload("FULL_X_Complet_20260909_EtabEducNat_0000.xml", feedVariant(t, c.data, body))}, Options{})
			require.NoError(t, err)
			p := feed.Schools[uai]
			require.NotNil(t, p)
			assert.Equal(t, want, p.Name)
			var warn []string
			for _, w := range c.warn {
				warn = append(warn, "FULL_X_Complet_20260909_EtabEducNat_0000.xml : "+w)
			}
			assertWarnings(t, warn, feed.Warnings)
		})
	}
}

// feedVariant turns a Structures.xml case into a feed file with the same prolog and encoding:
// one structure named as the division is labelled.
func feedVariant(t *testing.T, data []byte, body string) []byte {
	t.Helper()
	s := string(data)
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xfe")):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(data, []byte("\xfe\xff")):
		enc = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	}
	if enc != nil {
		b, err := enc.NewDecoder().Bytes(data)
		require.NoError(t, err)
		s = string(b)
	}
	start := strings.Index(s, "<BEE_STRUCTURES>")
	require.Positive(t, start+1)
	head, rest := s[:start], s[start:]
	i, j := strings.Index(rest, "<LIBELLE_LONG>")+len("<LIBELLE_LONG>"), strings.Index(rest, "</LIBELLE_LONG>")
	name := rest[i:j] // in the case's encoding
	feed := head + `<ficAlimMENESR><addRequest><operationalAttributes><attr name="categorieStructure"><value>EtabEducNat</value></attr></operationalAttributes>` +
		`<identifier><id>52006</id></identifier><attributes><attr name="ENTStructureJointure"><value>52006</value></attr>` +
		`<attr name="ENTStructureUAI"><value>0790029C</value></attr><attr name="ENTStructureNomCourant"><value>` + name + `</value></attr>` +
		`</attributes></addRequest></ficAlimMENESR>`
	if enc != nil {
		return encode(t, unicode.UTF16(map[bool]unicode.Endianness{true: unicode.LittleEndian, false: unicode.BigEndian}[data[0] == 0xff], unicode.UseBOM), feed)
	}
	return []byte(feed)
}

// assertWarnings compares warnings, none and an empty list alike.
func assertWarnings(t *testing.T, want, got []string) {
	t.Helper()
	if len(want) == 0 {
		assert.Empty(t, got)
		return
	}
	assert.Equal(t, want, got)
}

// TestUTF8Head: the window of a stream may end inside a multi-byte sequence.
func TestUTF8Head(t *testing.T) {
	cases := []struct {
		head            string
		complete        bool
		valid, multiple bool
	}{
		{"abc", true, true, false},
		{"abc é", true, true, true},
		{"abc \xc3", false, true, true},      // é cut by the window
		{"abc \xe2\x82", false, true, true},  // € cut
		{"abc \xc3", true, false, true},      // the end of the file: invalid
		{"abc \xe9 def", false, false, true}, // Latin-9 é
		{"abc \xe9", false, true, true},      // Latin-9 é, or a sequence the window cut: the rest decides
		{"abcdefgh\xc3\xa9ijk", true, true, true},
	}
	for _, c := range cases {
		valid, multi := utf8Head([]byte(c.head), c.complete)
		assert.Equal(t, c.valid, valid, "%q valid", c.head)
		assert.Equal(t, c.multiple, multi, "%q multi-byte", c.head)
	}
}

// TestStreamEncodingBeyondWindow: a streamed feed whose first window (sniffWindow) is all
// ASCII is decided at its first byte that is not, as a whole file would be: an undeclared
// windows-1252 feed reads as windows-1252 with the same warning, a single-byte declaration
// over UTF-8 reads as UTF-8 with the same warning, past the scanner's first window too. Bytes
// that contradict the decision further on refuse the file at their line.
func TestStreamEncodingBeyondWindow(t *testing.T) {
	const file = "FULL_X_Complet_20260909_EtabEducNat_0000.xml"
	// pad is ASCII comments, n bytes in lines of 64.
	pad := func(n int) string {
		line := "<!--" + strings.Repeat("x", 56) + "-->\n"
		return strings.Repeat(line, n/len(line)+1)
	}
	// feed puts the structure named name after pad KiB of ASCII, then more KiB of ASCII and tail.
	feed := func(prolog, name string, before, after int, tail string) []byte {
		return []byte(prolog + "<ficAlimMENESR>\n" + pad(before<<10) +
			`<addRequest><operationalAttributes><attr name="categorieStructure"><value>EtabEducNat</value></attr></operationalAttributes>` +
			`<identifier><id>52006</id></identifier><attributes><attr name="ENTStructureJointure"><value>52006</value></attr>` +
			`<attr name="ENTStructureUAI"><value>0790029C</value></attr><attr name="ENTStructureNomCourant"><value>` + name + `</value></attr>` +
			"</attributes></addRequest>\n" + pad(after<<10) + tail + "</ficAlimMENESR>\n")
	}
	lineOf := func(data []byte, tail string) int {
		return bytes.Count(data[:bytes.Index(data, []byte(tail))], []byte{'\n'}) + 1
	}
	const name = "Lycée Élan – œuvre"
	cp1252, latin9 := string(encode(t, charmap.Windows1252, name)), string(encode(t, charmap.ISO8859_15, "Lycée Élan - œuvre"))
	badTail := "<!-- \xe9 -->\n" // a windows-1252 or Latin-9 é in a comment
	cases := []struct {
		desc   string
		data   []byte
		want   string   // the structure's name; "" when refused
		warn   []string // without the file name
		refuse string   // part of the error
	}{
		{"undeclared, windows-1252 after 64 KiB", feed("", cp1252, 100, 0, ""), name, []string{warnNoDecl}, ""},
		{"undeclared, windows-1252 after 256 KiB", feed("", cp1252, 300, 300, ""), name, []string{warnNoDecl}, ""},
		{"undeclared, UTF-8 after 64 KiB", feed("", name, 100, 300, ""), name, nil, ""},
		{"ISO-8859-15 declared, Latin-9 after 256 KiB", feed(prologLatin9, latin9, 300, 300, ""), "Lycée Élan - œuvre", nil, ""},
		{"ISO-8859-15 declared, UTF-8 after 64 KiB", feed(prologLatin9, name, 100, 300, ""), name, []string{warnResave}, ""},
		{"undeclared, UTF-8 then windows-1252", feed("", name, 100, 100, badTail), "", nil, `UTF-8 invalide (le fichier se déclare en UTF-8, ou ne déclare pas d'encodage, mais ne l'est pas) : s'il a été enregistré en Latin-9, déclarez encoding="ISO-8859-15"`},
		{"ISO-8859-15 declared, UTF-8 then Latin-9", feed(prologLatin9, name, 100, 100, badTail), "", nil, "UTF-8 invalide : le fichier déclare l'encodage « iso-8859-15 », mais il a été lu en UTF-8 parce que ses premiers caractères accentués le sont ; il mêle donc deux encodages"},
		{"ISO-8859-15 declared, UTF-8 in the first window then Latin-9", feed(prologLatin9, name, 1, 100, badTail), "", nil, "il mêle donc deux encodages"},
		{"UTF-8 declared, windows-1252 after 64 KiB", feed(`<?xml version="1.0" encoding="UTF-8"?>`+"\n", cp1252, 100, 0, ""), "", nil, "UTF-8 invalide (le fichier se déclare en UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			require.Greater(t, len(c.data), sniffWindow)
			feed, err := ReadFeed([]Upload{bytesUpload(file, c.data)}, Options{})
			if c.refuse != "" {
				ie := assertInputError(t, err, file, c.refuse)
				tail := badTail
				if !bytes.Contains(c.data, []byte(tail)) {
					tail = cp1252
				}
				assert.Equal(t, lineOf(c.data, tail), ie.Line, "the line of the first bad byte")
				return
			}
			require.NoError(t, err)
			p := feed.Schools[uai]
			require.NotNil(t, p)
			assert.Equal(t, c.want, p.Name)
			var warn []string
			for _, w := range c.warn {
				warn = append(warn, file+" : "+w)
			}
			assertWarnings(t, warn, feed.Warnings)
		})
	}
}

// TestCharmapReaderSmallWindows: converting a single-byte stream as the scanner reads it,
// however little room is left in its window, gives the tokens of the converted whole.
func TestCharmapReaderSmallWindows(t *testing.T) {
	doc := encode(t, charmap.ISO8859_15, `<a x="€é">`+strings.Repeat("Élan œuvre àéè ", 40)+`<b>ÿ</b></a>`)
	want, err := scanTokens(decodeCharmap(charmap.ISO8859_15, doc))
	require.NoError(t, err)
	for _, window := range []int{16, 17, 18, 19, 23, 64} {
		s := newStreamScannerSize(&charmapReader{r: bytes.NewReader(doc), cm: charmap.ISO8859_15}, window)
		got, err := tokensOf(s)
		require.NoError(t, err, "window %d", window)
		assert.Equal(t, want, got, "window %d", window)
	}
}
