package ingest

import (
	"io"
	"regexp"
	"strings"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/fact"
)

// STSPart is what an STS-Web export (sts_emp_<UAI>_<year>.xml, root STS_EDT) says: the school,
// its nomenclatures, teachers with their professeur principal assignments, and the structure
// (divisions and groups with their services).
type STSPart struct {
	Meta       Meta          `json:"meta"`
	SchoolName string        `json:"school_name,omitempty"` // UAJ/DENOM_PRINC (+ DENOM_COMPL)
	Academy    string        `json:"academy,omitempty"`     // UAJ/ACADEMIE/CODE
	YearStart  string        `json:"year_start,omitempty"`  // ANNEE_SCOLAIRE/DATE_DEBUT, YYYY-MM-DD
	YearEnd    string        `json:"year_end,omitempty"`
	Subjects   []STSSubject  `json:"subjects"`
	MEFs       []STSMEF      `json:"mefs"`
	Teachers   []STSTeacher  `json:"teachers"`
	Divisions  []STSDivision `json:"divisions"`
	Groups     []STSGroup    `json:"groups"`
}

// STSSubject is a MATIERE of the nomenclature.
type STSSubject struct {
	Code           string `json:"code"` // 6-digit code, e.g. 030201
	ManagementCode string `json:"management_code,omitempty"`
	Label          string `json:"label,omitempty"`
}

// STSMEF is a MEF (module élémentaire de formation) of the nomenclature.
type STSMEF struct {
	Code      string `json:"code"`
	Formation string `json:"formation,omitempty"`
	Label     string `json:"label,omitempty"`
}

// STSTeacher is an INDIVIDU: a teacher or another staff member.
type STSTeacher struct {
	ID          string          `json:"id"`
	Type        string          `json:"type,omitempty"` // epp (national) or local
	LastName    string          `json:"last_name,omitempty"`
	FirstName   string          `json:"first_name,omitempty"`
	Function    string          `json:"function,omitempty"` // FONCTION: ENS, DIR, ...; empty when none
	Disciplines []STSDiscipline `json:"disciplines,omitempty"`
	PP          []STSPP         `json:"pp,omitempty"`
}

// STSDiscipline is a discipline of a teacher with its weekly hours as written.
type STSDiscipline struct {
	Code  string `json:"code"`
	Label string `json:"label,omitempty"`
	Hours string `json:"hours,omitempty"`
}

// STSPP is a professeur principal assignment; dates YYYY-MM-DD, empty when open.
type STSPP struct {
	Structure string `json:"structure"` // CODE_STRUCTURE: a division code
	Start     string `json:"start,omitempty"`
	End       string `json:"end,omitempty"`
}

// STSDivision is a DIVISION (classe).
type STSDivision struct {
	Code     string       `json:"code"`
	Label    string       `json:"label,omitempty"`
	Planned  int          `json:"planned"`  // EFFECTIF_PREVU, 0 when absent
	Computed *int         `json:"computed"` // EFFECTIF_CALCULE, null when absent
	MEFs     []string     `json:"mefs,omitempty"`
	Services []STSService `json:"services,omitempty"`
}

// STSGroup is a GROUPE.
type STSGroup struct {
	Code      string       `json:"code"`
	Label     string       `json:"label,omitempty"`
	Planned   int          `json:"planned"`
	Computed  *int         `json:"computed"`
	Divisions []string     `json:"divisions,omitempty"` // DIVISION_APPARTENANCE codes as written
	MEFs      []string     `json:"mefs,omitempty"`
	Services  []STSService `json:"services,omitempty"`
}

// STSService is a SERVICE: a subject taught to a division or group, by zero or more teachers.
type STSService struct {
	Subject  string   `json:"subject"`        // CODE_MATIERE
	Mode     string   `json:"mode,omitempty"` // CODE_MOD_COURS
	Teachers []string `json:"teachers,omitempty"`
}

// ReadSTS reads an STS-Web export from r. name is the XML file's name, used in messages.
func ReadSTS(name string, r io.Reader, opt Options) (*STSPart, error) {
	d := newFastDoc(name, r, opt.Limits.withDefaults())
	defer d.release()
	root, err := d.start()
	if err != nil {
		return nil, err
	}
	if err := expectRoot(name, root, fact.SourceSTS); err != nil {
		return nil, err
	}
	return readSTS(d, opt)
}

func readSTS(d *doc, opt Options) (*STSPart, error) {
	p := &STSPart{Meta: d.meta(fact.SourceSTS)}
	sawParams := false
	err := d.each(func(parent, name string) bool {
		switch name {
		case "PARAMETRES":
			return parent == d.root
		case "INDIVIDU":
			return parent == "INDIVIDUS"
		case "DIVISION":
			return parent == "DIVISIONS"
		case "GROUPE":
			return parent == "GROUPES"
		case "MATIERE":
			return parent == "MATIERES"
		case "MEF":
			return parent == "MEFS"
		}
		return false
	}, func(n *node) error {
		switch n.name {
		case "PARAMETRES":
			sawParams = true
			return p.params(d, n, opt)
		case "INDIVIDU":
			return p.teacher(d, n)
		case "DIVISION":
			return p.division(d, n)
		case "GROUPE":
			return p.group(d, n)
		case "MATIERE":
			p.Subjects = append(p.Subjects, STSSubject{Code: n.attr("CODE"), ManagementCode: n.get("CODE_GESTION"),
				Label: firstNonEmpty(n.get("LIBELLE_LONG"), n.get("LIBELLE_EDITION"), n.get("LIBELLE_COURT"))})
		case "MEF":
			p.MEFs = append(p.MEFs, STSMEF{Code: n.attr("CODE"), Formation: n.get("FORMATION"),
				Label: firstNonEmpty(n.get("LIBELLE_LONG"), n.get("LIBELLE_EDITION"))})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawParams {
		if err := opt.checkUAI(&p.Meta, d.file, 0, "PARAMETRES/UAJ@CODE", ""); err != nil {
			return nil, err
		}
		if err := opt.checkYear(&p.Meta, d.file, 0, "PARAMETRES/ANNEE_SCOLAIRE@ANNEE", ""); err != nil {
			return nil, err
		}
	}
	if u, y, ok := stsNameInfo(d.file); ok && (u != p.Meta.UAI || (y != p.Meta.SchoolYear && p.Meta.SchoolYear != 0)) {
		p.Meta.warnf("le nom du fichier indique %s %d mais le contenu indique %s %d : le contenu l'emporte", u, y, p.Meta.UAI, p.Meta.SchoolYear)
	}
	return p, nil
}

func (p *STSPart) params(d *doc, n *node, opt Options) error {
	if src := n.child("APPLICATION_SOURCE"); src != nil {
		return &apperr.InputError{File: d.file, Line: src.line, Field: "PARAMETRES/APPLICATION_SOURCE",
			Msg: "ce fichier vient d'un logiciel d'emploi du temps d'un éditeur privé, pas de STS-Web : exportez-le depuis STS-Web, menu Exports > Emploi du temps"}
	}
	uaj := n.child("UAJ")
	uai, line := "", n.line
	if uaj != nil {
		uai, line = uaj.attr("CODE"), uaj.line
		if uai == "" {
			uai = uaj.get("CODE") // tolerate the code as a child element
		}
		p.SchoolName = strings.TrimSpace(uaj.get("DENOM_PRINC") + " " + uaj.get("DENOM_COMPL"))
		if ac := uaj.child("ACADEMIE"); ac != nil {
			p.Academy = ac.get("CODE")
		}
	}
	year, yearLine := "", n.line
	if ay := n.child("ANNEE_SCOLAIRE"); ay != nil {
		year, yearLine = ay.attr("ANNEE"), ay.line
		if year == "" {
			year = ay.text()
		}
		var err error
		if p.YearStart, err = dateField(d.file, ay, "DATE_DEBUT", "année scolaire"); err != nil {
			return err
		}
		if p.YearEnd, err = dateField(d.file, ay, "DATE_FIN", "année scolaire"); err != nil {
			return err
		}
	}
	if err := opt.checkUAI(&p.Meta, d.file, line, "PARAMETRES/UAJ@CODE", uai); err != nil {
		return err
	}
	if err := opt.checkYear(&p.Meta, d.file, yearLine, "PARAMETRES/ANNEE_SCOLAIRE@ANNEE", year); err != nil {
		return err
	}
	// No export time is attested in STS files; take one if a future version carries it.
	for _, f := range []string{"HORODATAGE", "DATE_EXPORT"} {
		if v := n.get(f); v != "" {
			if t, ok := parseStamp(v); ok {
				p.Meta.ExportedAt, p.Meta.ExportTimeFrom = t, fact.TimeFromContent
				break
			}
		}
	}
	return nil
}

func (p *STSPart) teacher(d *doc, n *node) error {
	t := STSTeacher{ID: n.attr("ID"), Type: n.attr("TYPE"),
		LastName: firstNonEmpty(n.get("NOM_USAGE"), n.get("NOM_PATRONYMIQUE")), FirstName: n.get("PRENOM"),
		Function: n.get("FONCTION")}
	if t.ID == "" {
		return &apperr.InputError{File: d.file, Line: n.line, Field: "INDIVIDU@ID", Msg: "un enseignant n'a pas d'identifiant"}
	}
	for _, dn := range n.path("DISCIPLINES", "DISCIPLINE") {
		t.Disciplines = append(t.Disciplines, STSDiscipline{Code: dn.attr("CODE"), Label: dn.get("LIBELLE_COURT"), Hours: dn.get("NB_HEURES")})
	}
	var err error
	n.walk(func(c *node) {
		if c.name != "PROF_PRINC" || err != nil {
			return
		}
		who := "enseignant " + t.ID
		pp := STSPP{Structure: firstNonEmpty(c.get("CODE_STRUCTURE"), c.attr("CODE_STRUCTURE"))}
		if pp.Start, err = dateField(d.file, c, "DATE_DEBUT", who); err != nil {
			return
		}
		if pp.End, err = dateField(d.file, c, "DATE_FIN", who); err != nil {
			return
		}
		if pp.Structure != "" {
			t.PP = append(t.PP, pp)
		}
	})
	if err != nil {
		return err
	}
	p.Teachers = append(p.Teachers, t)
	return nil
}

func (p *STSPart) division(d *doc, n *node) error {
	code := n.attr("CODE")
	if code == "" {
		return &apperr.InputError{File: d.file, Line: n.line, Field: "DIVISION@CODE", Msg: "une division n'a pas de code"}
	}
	who := "division " + code
	planned, err := countField(d.file, n, "EFFECTIF_PREVU", who)
	if err != nil {
		return err
	}
	computed, err := countField(d.file, n, "EFFECTIF_CALCULE", who)
	if err != nil {
		return err
	}
	services, err := stsServices(d, n, who)
	if err != nil {
		return err
	}
	p.Divisions = append(p.Divisions, STSDivision{Code: code, Label: n.get("LIBELLE_LONG"), Planned: deref(planned),
		Computed: computed, MEFs: memberships(n, "MEFS_APPARTENANCE", "CODE_MEF"), Services: services})
	return nil
}

func (p *STSPart) group(d *doc, n *node) error {
	code := n.attr("CODE")
	if code == "" {
		return &apperr.InputError{File: d.file, Line: n.line, Field: "GROUPE@CODE", Msg: "un groupe n'a pas de code"}
	}
	who := "groupe " + code
	planned, err := countField(d.file, n, "EFFECTIF_PREVU", who)
	if err != nil {
		return err
	}
	computed, err := countField(d.file, n, "EFFECTIF_CALCULE", who)
	if err != nil {
		return err
	}
	services, err := stsServices(d, n, who)
	if err != nil {
		return err
	}
	p.Groups = append(p.Groups, STSGroup{Code: code, Label: n.get("LIBELLE_LONG"), Planned: deref(planned), Computed: computed,
		Divisions: memberships(n, "DIVISIONS_APPARTENANCE", "CODE_STRUCTURE"),
		MEFs:      memberships(n, "MEFS_APPARTENANCE", "CODE_MEF"), Services: services})
	return nil
}

// memberships reads the codes of a *_APPARTENANCE list: each child carries its code as a CODE
// attribute (STS) or as a child element (SIECLE Structures.xml, some variants).
func memberships(n *node, list, codeElem string) []string {
	var out []string
	for _, l := range n.all(list) {
		for _, m := range l.kids {
			out = appendUnique(out, firstNonEmpty(m.attr("CODE"), m.get(codeElem), m.get("CODE"), m.text()))
		}
	}
	return out
}

func stsServices(d *doc, n *node, who string) ([]STSService, error) {
	var out []STSService
	for _, s := range n.path("SERVICES", "SERVICE") {
		sv := STSService{Subject: firstNonEmpty(s.attr("CODE_MATIERE"), s.get("CODE_MATIERE")),
			Mode: firstNonEmpty(s.attr("CODE_MOD_COURS"), s.get("CODE_MOD_COURS"))}
		if sv.Subject == "" {
			return nil, &apperr.InputError{File: d.file, Line: s.line, Field: "SERVICE@CODE_MATIERE", Msg: who + " : un service n'a pas de matière"}
		}
		for _, e := range s.path("ENSEIGNANTS", "ENSEIGNANT") {
			sv.Teachers = appendUnique(sv.Teachers, firstNonEmpty(e.attr("ID"), e.get("ID")))
		}
		out = append(out, sv)
	}
	return out, nil
}

var stsNameRE = regexp.MustCompile(`(?i)^sts_emp_([0-9]{7}[a-z])_([0-9]{4})`)

// stsNameInfo reads the UAI and year of an sts_emp_<UAI>_<year> file name.
func stsNameInfo(name string) (string, int, bool) {
	m := stsNameRE.FindStringSubmatch(baseName(name))
	if m == nil {
		return "", 0, false
	}
	y, _ := parseYear(m[2])
	return strings.ToUpper(m[1]), y, true
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// baseName strips directories (either slash) from a name.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		return name[i+1:]
	}
	return name
}
