// Package campaign owns the domain of the yearly directory campaign: academies (tenants),
// schools (UAI), their kinds, the 13 operations of a school year from the STS-Web rollover to
// the federating directory feed, and the pure logic around them. It does no I/O.
package campaign

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // the zone database, so that Europe/Paris loads on minimal images

	"github.com/vigie-edu/vigie/internal/apperr"
)

// Academy is a tenant: one académie (e.g. code "poitiers").
type Academy struct {
	ID        int64
	Code      string
	Name      string
	CreatedAt time.Time
}

// ValidateAcademyCode checks an academy code: 2 to 32 lower-case ASCII letters, digits or '-'.
func ValidateAcademyCode(code string) error {
	if len(code) < 2 || len(code) > 32 {
		return apperr.Invalid("academy code %q: want 2 to 32 characters", code)
	}
	for _, r := range code {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return apperr.Invalid("academy code %q: only lower-case letters, digits and '-'", code)
		}
	}
	return nil
}

// Kind is the kind of school.
type Kind string

// School kinds.
const (
	KindCollege Kind = "college" // collège
	KindLycee   Kind = "lycee"   // lycée général et technologique, LPO
	KindLP      Kind = "lp"      // lycée professionnel
	KindOther   Kind = "other"
)

// ParseKind accepts the Vigie kinds and the labels of the national school directory
// ("Collège", "Lycée", "Lycée professionnel", ...).
func ParseKind(s string) Kind {
	t := fold(s)
	switch {
	case t == "college" || strings.HasPrefix(t, "college"):
		return KindCollege
	case t == "lp" || strings.Contains(t, "professionnel") || strings.HasPrefix(t, "lycee pro"):
		return KindLP
	case t == "lycee" || strings.HasPrefix(t, "lycee") || t == "lgt" || t == "lpo":
		return KindLycee
	default:
		return KindOther
	}
}

// Label is the French label of a kind.
func (k Kind) Label() string {
	switch k {
	case KindCollege:
		return "Collège"
	case KindLycee:
		return "Lycée"
	case KindLP:
		return "Lycée professionnel"
	default:
		return "Autre"
	}
}

// School is an établissement of an academy.
type School struct {
	ID          int64
	AcademyID   int64
	UAI         string
	Name        string
	Kind        Kind
	Departement string // code du département, e.g. "79", "2A", "974"
	Bassin      string // bassin de formation, optional
	// UsesGroups overrides the default (lycées and LP use groups, collèges do not) when set.
	UsesGroups *bool
	UpdatedAt  time.Time
}

// UsesGroupsEffective tells whether the school is expected to have groups.
func (s School) UsesGroupsEffective() bool {
	if s.UsesGroups != nil {
		return *s.UsesGroups
	}
	return s.Kind == KindLycee || s.Kind == KindLP
}

// Validate checks a school's fields and canonicalises its UAI.
func (s *School) Validate() error {
	u, err := ParseUAI(s.UAI)
	if err != nil {
		return err
	}
	s.UAI = u
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		return apperr.Invalid("school %s: empty name", s.UAI)
	}
	switch s.Kind {
	case KindCollege, KindLycee, KindLP, KindOther:
	case "":
		s.Kind = KindOther
	default:
		return apperr.Invalid("school %s: unknown kind %q", s.UAI, s.Kind)
	}
	if s.Departement == "" {
		s.Departement = DepartementFromUAI(s.UAI)
	}
	return nil
}

// DepartementFromUAI guesses the département from the UAI's first three digits
// ("079" -> "79", "0971" overseas -> "971", Corsica "620"/"720" -> "2A"/"2B").
func DepartementFromUAI(uai string) string {
	if len(uai) < 3 {
		return ""
	}
	switch uai[:3] {
	case "620":
		return "2A"
	case "720":
		return "2B"
	case "097":
		if len(uai) >= 4 {
			return "97" + uai[3:4]
		}
	}
	return strings.TrimPrefix(uai[:3], "0")
}

// Step is one of the 13 operations of a school year (numbers as in the source document).
type Step int

// StepInfo describes a step.
type StepInfo struct {
	Number Step
	Title  string // French
	System string // the software where it happens
	Note   string // French
	// DependsOn lists the steps that must be done first.
	DependsOn []Step
}

// SystemAcademy is the System of the steps the academy does, not the school.
const SystemAcademy = "Académie"

// Attestable tells whether a school admin may attest the step: only the school's own steps.
// A step the academy does (sending the nomenclatures, feeding the federating directory) is
// not the school's to declare done.
func (i StepInfo) Attestable() bool { return i.System != SystemAcademy }

// Steps are the 13 operations, in order.
var Steps = []StepInfo{
	{1, "Bascule d'année", "STS-Web", "Ne pas reconduire les groupes gérés dans le logiciel d'emploi du temps.", nil},
	{2, "Envoi des nomenclatures par l'académie", SystemAcademy, "", []Step{1}},
	{3, "Sélection des nomenclatures (formations, matières)", "SIECLE", "", []Step{2}},
	{4, "Profilage des nomenclatures", "SIECLE", "Transmet les nomenclatures à STS-Web et initialise SIECLE-BEE.", []Step{3}},
	{5, "Vérification des divisions", "STS-Web", "Créer, modifier ou supprimer les divisions.", []Step{4}},
	{6, "Mise à jour de SIECLE-BEE (export des structures et services)", "STS-Web", "Après chaque modification dans STS-Web.", []Step{5}},
	{7, "Inscription des élèves", "SIECLE-BEE", "Ne jamais recréer un élève déjà présent dans la base.", []Step{6}},
	{8, "Export STS-Web vers le logiciel d'emploi du temps", "STS-Web", "Avant la rentrée ; essentiel pour les comptes ENT.", []Step{5}},
	{9, "Export SIECLE-BEE vers le logiciel d'emploi du temps", "SIECLE-BEE", "Nécessaire pour l'étape 12.", []Step{7}},
	{10, "Élaboration de l'emploi du temps et création des groupes", "EDT", "", []Step{8, 9}},
	{11, "Export de l'emploi du temps vers STS-Web", "EDT", "Un seul fichier XML pour la structure et les services ; peut être répété.", []Step{10}},
	{12, "Export des liens élèves-groupes vers SIECLE-BEE", "EDT → SIECLE-BEE", "Liens visibles le lendemain (traitement de nuit).", []Step{11, 9}},
	{13, "Alimentation automatique de l'annuaire fédérateur", SystemAcademy, "Puis l'ENT, puis le GAR à J+1.", []Step{12}},
}

// Info returns the description of a step.
func (s Step) Info() (StepInfo, error) {
	if s < 1 || int(s) > len(Steps) {
		return StepInfo{}, apperr.Invalid("campaign step %d: want 1 to %d", int(s), len(Steps))
	}
	return Steps[s-1], nil
}

// String returns "étape N".
func (s Step) String() string { return fmt.Sprintf("étape %d", int(s)) }

// AcademyDisplayName turns an academy code into a name: "clermont-ferrand" -> "Clermont-Ferrand".
func AcademyDisplayName(code string) string {
	b := []byte(code)
	up := true
	for i, c := range b {
		if up && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		up = c == '-' || c == ' '
	}
	return string(b)
}

// Paris is the time zone of French schools' calendars. Vigie also runs for overseas
// academies; their campaign calendars carry their own deadlines, but the national handover
// clock is Paris time.
var Paris = mustLocation("Europe/Paris")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("campaign: time zone %s: %v", name, err)) // cannot happen: time/tzdata is embedded
	}
	return loc
}

// SchoolYearOf returns the school year (its first calendar year) in progress at t: from
// 1 August, the new school year's campaign has begun.
func SchoolYearOf(t time.Time) int {
	p := t.In(Paris)
	if p.Month() >= time.August {
		return p.Year()
	}
	return p.Year() - 1
}
