package apperr

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestInputErrorText: the text school staff read names what is known of the place, in French.
func TestInputErrorText(t *testing.T) {
	cases := []struct {
		desc string
		err  *InputError
		want string
	}{
		{"file, line and field", &InputError{File: "sts_emp_0860001A_2026.xml", Line: 12, Field: "DIVISION@CODE", Msg: "une division n'a pas de code"},
			"sts_emp_0860001A_2026.xml, ligne 12, champ DIVISION@CODE : une division n'a pas de code"},
		{"file and line", &InputError{File: "e.xml", Line: 4, Msg: "XML mal formé"}, "e.xml, ligne 4 : XML mal formé"},
		{"file and field", &InputError{File: "e.xml", Field: "PARAMETRES/UAJ", Msg: "aucun UAI"}, "e.xml, champ PARAMETRES/UAJ : aucun UAI"},
		{"file only", &InputError{File: "x.zip", Msg: "l'archive zip est vide"}, "x.zip : l'archive zip est vide"},
		{"line only", &InputError{Line: 3, Msg: "trop long"}, "ligne 3 : trop long"},
		{"nothing known", &InputError{Msg: "fichier vide"}, "fichier vide"},
		{"cause", &InputError{File: "x.zip", Msg: "archive zip illisible", Err: errors.New("zip: not a valid zip file")},
			"x.zip : archive zip illisible (détail technique : zip: not a valid zip file)"},
		{"sentinel cause", &InputError{File: "x.xml", Msg: "le contenu dépasse la limite", Err: ErrTooLarge}, "x.xml : le contenu dépasse la limite"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			assert.Equal(t, c.want, c.err.Error())
		})
	}
}

func TestInputErrorMatches(t *testing.T) {
	err := &InputError{File: "x.xml", Msg: "trop gros", Err: ErrTooLarge}
	assert.ErrorIs(t, err, ErrInvalid)
	assert.ErrorIs(t, err, ErrTooLarge, "the cause is kept for errors.Is even when not shown")
	assert.NotErrorIs(t, Input("x.xml", 0, "", "vide"), ErrTooLarge)
}
