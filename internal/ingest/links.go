package ingest

import (
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/fact"
)

// LinksPart is what the timetable software's pupil-group links file (<UAI>ELEGROUPE<16
// digits>.xml, usually zipped under the same name, root IMPORT_ELEVES) says: the pupils it
// lists and the groups of each. No public specification exists (formats.md §3), so the reader
// is tolerant: any CODE_GROUPE-like leaf under a pupil counts as a link.
type LinksPart struct {
	Meta       Meta         `json:"meta"`
	Software   string       `json:"software,omitempty"`    // PARAMETRES/LOGICIEL
	ImportDate string       `json:"import_date,omitempty"` // PARAMETRES/DATE_IMPORT, YYYY-MM-DD
	Pupils     []LinksPupil `json:"pupils"`
}

// LinksPupil is an ELEVE of the links file.
type LinksPupil struct {
	ID        string      `json:"id,omitempty"` // SIECLE ELEVE_ID
	INE       string      `json:"ine,omitempty"`
	LastName  string      `json:"last_name,omitempty"`
	FirstName string      `json:"first_name,omitempty"`
	BirthDate string      `json:"birth_date,omitempty"`
	Groups    []LinksLink `json:"groups"`
}

// LinksLink is a pupil's membership of a group, with its validity dates when given.
type LinksLink struct {
	Group string `json:"group"`
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// linksNameRE reads <UAI: 7 digits and a letter>ELEGROUPE<yyyy><yyMMddHHmmss> (formats.md §3.1).
var linksNameRE = regexp.MustCompile(`(?i)^([0-9]{7}[a-z])ELEGROUPE([0-9]{4})([0-9]{12})(?:\.(?:xml|zip))?$`)

// linksName is what a links file's name says.
type linksName struct {
	uai  string
	year int
	at   time.Time // zero when the 12 digits are not a valid timestamp
}

func parseLinksName(name string) (linksName, bool) {
	m := linksNameRE.FindStringSubmatch(baseName(name))
	if m == nil {
		return linksName{}, false
	}
	ln := linksName{uai: strings.ToUpper(m[1])}
	ln.year, _ = parseYear(m[2])
	if t, err := time.ParseInLocation("060102150405", m[3], paris()); err == nil {
		ln.at = t
	}
	return ln, true
}

// ReadLinks reads a pupil-group links file from r. names are the names the file is known
// by, best first (the XML entry's, then the zip's): the first that follows the ELEGROUPE
// convention gives the UAI, school year and export time.
func ReadLinks(names []string, r io.Reader, opt Options) (*LinksPart, error) {
	name := ""
	if len(names) > 0 {
		name = names[0]
	}
	d := newFastDoc(name, r, opt.Limits.withDefaults())
	defer d.release()
	root, err := d.start()
	if err != nil {
		return nil, err
	}
	if err := expectRoot(name, root, fact.SourceLinks); err != nil {
		return nil, err
	}
	return readLinks(d, names, opt)
}

func readLinks(d *doc, names []string, opt Options) (*LinksPart, error) {
	p := &LinksPart{Meta: d.meta(fact.SourceLinks)}
	var ln linksName
	named := false
	for _, n := range names {
		if ln, named = parseLinksName(n); named {
			break
		}
	}
	if named && !ln.at.IsZero() {
		p.Meta.ExportedAt, p.Meta.ExportTimeFrom = ln.at, fact.TimeFromFileName
	} else if named {
		p.Meta.warnf("l'horodatage du nom du fichier n'est pas une date valide (aaMMjjHHmmss attendu)")
	}
	var contentUAI, contentYear string
	uaiLine, yearLine := 0, 0
	seen := map[string]int{}
	var badDates dateIssues
	err := d.each(func(parent, name string) bool {
		return (name == "PARAMETRES" && parent == d.root) || name == "ELEVE"
	}, func(n *node) error {
		if n.name == "PARAMETRES" {
			if u := n.child("UAJ"); u != nil {
				contentUAI, uaiLine = firstNonEmpty(u.text(), u.attr("CODE")), u.line
			}
			if y := n.child("ANNEE_SCOLAIRE"); y != nil {
				contentYear, yearLine = firstNonEmpty(y.text(), y.attr("ANNEE")), y.line
			}
			p.Software = n.get("LOGICIEL")
			var err error
			p.ImportDate, err = dateField(d.file, n, "DATE_IMPORT", "fichier de liens")
			return err
		}
		pu, err := linksPupil(d, n, &badDates)
		if err != nil {
			return err
		}
		key := pu.ID
		if key == "" {
			key = "INE:" + pu.INE
		}
		if i, dup := seen[key]; dup && key != "INE:" {
			// The same pupil twice: keep every link once.
			for _, l := range pu.Groups {
				p.Pupils[i].Groups = appendLink(p.Pupils[i].Groups, l)
			}
			return nil
		}
		seen[key] = len(p.Pupils)
		p.Pupils = append(p.Pupils, pu)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The UAI: the content's, else the name's; both given and different is suspicious.
	uai := contentUAI
	if named {
		if uai != "" && normUAI(uai) != ln.uai {
			p.Meta.warnf("le nom du fichier indique l'établissement %s mais PARAMETRES/UAJ indique %s : le contenu l'emporte", ln.uai, normUAI(uai))
		}
		if uai == "" {
			uai, uaiLine = ln.uai, 0
		}
	}
	if err := opt.checkUAI(&p.Meta, d.file, uaiLine, "PARAMETRES/UAJ", uai); err != nil {
		return nil, err
	}
	year := contentYear
	if year == "" && named {
		year = ln.year4()
	}
	if err := opt.checkYear(&p.Meta, d.file, yearLine, "PARAMETRES/ANNEE_SCOLAIRE", year); err != nil {
		return nil, err
	}
	badDates.report(&p.Meta)
	links := 0
	for _, pu := range p.Pupils {
		links += len(pu.Groups)
	}
	if links == 0 {
		p.Meta.warnf("aucun lien élève-groupe dans le fichier")
	}
	return p, nil
}

func (ln linksName) year4() string {
	if ln.year == 0 {
		return ""
	}
	return strconv.Itoa(ln.year)
}

func linksPupil(d *doc, n *node, bad *dateIssues) (LinksPupil, error) {
	pu := LinksPupil{
		ID:        firstNonEmpty(n.attr("ELEVE_ID"), n.get("ELEVE_ID"), n.attr("ID")),
		INE:       strings.ToUpper(firstNonEmpty(n.get("ID_NATIONAL"), n.get("INE"))),
		LastName:  firstNonEmpty(n.get("NOM"), n.get("NOM_DE_FAMILLE")),
		FirstName: n.get("PRENOM"),
		Groups:    []LinksLink{},
	}
	if pu.ID == "" && pu.INE == "" {
		return pu, &apperr.InputError{File: d.file, Line: n.line, Field: "ELEVE/ELEVE_ID", Msg: "un élève n'a ni ELEVE_ID ni INE : impossible de le rapprocher de SIECLE"}
	}
	who := firstNonEmpty(pu.ID, pu.INE)
	// A bad date loses that date, never the file nor the link, as in SIECLE-BEE pupils. A
	// link whose end date is unreadable counts as current: dropping it could make a group
	// look empty that is not, and the warning says which link to check.
	if c := n.child("DATE_NAISS"); c != nil {
		pu.BirthDate = bad.date(n.name, c, who, dateIgnored)
	}
	// Any element whose name starts with CODE_GROUPE is a link; its parent holds the dates.
	// A GROUPE element with a CODE attribute and no such leaf is a link too.
	var walk func(parent, c *node)
	walk = func(parent, c *node) {
		switch {
		case strings.HasPrefix(c.name, "CODE_GROUPE") && c.text() != "" && len(c.kids) == 0:
			l := LinksLink{Group: c.text()}
			for _, k := range parent.kids {
				switch {
				case strings.HasPrefix(k.name, "DATE_DEB"):
					l.Start = bad.date(parent.name, k, who, "date ignorée, le lien est retenu")
				case strings.HasPrefix(k.name, "DATE_FIN"):
					v, ok := parseDate(k.text())
					if !ok {
						bad.add(k.line, who, parent.name+"/"+k.name, k.text(), "le lien au groupe "+quoted(l.Group)+" est compté comme en cours")
					}
					l.End = v
				}
			}
			pu.Groups = appendLink(pu.Groups, l)
			return
		case strings.HasPrefix(c.name, "GROUPE") && c.attr("CODE") != "" && !hasLeafPrefix(c, "CODE_GROUPE"):
			pu.Groups = appendLink(pu.Groups, LinksLink{Group: c.attr("CODE")})
		}
		for _, k := range c.kids {
			walk(c, k)
		}
	}
	for _, k := range n.kids {
		walk(n, k)
	}
	return pu, nil
}

func hasLeafPrefix(n *node, prefix string) bool {
	for _, k := range n.kids {
		if strings.HasPrefix(k.name, prefix) {
			return true
		}
	}
	return false
}

func appendLink(list []LinksLink, l LinksLink) []LinksLink {
	for _, x := range list {
		if x.Group == l.Group {
			return list
		}
	}
	return append(list, l)
}
