package campaign

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// DirectoryRow is one school of the national school directory ("Annuaire de l'éducation"
// open-data export), reduced to what Vigie keeps.
type DirectoryRow struct {
	Line    int
	School  School
	Academy string // Libelle_academie, when the file has it
	Type    string // Type_etablissement as written
}

// DirectorySummary counts what ReadDirectory saw.
type DirectorySummary struct {
	Rows     int
	Accepted int
	Skipped  map[string]int // reason -> count (rows deliberately left out: other academy, primary school...)
	Errors   []*apperr.InputError
}

// directory columns, by their names in the open-data export.
const (
	colUAI         = "identifiant_de_l_etablissement"
	colName        = "nom_etablissement"
	colType        = "type_etablissement"
	colDepartement = "code_departement"
	colAcademy     = "libelle_academie"
	colBassin      = "libelle_bassin_formation"
	colVoiePro     = "voie_professionnelle"
	colVoieGen     = "voie_generale"
	colVoieTech    = "voie_technologique"
	colNature      = "libelle_nature" // "LYCEE PROFESSIONNEL", "COLLEGE", "LYCEE POLYVALENT"...
)

// ReadDirectory reads the national school directory CSV (';'-separated, UTF-8 with or without
// BOM) and calls keep for each secondary school (collège, lycée, LP; EREA as other). Unknown
// columns are ignored; a bad row is reported by line number in the summary and skipped without
// losing the others. When academy is not empty and the file has a Libelle_academie column,
// rows of other academies are skipped. keep may return an error to stop.
func ReadDirectory(name string, r io.Reader, academy string, keep func(DirectoryRow) error) (DirectorySummary, error) {
	sum := DirectorySummary{Skipped: map[string]int{}}
	br := bufio.NewReaderSize(r, 1<<16)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return sum, apperr.Input(name, 1, "", "fichier vide : la ligne d'en-tête de l'annuaire des établissements est attendue")
		}
		return sum, &apperr.InputError{File: name, Line: 1, Msg: "ligne d'en-tête illisible", Err: err}
	}
	idx := map[string]int{}
	for i, h := range header {
		idx[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, c := range []string{colUAI, colName, colType} {
		if _, ok := idx[c]; !ok {
			return sum, apperr.Input(name, 1, c, "colonne « %s » absente : est-ce bien l'export de l'« Annuaire de l'éducation », séparé par des « ; » ?", c)
		}
	}
	wantAcademy := fold(academy)
	get := func(rec []string, col string) string {
		if i, ok := idx[col]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			sum.Rows++
			sum.Errors = append(sum.Errors, &apperr.InputError{File: name, Line: line, Msg: "ligne CSV illisible", Err: err})
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		sum.Rows++
		if wantAcademy != "" {
			if a := get(rec, colAcademy); a != "" && !academyMatches(fold(a), wantAcademy) {
				sum.Skipped["autre académie"]++
				continue
			}
		}
		typ := get(rec, colType)
		kind, secondary := directoryKind(typ, get(rec, colNature), get(rec, colVoiePro), get(rec, colVoieGen), get(rec, colVoieTech))
		if !secondary {
			sum.Skipped["pas un établissement du second degré ("+typ+")"]++
			continue
		}
		sc := School{
			UAI: get(rec, colUAI), Name: get(rec, colName), Kind: kind,
			Departement: strings.TrimLeft(get(rec, colDepartement), "0"), Bassin: get(rec, colBassin),
		}
		if len(sc.Departement) == 1 {
			sc.Departement = "0" + sc.Departement // "01" .. "09" keep their zero
		}
		if err := sc.Validate(); err != nil {
			sum.Errors = append(sum.Errors, rowError(name, line, sc, err))
			continue
		}
		sum.Accepted++
		if err := keep(DirectoryRow{Line: line, School: sc, Academy: get(rec, colAcademy), Type: typ}); err != nil {
			return sum, fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	return sum, nil
}

// rowError says in French why School.Validate (whose errors, in English, are for the API)
// refuses a row.
func rowError(name string, line int, sc School, err error) *apperr.InputError {
	if _, uerr := ParseUAI(sc.UAI); uerr != nil {
		return apperr.Input(name, line, colUAI, "ligne ignorée : %s", uaiFault(sc.UAI))
	}
	if strings.TrimSpace(sc.Name) == "" {
		return apperr.Input(name, line, colName, "ligne ignorée : l'établissement %s n'a pas de nom", sc.UAI)
	}
	return &apperr.InputError{File: name, Line: line, Msg: "ligne ignorée", Err: err}
}

// uaiFault says what is wrong with a UAI that ParseUAI refuses.
func uaiFault(s string) string {
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "" {
		return "l'UAI est vide"
	}
	if len(u) == 8 {
		if want, err := UAICheckLetter(u[:7]); err == nil && u[7] != want {
			return fmt.Sprintf("l'UAI « %s » se termine par %c, mais la lettre de contrôle de %s est %c", s, u[7], u[:7], want)
		}
	}
	return fmt.Sprintf("l'UAI « %s » n'est pas valide : 7 chiffres suivis d'une lettre de contrôle sont attendus", s)
}

// directoryKind maps Type_etablissement to a kind, and tells whether the school is a secondary
// school Vigie follows. The directory says "Lycée" for a lycée professionnel too: its nature
// ("LYCEE PROFESSIONNEL") or its only "voie" being professional tells them apart.
func directoryKind(typ, nature, voiePro, voieGen, voieTech string) (Kind, bool) {
	t := fold(typ)
	switch {
	case strings.HasPrefix(t, "college"):
		return KindCollege, true
	case strings.HasPrefix(t, "lycee"):
		if strings.Contains(t, "professionnel") || strings.Contains(fold(nature), "professionnel") ||
			(voiePro == "1" && voieGen != "1" && voieTech != "1") {
			return KindLP, true
		}
		return KindLycee, true
	case strings.HasPrefix(t, "erea"):
		return KindOther, true
	default:
		return "", false
	}
}

func academyMatches(label, want string) bool {
	label = strings.TrimPrefix(label, "academie de ")
	label = strings.TrimPrefix(label, "academie d'")
	want = strings.TrimPrefix(want, "academie de ")
	return label == want || strings.ReplaceAll(label, " ", "-") == want
}

// fold lower-cases French text and removes its accents, for comparisons.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.TrimSpace(s)) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if r == '’' {
			r = '\''
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
