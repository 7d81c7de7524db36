package ingest

import (
	"io"
	"strings"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/fact"
)

// SIECLEPart is what a SIECLE-BEE pupil export (ElevesSansAdresses.xml or
// ElevesAvecAdresses.xml, root BEE_ELEVES) says: every pupil, left ones included, with the
// divisions and groups the STRUCTURES section links them to. Whether a pupil is active is
// decided by Build at its as-of date, so the dates are kept as written.
type SIECLEPart struct {
	Meta    Meta          `json:"meta"`
	Version string        `json:"version,omitempty"` // BEE_ELEVES@VERSION
	Pupils  []SIECLEPupil `json:"pupils"`
	// Orphans counts STRUCTURES_ELEVE blocks whose ELEVE_ID has no ELEVE: links to nobody.
	Orphans int `json:"orphans,omitempty"`
}

// SIECLEPupil is an ELEVE joined with its STRUCTURES_ELEVE blocks on ELEVE_ID.
type SIECLEPupil struct {
	ID        string   `json:"id"`                // ELEVE_ID
	ENOET     string   `json:"elenoet,omitempty"` // ELENOET
	INE       string   `json:"ine,omitempty"`     // ID_NATIONAL (else INE_RNIE, INE_BEA)
	LastName  string   `json:"last_name"`
	FirstName string   `json:"first_name"`
	BirthDate string   `json:"birth_date,omitempty"` // YYYY-MM-DD
	MEF       string   `json:"mef,omitempty"`
	EntryDate string   `json:"entry_date,omitempty"`
	ExitDate  string   `json:"exit_date,omitempty"` // DATE_SORTIE; empty while the pupil is here
	Divisions []string `json:"divisions,omitempty"` // TYPE_STRUCTURE D codes as written
	Groups    []string `json:"groups,omitempty"`    // TYPE_STRUCTURE G codes as written
}

// ReadSIECLE reads a SIECLE-BEE pupil export from r.
func ReadSIECLE(name string, r io.Reader, opt Options) (*SIECLEPart, error) {
	d := newFastDoc(name, r, opt.Limits.withDefaults())
	defer d.release()
	root, err := d.start()
	if err != nil {
		return nil, err
	}
	if err := expectRoot(name, root, fact.SourceSIECLE); err != nil {
		return nil, err
	}
	return readSIECLE(d, opt)
}

// beeParams reads the header common to every BEE file: UAJ and ANNEE_SCOLAIRE as element
// text, HORODATAGE (dd/mm/yyyy hh:mm:ss, Paris) as the export time, else DATE_EXPORT.
func beeParams(d *doc, n *node, m *Meta, opt Options) error {
	uaj := n.child("UAJ")
	uai, line := "", n.line
	if uaj != nil {
		uai, line = firstNonEmpty(uaj.text(), uaj.attr("CODE"), uaj.get("CODE")), uaj.line
	}
	if err := opt.checkUAI(m, d.file, line, "PARAMETRES/UAJ", uai); err != nil {
		return err
	}
	year, line := "", n.line
	if y := n.child("ANNEE_SCOLAIRE"); y != nil {
		year, line = firstNonEmpty(y.text(), y.attr("ANNEE")), y.line
	}
	if err := opt.checkYear(m, d.file, line, "PARAMETRES/ANNEE_SCOLAIRE", year); err != nil {
		return err
	}
	// A malformed HORODATAGE falls back to DATE_EXPORT; the file is refused only when
	// neither gives a time (its freshness could not be told).
	var bad *apperr.InputError
	for _, f := range []string{"HORODATAGE", "DATE_EXPORT"} {
		c := n.child(f)
		if c == nil || c.text() == "" {
			continue
		}
		t, ok := parseStamp(c.text())
		if !ok {
			if bad == nil {
				bad = &apperr.InputError{File: d.file, Line: c.line, Field: "PARAMETRES/" + f,
					Msg: quoted(c.text()) + " n'est pas une date et heure (attendu JJ/MM/AAAA HH:MM:SS)"}
			}
			continue
		}
		if bad != nil {
			m.warnf("ligne %d, %s : %s ; %s retenue (%s)", bad.Line, bad.Field, bad.Msg, f, t.Format("02/01/2006 à 15 h 04"))
		}
		m.ExportedAt, m.ExportTimeFrom = t, fact.TimeFromContent
		return nil
	}
	if bad != nil {
		return bad
	}
	return nil
}

func readSIECLE(d *doc, opt Options) (*SIECLEPart, error) {
	p := &SIECLEPart{Meta: d.meta(fact.SourceSIECLE)}
	for _, a := range d.rootAttr {
		if a.Name.Local == "VERSION" {
			p.Version = a.Value
		}
	}
	byID := map[string]int{}
	// Links may come before their pupil (match by name, not position): hold them until the end.
	type links struct{ div, grp []string }
	pending := map[string]*links{}
	blocks := map[string]int{}
	sawParams := false
	dupPupils, otherTypes := 0, 0
	var badDates dateIssues
	err := d.each(func(parent, name string) bool {
		return (name == "PARAMETRES" && parent == d.root) || (name == "ELEVE" && parent == "ELEVES") ||
			(name == "STRUCTURES_ELEVE" && parent == "STRUCTURES")
	}, func(n *node) error {
		switch n.name {
		case "PARAMETRES":
			sawParams = true
			return beeParams(d, n, &p.Meta, opt)
		case "ELEVE":
			pu, err := siecleePupil(d, n, &badDates)
			if err != nil {
				return err
			}
			if _, dup := byID[pu.ID]; dup {
				dupPupils++
				return nil
			}
			byID[pu.ID] = len(p.Pupils)
			p.Pupils = append(p.Pupils, pu)
		case "STRUCTURES_ELEVE":
			id := firstNonEmpty(n.attr("ELEVE_ID"), n.get("ELEVE_ID"))
			if id == "" {
				return &apperr.InputError{File: d.file, Line: n.line, Field: "STRUCTURES_ELEVE@ELEVE_ID", Msg: "un bloc STRUCTURES_ELEVE ne désigne aucun élève"}
			}
			blocks[id]++
			l := pending[id]
			if l == nil {
				l = &links{}
				pending[id] = l
			}
			for _, s := range n.all("STRUCTURE") {
				code := s.get("CODE_STRUCTURE")
				switch strings.ToUpper(s.get("TYPE_STRUCTURE")) {
				case "D":
					l.div = appendUnique(l.div, code)
				case "G":
					l.grp = appendUnique(l.grp, code)
				default:
					otherTypes++
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawParams {
		if err := opt.checkUAI(&p.Meta, d.file, 0, "PARAMETRES/UAJ", ""); err != nil {
			return nil, err
		}
		if err := opt.checkYear(&p.Meta, d.file, 0, "PARAMETRES/ANNEE_SCOLAIRE", ""); err != nil {
			return nil, err
		}
	}
	merged := 0
	for id, l := range pending {
		i, ok := byID[id]
		if !ok {
			p.Orphans++
			continue
		}
		if blocks[id] > 1 {
			merged++
		}
		for _, c := range l.div {
			p.Pupils[i].Divisions = appendUnique(p.Pupils[i].Divisions, c)
		}
		for _, c := range l.grp {
			p.Pupils[i].Groups = appendUnique(p.Pupils[i].Groups, c)
		}
	}
	badDates.report(&p.Meta)
	if merged > 0 {
		p.Meta.warnf("élèves ayant plusieurs blocs STRUCTURES_ELEVE, fusionnés : %d", merged)
	}
	if dupPupils > 0 {
		p.Meta.warnf("éléments ELEVE répétant un ELEVE_ID déjà lu (le premier est retenu) : %d", dupPupils)
	}
	if otherTypes > 0 {
		p.Meta.warnf("liens STRUCTURE dont le TYPE_STRUCTURE n'est ni D ni G, ignorés : %d", otherTypes)
	}
	if p.Orphans > 0 {
		p.Meta.warnf("blocs STRUCTURES_ELEVE désignant un élève absent de ELEVES, ignorés : %d", p.Orphans)
	}
	return p, nil
}

func siecleePupil(d *doc, n *node, bad *dateIssues) (SIECLEPupil, error) {
	pu := SIECLEPupil{
		ID:        firstNonEmpty(n.attr("ELEVE_ID"), n.get("ELEVE_ID")),
		ENOET:     firstNonEmpty(n.attr("ELENOET"), n.get("ELENOET")),
		INE:       strings.ToUpper(firstNonEmpty(n.get("ID_NATIONAL"), n.get("INE_RNIE"), n.get("INE_BEA"))),
		LastName:  firstNonEmpty(n.get("NOM_DE_FAMILLE"), n.get("NOM_USAGE"), n.get("NOM")),
		FirstName: n.get("PRENOM"),
		MEF:       n.get("CODE_MEF"),
	}
	if pu.ID == "" {
		return pu, &apperr.InputError{File: d.file, Line: n.line, Field: "ELEVE@ELEVE_ID", Msg: "un élève n'a pas d'ELEVE_ID"}
	}
	// A bad date loses that date, never the file: refusing it for one typing error would
	// hide every pupil. Without its exit date a pupil counts as present, the conservative
	// side (a present pupil missing from groups is reported, never hidden).
	pu.BirthDate = pupilDate(n, "DATE_NAISS", pu.ID, dateIgnored, bad)
	pu.EntryDate = pupilDate(n, "DATE_ENTREE", pu.ID, dateIgnored, bad)
	pu.ExitDate = pupilDate(n, "DATE_SORTIE", pu.ID, "l'élève est compté comme présent", bad)
	return pu, nil
}

// pupilDate parses the date in child name of n, an ELEVE; "" when absent or malformed (told
// to bad, saying then).
func pupilDate(n *node, name, id, then string, bad *dateIssues) string {
	c := n.child(name)
	if c == nil {
		return ""
	}
	return bad.date(n.name, c, id, then)
}

// StructuresPart is what SIECLE-BEE's Structures.xml (root BEE_STRUCTURES) says: the
// divisions and groups SIECLE received from STS-Web.
type StructuresPart struct {
	Meta      Meta              `json:"meta"`
	Divisions []SIECLEStructure `json:"divisions"`
	Groups    []SIECLEStructure `json:"groups"`
}

// SIECLEStructure is a division or a group of Structures.xml.
type SIECLEStructure struct {
	Code      string   `json:"code"`
	Label     string   `json:"label,omitempty"`
	MEFs      []string `json:"mefs,omitempty"`
	Divisions []string `json:"divisions,omitempty"` // groups only: DIVISION_APPARTENANCE codes
}

// ReadStructures reads SIECLE-BEE's Structures.xml from r.
func ReadStructures(name string, r io.Reader, opt Options) (*StructuresPart, error) {
	d := newFastDoc(name, r, opt.Limits.withDefaults())
	defer d.release()
	root, err := d.start()
	if err != nil {
		return nil, err
	}
	if err := expectRoot(name, root, fact.SourceStructures); err != nil {
		return nil, err
	}
	return readStructures(d, opt)
}

func readStructures(d *doc, opt Options) (*StructuresPart, error) {
	p := &StructuresPart{Meta: d.meta(fact.SourceStructures)}
	sawParams := false
	err := d.each(func(parent, name string) bool {
		return (name == "PARAMETRES" && parent == d.root) || (name == "DIVISION" && parent == "DIVISIONS") ||
			(name == "GROUPE" && parent == "GROUPES")
	}, func(n *node) error {
		if n.name == "PARAMETRES" {
			sawParams = true
			return beeParams(d, n, &p.Meta, opt)
		}
		s := SIECLEStructure{Code: firstNonEmpty(n.attr("CODE_STRUCTURE"), n.get("CODE_STRUCTURE"), n.attr("CODE")),
			Label: n.get("LIBELLE_LONG"), MEFs: memberships(n, "MEFS_APPARTENANCE", "CODE_MEF")}
		if s.Code == "" {
			return &apperr.InputError{File: d.file, Line: n.line, Field: n.name + "@CODE_STRUCTURE", Msg: "une structure n'a pas de code"}
		}
		if n.name == "DIVISION" {
			p.Divisions = append(p.Divisions, s)
		} else {
			s.Divisions = memberships(n, "DIVISIONS_APPARTENANCE", "CODE_STRUCTURE")
			p.Groups = append(p.Groups, s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawParams {
		if err := opt.checkUAI(&p.Meta, d.file, 0, "PARAMETRES/UAJ", ""); err != nil {
			return nil, err
		}
		if err := opt.checkYear(&p.Meta, d.file, 0, "PARAMETRES/ANNEE_SCOLAIRE", ""); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// NomenclaturePart is what SIECLE-BEE's Nomenclature.xml (root BEE_NOMENCLATURES) says: the
// MEFs, subjects and programmes (weekly hours per MEF and subject) the school selected.
type NomenclaturePart struct {
	Meta       Meta         `json:"meta"`
	MEFs       []STSMEF     `json:"mefs"`
	Subjects   []STSSubject `json:"subjects"`
	Programmes []Programme  `json:"programmes"`
}

// Programme is a PROGRAMME: the weekly hours of a subject for a MEF.
type Programme struct {
	MEF     string `json:"mef"`
	Subject string `json:"subject"`
	Mode    string `json:"mode,omitempty"`  // CODE_MODALITE_ELECT
	Hours   string `json:"hours,omitempty"` // HORAIRE as written, e.g. "4.00"
}

// ReadNomenclature reads SIECLE-BEE's Nomenclature.xml from r.
func ReadNomenclature(name string, r io.Reader, opt Options) (*NomenclaturePart, error) {
	d := newFastDoc(name, r, opt.Limits.withDefaults())
	defer d.release()
	root, err := d.start()
	if err != nil {
		return nil, err
	}
	if err := expectRoot(name, root, fact.SourceNomenclature); err != nil {
		return nil, err
	}
	return readNomenclature(d, opt)
}

func readNomenclature(d *doc, opt Options) (*NomenclaturePart, error) {
	p := &NomenclaturePart{Meta: d.meta(fact.SourceNomenclature)}
	sawParams := false
	err := d.each(func(parent, name string) bool {
		return (name == "PARAMETRES" && parent == d.root) || (name == "MEF" && parent == "MEFS") ||
			(name == "MATIERE" && parent == "MATIERES") || (name == "PROGRAMME" && parent == "PROGRAMMES")
	}, func(n *node) error {
		switch n.name {
		case "PARAMETRES":
			sawParams = true
			return beeParams(d, n, &p.Meta, opt)
		case "MEF":
			p.MEFs = append(p.MEFs, STSMEF{Code: firstNonEmpty(n.attr("CODE_MEF"), n.attr("CODE")), Formation: n.get("FORMATION"),
				Label: firstNonEmpty(n.get("LIBELLE_LONG"), n.get("LIBELLE_EDITION"))})
		case "MATIERE":
			p.Subjects = append(p.Subjects, STSSubject{Code: firstNonEmpty(n.attr("CODE_MATIERE"), n.attr("CODE")),
				ManagementCode: n.get("CODE_GESTION"), Label: firstNonEmpty(n.get("LIBELLE_LONG"), n.get("LIBELLE_EDITION"), n.get("LIBELLE_COURT"))})
		case "PROGRAMME":
			p.Programmes = append(p.Programmes, Programme{MEF: n.get("CODE_MEF"), Subject: n.get("CODE_MATIERE"),
				Mode: n.get("CODE_MODALITE_ELECT"), Hours: n.get("HORAIRE")})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawParams {
		if err := opt.checkUAI(&p.Meta, d.file, 0, "PARAMETRES/UAJ", ""); err != nil {
			return nil, err
		}
		if err := opt.checkYear(&p.Meta, d.file, 0, "PARAMETRES/ANNEE_SCOLAIRE", ""); err != nil {
			return nil, err
		}
	}
	return p, nil
}
