package campaign

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/apperr"
)

func TestParseUAI(t *testing.T) {
	tests := []struct {
		in, want, errPart string
	}{
		{"0790029C", "0790029C", ""},
		{" 0790029c ", "0790029C", ""},
		{"0860001J", "0860001J", ""},
		{"0790029D", "", "check letter is 'D', want 'C'"},
		{"079002C", "", "got 7 characters"},
		{"07900X9C", "", "character 6"},
		{"", "", "got 0 characters"},
		{"0790029I", "", "want 'C'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseUAI(tt.in)
			if tt.errPart != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, apperr.ErrInvalid)
				assert.Contains(t, err.Error(), tt.errPart)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestUAICheckLetterNeverUsesIOQ(t *testing.T) {
	for n := 0; n < 23*50; n++ {
		l, err := UAICheckLetter(fmt.Sprintf("%07d", n))
		require.NoError(t, err)
		assert.NotContains(t, "IOQ", string(l))
	}
}

func TestParseKind(t *testing.T) {
	for in, want := range map[string]Kind{
		"Collège": KindCollege, "college": KindCollege, "Lycée": KindLycee, "LYCEE": KindLycee,
		"Lycée professionnel": KindLP, "lp": KindLP, "EREA": KindOther, "": KindOther,
	} {
		assert.Equal(t, want, ParseKind(in), in)
	}
}

func TestDepartementFromUAI(t *testing.T) {
	assert.Equal(t, "79", DepartementFromUAI("0790029C"))
	assert.Equal(t, "2A", DepartementFromUAI("6200001G"))
	assert.Equal(t, "974", DepartementFromUAI("0974001X"))
}

func TestStepsDependOnEarlierSteps(t *testing.T) {
	require.Len(t, Steps, 13)
	for i, s := range Steps {
		assert.Equal(t, Step(i+1), s.Number)
		for _, d := range s.DependsOn {
			assert.Less(t, d, s.Number, "step %d depends on a later step", s.Number)
		}
	}
}

const header = "Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Statut_public_prive;Code_postal;Code_departement;Libelle_academie;Voie_generale;Voie_technologique;Voie_professionnelle;libelle_bassin_formation;Colonne_inconnue\n"

func TestReadDirectory(t *testing.T) {
	in := "\xEF\xBB\xBF" + header +
		"0790029C;Lycée Jean Macé;Lycée;Public;79000;079;Poitiers;1;1;0;Niort;x\n" +
		"0860001J;Lycée pro Réaumur;Lycée;Public;86000;086;Poitiers;0;0;1;Poitiers;x\n" +
		"0790030E;Collège sans lettre;Collège;Public;79000;079;Poitiers;;;;;x\n" + // bad check letter
		"0790031X;École Jules Ferry;Ecole;Public;79000;079;Poitiers;;;;;x\n" +
		"0330001X;Lycée Montaigne;Lycée;Public;33000;033;Bordeaux;1;1;0;;x\n" +
		"\n" +
		"0860002K;Collège Henri IV;Collège;Public;86000;086;Poitiers;;;;Châtellerault;x\n"
	var got []DirectoryRow
	sum, err := ReadDirectory("annuaire.csv", strings.NewReader(in), "poitiers", func(r DirectoryRow) error {
		got = append(got, r)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, "0790029C", got[0].School.UAI)
	assert.Equal(t, KindLycee, got[0].School.Kind)
	assert.Equal(t, "79", got[0].School.Departement)
	assert.Equal(t, "Niort", got[0].School.Bassin)
	assert.Equal(t, KindLP, got[1].School.Kind)
	assert.Equal(t, KindCollege, got[2].School.Kind)
	assert.Equal(t, 8, got[2].Line)
	assert.Equal(t, 6, sum.Rows)
	assert.Equal(t, 3, sum.Accepted)
	assert.Equal(t, 1, sum.Skipped["autre académie"])
	assert.Equal(t, 1, sum.Skipped["pas un établissement du second degré (Ecole)"])
	require.Len(t, sum.Errors, 1)
	assert.Equal(t, 4, sum.Errors[0].Line)
	assert.Equal(t, "annuaire.csv, ligne 4, champ identifiant_de_l_etablissement : ligne ignorée : l'UAI « 0790030E » se termine par E, mais la lettre de contrôle de 0790030 est D",
		sum.Errors[0].Error())
}

// TestReadDirectoryRowErrors: a refused row says, in French, where and why.
func TestReadDirectoryRowErrors(t *testing.T) {
	csv := "Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement\n" +
		"079002;Trop court;Collège\n" +
		";Sans UAI;Collège\n" +
		"0790029C;;Lycée\n"
	sum, err := ReadDirectory("annuaire.csv", strings.NewReader(csv), "", func(DirectoryRow) error { return nil })
	require.NoError(t, err)
	want := []string{
		"annuaire.csv, ligne 2, champ identifiant_de_l_etablissement : ligne ignorée : l'UAI « 079002 » n'est pas valide : 7 chiffres suivis d'une lettre de contrôle sont attendus",
		"annuaire.csv, ligne 3, champ identifiant_de_l_etablissement : ligne ignorée : l'UAI est vide",
		"annuaire.csv, ligne 4, champ nom_etablissement : ligne ignorée : l'établissement 0790029C n'a pas de nom",
	}
	got := make([]string, len(sum.Errors))
	for i, e := range sum.Errors {
		got[i] = e.Error()
	}
	assert.Equal(t, want, got)
}

func TestReadDirectoryBadFiles(t *testing.T) {
	_, err := ReadDirectory("vide.csv", strings.NewReader(""), "", func(DirectoryRow) error { return nil })
	assert.EqualError(t, err, "vide.csv, ligne 1 : fichier vide : la ligne d'en-tête de l'annuaire des établissements est attendue")
	_, err = ReadDirectory("virgules.csv", strings.NewReader("Identifiant_de_l_etablissement,Nom_etablissement\n"), "", func(DirectoryRow) error { return nil })
	assert.ErrorContains(t, err, "virgules.csv, ligne 1, champ identifiant_de_l_etablissement : colonne « identifiant_de_l_etablissement » absente")
}

func TestReadDirectoryWithoutAcademyColumnKeepsEveryRow(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement\n")
	b.WriteString("0790029C;A;Lycée\n0330001X;B;Collège\n")
	sum, err := ReadDirectory("a.csv", &b, "poitiers", func(DirectoryRow) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Accepted)
}

func TestDirectoryKind(t *testing.T) {
	tests := []struct {
		typ, nature, pro, gen, tech string
		want                        Kind
		secondary                   bool
	}{
		{"Collège", "COLLEGE", "", "", "", KindCollege, true},
		{"Lycée", "LYCEE PROFESSIONNEL", "1", "0", "0", KindLP, true},
		{"Lycée", "LYCEE PROFESSIONNEL", "", "", "", KindLP, true},
		{"Lycée", "", "1", "0", "0", KindLP, true},
		{"Lycée", "LYCEE POLYVALENT", "1", "1", "1", KindLycee, true},
		{"Lycée", "LYCEE D ENSEIGNEMENT GENERAL ET TECHNOLOGIQUE", "0", "1", "1", KindLycee, true},
		{"EREA", "", "", "", "", KindOther, true},
		{"Ecole", "ECOLE ELEMENTAIRE", "", "", "", "", false},
		{"Médico-social", "", "", "", "", "", false},
	}
	for _, tt := range tests {
		k, sec := directoryKind(tt.typ, tt.nature, tt.pro, tt.gen, tt.tech)
		assert.Equal(t, tt.want, k, "%+v", tt)
		assert.Equal(t, tt.secondary, sec, "%+v", tt)
	}
}
