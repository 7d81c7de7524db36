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

// sourceNames says in words what each source's file is, for messages (in French, like them).
var sourceNames = map[fact.Source]string{
	fact.SourceSTS:          "un export STS-Web (sts_emp_<UAI>_<année>.xml, racine STS_EDT)",
	fact.SourceSIECLE:       "un export des élèves de SIECLE-BEE (ElevesSansAdresses.xml ou ElevesAvecAdresses.xml, racine BEE_ELEVES)",
	fact.SourceStructures:   "un export des structures de SIECLE-BEE (Structures.xml, racine BEE_STRUCTURES)",
	fact.SourceNomenclature: "un export des nomenclatures de SIECLE-BEE (Nomenclature.xml, racine BEE_NOMENCLATURES)",
	fact.SourceLinks:        "un fichier de liens élèves-groupes du logiciel d'emploi du temps (<UAI>ELEGROUPE<chiffres>.xml, racine IMPORT_ELEVES)",
	fact.SourceENT:          "un fichier d'alimentation de l'annuaire fédérateur (AAF, racine ficAlimMENESR)",
}

// otherRoots describes files people upload by mistake.
var otherRoots = map[string]string{
	"EDT_STS":          "l'export du logiciel d'emploi du temps vers STS-Web, pas l'export sts_emp de STS-Web : exportez-le depuis STS-Web, menu Exports > Emploi du temps",
	"BEE_RESPONSABLES": "un export des responsables (parents) de SIECLE-BEE (ResponsablesAvecAdresses.xml), que Vigie n'utilise pas",
	"BEE_COMMUN":       "un export des données communes de SIECLE-BEE, que Vigie n'utilise pas",
	"TABLE":            "un export des tables internes du logiciel d'emploi du temps (EXP_*.xml), pas son export des liens élèves-groupes vers SIECLE",
	"html":             "une page web, pas un export : téléchargez le fichier lui-même",
	"HTML":             "une page web, pas un export : téléchargez le fichier lui-même",
	"Workbook":         "un classeur de tableur (Excel XML), pas un export",
	"svg":              "une image, pas un export",
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
		return "un export de l'ENT vers le GAR (" + root + "), que Vigie ne lit pas : déposez plutôt le fichier d'alimentation de l'annuaire fédérateur (AAF)"
	}
	return fmt.Sprintf("un document XML dont l'élément racine est <%s>, qui n'est aucun des exports que lit Vigie", root)
}

// sourceOf returns the source a root element belongs to, or an error saying what it is.
func sourceOf(file, root string) (fact.Source, error) {
	if s, ok := rootSources[root]; ok {
		return s, nil
	}
	return "", &apperr.InputError{File: file, Line: 1, Field: root, Msg: "ce fichier est " + describeRoot(root)}
}

// expectRoot checks that a root element is the one of the wanted source.
func expectRoot(file, root string, want fact.Source) error {
	got, err := sourceOf(file, root)
	if err != nil {
		if want != "" {
			err.(*apperr.InputError).Msg = wrongKind(want, describeRoot(root))
		}
		return err
	}
	if want != "" && got != want {
		return &apperr.InputError{File: file, Line: 1, Field: root, Msg: wrongKind(want, sourceNames[got])}
	}
	return nil
}

// wrongKind says which kind of file was expected and what this one is.
func wrongKind(want fact.Source, is string) string {
	return fmt.Sprintf("il faut ici %s, mais c'est %s", sourceNames[want], is)
}
