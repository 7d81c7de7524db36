package ingest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// assertInputError checks that err is an *apperr.InputError naming file, whose text has want.
func assertInputError(t *testing.T, err error, file, want string) *apperr.InputError {
	t.Helper()
	require.Error(t, err)
	ie, ok := errors.AsType[*apperr.InputError](err)
	require.True(t, ok, "want an *apperr.InputError, got %T: %v", err, err)
	assert.True(t, errors.Is(err, apperr.ErrInvalid))
	assert.Equal(t, file, ie.File, "the error names the file: %v", err)
	assert.Contains(t, err.Error(), want)
	return ie
}

// TestWrongSchoolText: what a school admin reads, whole, when the file is another school's.
func TestWrongSchoolText(t *testing.T) {
	_, err := Read(bytesUpload("sts_emp_0790029C_2026.xml", readTestdata(t, "sts_emp_0790029C_2026.xml")), Options{UAI: "0860001J"})
	ie := assertInputError(t, err, "sts_emp_0790029C_2026.xml", "0790029C")
	assert.Equal(t, 5, ie.Line)
	assert.Equal(t, "PARAMETRES/UAJ@CODE", ie.Field)
	assert.Equal(t, "sts_emp_0790029C_2026.xml, ligne 5, champ PARAMETRES/UAJ@CODE : ce fichier concerne l'établissement 0790029C, "+
		"pas 0860001J : déposez l'export de 0860001J", err.Error(), "no advice to upload it for a school the user may not reach")
}

// TestSyntaxErrorsInFrench: the scanner words its errors as encoding/xml does; what the user
// reads is their French translation, at the line of the fault.
func TestSyntaxErrorsInFrench(t *testing.T) {
	cases := []struct {
		desc, body, want string
		doc              string // the whole document, when not the body inside a root element
	}{
		{"name after <", "<X>a < b</X>", "nom d'élément attendu après « < »", ""},
		{"name after </", "<X></ >", "nom d'élément attendu après « </ »", ""},
		{"target after <?", "<X><? ?></X>", "nom d'instruction attendu après « <? »", ""},
		{"self-closing", "<X/ >", "« /> » attendu dans la balise", ""},
		{"attribute name", `<X ="1"/>`, "nom d'attribut attendu dans la balise", ""},
		{"attribute without =", `<X a/>`, "attribut sans « = » dans la balise", ""},
		{"unquoted attribute", `<X a=1/>`, "valeur d'attribut absente ou sans guillemets dans la balise", ""},
		{"]]> in text", "<X>a]]>b</X>", "« ]]> » hors d'une section CDATA", ""},
		{"< in attribute", `<X a="<"/>`, "« < » dans une valeur d'attribut", ""},
		{"<![ sequence", "<X><![X[a]]></X>", "séquence « <![ » invalide", ""},
		{"<!- sequence", "<X><!-a--></X>", "séquence « <!- » invalide", ""},
		{"-- in comment", "<X><!-- a -- b --></X>", "« -- » interdit dans un commentaire", ""},
		{"entity without semicolon", "<X>a &amp b</X>", "entité « &amp b » sans point-virgule final (un « & » seul s'écrit « &amp; »)", ""},
		{"illegal character", "<X>a\x01</X>", "caractère interdit en XML : U+0001", ""},
		{"mismatched end", "<X></Y>", "l'élément <X> est fermé par </Y>", ""},
		{"end without start", "", "balise fermante </Y> sans balise ouvrante", "<BEE_ELEVES/>\n</Y>"},
		{"characters in end tag", "<X></X y>", "caractères invalides entre « </X » et « > »", ""},
		{"truncated CDATA", "", "le fichier est tronqué (fin de fichier inattendue dans une section CDATA)", "<BEE_ELEVES>\n<X><![CDATA[abc"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			doc := c.doc
			if doc == "" {
				doc = "<BEE_ELEVES>\n" + c.body + "\n</BEE_ELEVES>"
			}
			_, err := Read(bytesUpload("e.xml", []byte(doc)), Options{})
			ie := assertInputError(t, err, "e.xml", "XML mal formé : "+c.want)
			assert.Equal(t, 2, ie.Line, "line: %v", err)
		})
	}
}
