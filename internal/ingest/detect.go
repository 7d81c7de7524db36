package ingest

import (
	"fmt"
	"strings"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/fact"
)

// rootSources maps the root element of each readable format to its source.
var rootSources = map[string]fact.Source{
	"STS_EDT":           fact.SourceSTS,
	"BEE_ELEVES":        fact.SourceSIECLE,
	"BEE_STRUCTURES":    fact.SourceStructures,
	"BEE_NOMENCLATURES": fact.SourceNomenclature,
	"IMPORT_ELEVES":     fact.SourceLinks,
	"ficAlimMENESR":     fact.SourceENT,
}

// sourceNames says in words what each source's file is, for messages.
var sourceNames = map[fact.Source]string{
	fact.SourceSTS:          "an STS-Web export (sts_emp_<UAI>_<year>.xml, root STS_EDT)",
	fact.SourceSIECLE:       "a SIECLE-BEE pupil export (ElevesSansAdresses.xml or ElevesAvecAdresses.xml, root BEE_ELEVES)",
	fact.SourceStructures:   "a SIECLE-BEE structure export (Structures.xml, root BEE_STRUCTURES)",
	fact.SourceNomenclature: "a SIECLE-BEE nomenclature export (Nomenclature.xml, root BEE_NOMENCLATURES)",
	fact.SourceLinks:        "a timetable pupil-group links file (<UAI>ELEGROUPE<digits>.xml, root IMPORT_ELEVES)",
	fact.SourceENT:          "a federating directory feed file (AAF, root ficAlimMENESR)",
}

// otherRoots describes files people upload by mistake.
var otherRoots = map[string]string{
	"EDT_STS":          "the timetable software's export to STS-Web, not the STS-Web export sts_emp: export it from STS-Web, menu Exports > Emploi du temps",
	"BEE_RESPONSABLES": "a SIECLE-BEE export of parents (ResponsablesAvecAdresses.xml), which Vigie does not use",
	"BEE_COMMUN":       "a SIECLE-BEE common data export, which Vigie does not use",
	"TABLE":            "an export of the timetable software's own tables (EXP_*.xml), not its pupil-group links export to SIECLE",
	"html":             "a web page, not an export: download the file itself",
	"HTML":             "a web page, not an export: download the file itself",
	"Workbook":         "a spreadsheet (Excel XML), not an export",
	"svg":              "an image, not an export",
}

// describeRoot says what a document with that root element is.
func describeRoot(root string) string {
	if s, ok := rootSources[root]; ok {
		return sourceNames[s]
	}
	if d, ok := otherRoots[root]; ok {
		return d
	}
	if strings.HasPrefix(root, "GAR-ENT") {
		return "an ENT export to the GAR (" + root + "), which Vigie does not read: upload the federating directory feed (AAF) instead"
	}
	return fmt.Sprintf("an XML document with root element <%s>, which is none of the exports Vigie reads", root)
}

// sourceOf returns the source a root element belongs to, or an error saying what it is.
func sourceOf(file, root string) (fact.Source, error) {
	if s, ok := rootSources[root]; ok {
		return s, nil
	}
	return "", &apperr.InputError{File: file, Line: 1, Field: root, Msg: "this is " + describeRoot(root)}
}

// expectRoot checks that a root element is the one of the wanted source.
func expectRoot(file, root string, want fact.Source) error {
	got, err := sourceOf(file, root)
	if err != nil {
		if want != "" {
			err.(*apperr.InputError).Msg = fmt.Sprintf("expected %s, but this is %s", sourceNames[want], describeRoot(root))
		}
		return err
	}
	if want != "" && got != want {
		return &apperr.InputError{File: file, Line: 1, Field: root,
			Msg: fmt.Sprintf("expected %s, but this is %s", sourceNames[want], sourceNames[got])}
	}
	return nil
}
