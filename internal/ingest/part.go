package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/fact"
)

// Meta describes the file a part was read from. The store persists it with the part.
type Meta struct {
	Source fact.Source `json:"source"`
	File   string      `json:"file"`            // the upload's name
	Entry  string      `json:"entry,omitempty"` // the XML entry inside a zip, when zipped
	UAI    string      `json:"uai,omitempty"`
	// SchoolYear is the first calendar year of the school year (2026 for 2026-2027); 0 when
	// the file does not say (AAF feeds).
	SchoolYear int `json:"school_year,omitempty"`
	// ExportedAt is when the producing software wrote the file; ExportTimeFrom says how it was
	// obtained (one of the fact.TimeFrom* constants).
	ExportedAt     time.Time `json:"exported_at"`
	ExportTimeFrom string    `json:"export_time_from"`
	ReceivedAt     time.Time `json:"received_at"`
	SHA256         string    `json:"sha256,omitempty"` // of the upload's bytes as received
	Size           int64     `json:"size,omitempty"`   // uncompressed XML bytes read
	Warnings       []string  `json:"warnings,omitempty"`
}

func (m *Meta) warnf(format string, args ...any) {
	m.Warnings = append(m.Warnings, fmt.Sprintf(format, args...))
}

// PartVersion is the version of the parts' JSON shape; the store records it with each part.
const PartVersion = 1

// Part is what one upload yields: exactly one of the fields is set. It is the unit the store
// persists per import (as JSON) and that Build joins.
type Part struct {
	STS          *STSPart          `json:"sts,omitempty"`
	SIECLE       *SIECLEPart       `json:"siecle,omitempty"`
	Structures   *StructuresPart   `json:"siecle_structures,omitempty"`
	Nomenclature *NomenclaturePart `json:"siecle_nomenclature,omitempty"`
	Links        *LinksPart        `json:"links,omitempty"`
	ENT          *ENTPart          `json:"ent,omitempty"`
}

// Meta returns the metadata of the part's payload, or nil for an empty Part.
func (p *Part) Meta() *Meta {
	switch {
	case p == nil:
		return nil
	case p.STS != nil:
		return &p.STS.Meta
	case p.SIECLE != nil:
		return &p.SIECLE.Meta
	case p.Structures != nil:
		return &p.Structures.Meta
	case p.Nomenclature != nil:
		return &p.Nomenclature.Meta
	case p.Links != nil:
		return &p.Links.Meta
	case p.ENT != nil:
		return &p.ENT.Meta
	}
	return nil
}

// Source returns the source of the part's payload, or "" for an empty Part.
func (p *Part) Source() fact.Source {
	if m := p.Meta(); m != nil {
		return m.Source
	}
	return ""
}

// normUAI canonicalises a UAI for comparison: trimmed, upper case.
func normUAI(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// checkUAI applies the caller's expected UAI to the one a file declares. A file that does not
// declare one takes the expected UAI, with a warning; without either the file is refused.
func (o Options) checkUAI(m *Meta, file string, line int, field, uai string) error {
	uai = normUAI(uai)
	want := normUAI(o.UAI)
	switch {
	case uai == "" && want == "":
		return &apperr.InputError{File: file, Line: line, Field: field, Msg: "le fichier n'indique pas à quel établissement il se rapporte (aucun UAI)"}
	case uai == "":
		m.warnf("aucun UAI dans %s : %s retenu", field, want)
		uai = want
	case want != "" && uai != want:
		// No advice to upload it for the other school: the reader does not know whether the
		// user may (another academy, or a school outside a school admin's grant).
		return &apperr.InputError{File: file, Line: line, Field: field,
			Msg: fmt.Sprintf("ce fichier concerne l'établissement %s, pas %s : déposez l'export de %s", uai, want, want)}
	}
	m.UAI = uai
	return nil
}

// checkYear applies the caller's expected school year to the one a file declares.
func (o Options) checkYear(m *Meta, file string, line int, field, year string) error {
	year = strings.TrimSpace(year)
	if year == "" {
		if o.SchoolYear != 0 {
			m.warnf("aucune année scolaire dans %s : %d-%d retenue", field, o.SchoolYear, o.SchoolYear+1)
		} else {
			m.warnf("aucune année scolaire dans %s", field)
		}
		m.SchoolYear = o.SchoolYear
		return nil
	}
	y, ok := parseYear(year)
	if !ok {
		return &apperr.InputError{File: file, Line: line, Field: field, Msg: quoted(year) + " n'est pas une année scolaire (attendu par exemple 2026 ou 2026-2027)"}
	}
	if o.SchoolYear != 0 && y != o.SchoolYear {
		return &apperr.InputError{File: file, Line: line, Field: field,
			Msg: fmt.Sprintf("ce fichier concerne l'année scolaire %d-%d, pas %d-%d : déposez l'export de l'année %d-%d", y, y+1, o.SchoolYear, o.SchoolYear+1, o.SchoolYear, o.SchoolYear+1)}
	}
	m.SchoolYear = y
	return nil
}

// dateIssues gathers the pupils' dates that do not parse (SIECLE-BEE pupils, the links
// file's pupils and their links), to warn about a few by line, pupil and field, then count
// the rest: 5,000 bad dates must not make 5,000 warnings. A bad date of a pupil loses that
// date, never the file: refusing it for one typing error would hide every pupil.
type dateIssues struct {
	examples []string
	n        int
}

// maxDateExamples is how many bad dates are told one by one.
const maxDateExamples = 5

// dateIgnored is what becomes of a bad date that decides nothing.
const dateIgnored = "date ignorée"

// date parses the text of c, a child of an element named parent, a date of pupil; "" when
// malformed, told to b with then (what was done instead).
func (b *dateIssues) date(parent string, c *node, pupil, then string) string {
	v, ok := parseDate(c.text())
	if !ok {
		b.add(c.line, pupil, parent+"/"+c.name, c.text(), then)
	}
	return v
}

func (b *dateIssues) add(line int, pupil, field, value, then string) {
	b.n++
	if len(b.examples) == maxDateExamples {
		return
	}
	b.examples = append(b.examples, fmt.Sprintf("ligne %d, élève %s : %s %s n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA) ; %s", line, pupil, field, quoted(value), then))
}

// report adds the warnings to m.
func (b *dateIssues) report(m *Meta) {
	m.Warnings = append(m.Warnings, b.examples...)
	if rest := b.n - len(b.examples); rest > 0 {
		m.warnf("autres dates d'élèves invalides, traitées de même : %d", rest)
	}
}

// badDate is the error for a date that does not parse.
func badDate(file string, line int, field, who, value string) error {
	return &apperr.InputError{File: file, Line: line, Field: field,
		Msg: who + " : " + quoted(value) + " n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA)"}
}

func badCount(file string, line int, field, who, value string) error {
	return &apperr.InputError{File: file, Line: line, Field: field,
		Msg: who + " : " + quoted(value) + " n'est pas un effectif (nombre entier attendu)"}
}

// quoted puts a value read from a file between French quotation marks, escaped as %q would
// when it holds control characters or invalid UTF-8, so that what is wrong stays visible.
func quoted(v string) string {
	for _, r := range v {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			q := strconv.Quote(v)
			v = q[1 : len(q)-1]
			break
		}
	}
	return "« " + v + " »"
}

// dateField parses the date in child name of n, failing with the element and who it is about.
func dateField(file string, n *node, name, who string) (string, error) {
	c := n.child(name)
	if c == nil {
		return "", nil
	}
	d, ok := parseDate(c.text())
	if !ok {
		return "", badDate(file, c.line, n.name+"/"+name, who, c.text())
	}
	return d, nil
}

// countField parses a head count in child name of n; nil when absent or empty.
func countField(file string, n *node, name, who string) (*int, error) {
	c := n.child(name)
	if c == nil {
		return nil, nil
	}
	v, present, ok := parseCount(c.text())
	if !ok {
		return nil, badCount(file, c.line, n.name+"/"+name, who, c.text())
	}
	if !present {
		return nil, nil
	}
	return &v, nil
}

// appendUnique appends s unless empty or already there (small lists: linear scan).
func appendUnique(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
