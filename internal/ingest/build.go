package ingest

import (
	"sort"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/fact"
)

// BuildInput is what Build joins for one school: the latest part of each source (nil when the
// school never sent one) and the history the caller keeps.
type BuildInput struct {
	UAI        string
	SchoolYear int // the campaign's school year; 0 takes the STS, else SIECLE, file's
	// AsOf is the instant the snapshot describes: pupils whose DATE_SORTIE is before its Paris
	// calendar date have left; links ended before it no longer count.
	AsOf time.Time

	STS          *STSPart
	SIECLE       *SIECLEPart
	Structures   *StructuresPart
	Nomenclature *NomenclaturePart
	Links        *LinksPart
	ENT          *ENTPart

	History HistoryInput
	// ImportIDs are the store's ids of the imports the parts come from (optional).
	ImportIDs map[fact.Source]int64
}

// HistoryInput holds the facts that need earlier imports; the caller looks them up.
type HistoryInput struct {
	// PreviousYearKnown: an STS-Web export of the previous school year was imported; then
	// PreviousYearGroups are its group codes (GroupCodes of that part; any spelling).
	PreviousYearKnown  bool
	PreviousYearGroups []string
	// STSGroupsChangedAt is the last time the STS groups changed as far as Vigie saw (see
	// STSGroupsChangedAt). Zero means unknown: Vigie saw no earlier STS-Web export of the
	// school year with other groups. It is copied to the snapshot as is.
	STSGroupsChangedAt time.Time
}

// Add sets the part as its source's latest part; a nil or empty part is ignored.
func (in *BuildInput) Add(p *Part) {
	if p == nil {
		return
	}
	switch {
	case p.STS != nil:
		in.STS = p.STS
	case p.SIECLE != nil:
		in.SIECLE = p.SIECLE
	case p.Structures != nil:
		in.Structures = p.Structures
	case p.Nomenclature != nil:
		in.Nomenclature = p.Nomenclature
	case p.Links != nil:
		in.Links = p.Links
	case p.ENT != nil:
		in.ENT = p.ENT
	}
}

// inactiveKey is the SIECLE pseudo-division of pupils who are no longer schooled here.
var inactiveKey = fact.Key("Inactifs")

// Build joins the parts of one school into a fact.Snapshot at in.AsOf. Parts of another school
// are refused. Every division and group any source knows gets an entry keyed by fact.Key(code),
// with every per-source block present (zeros when that source does not know it).
func Build(in BuildInput) (*fact.Snapshot, error) {
	uai := normUAI(in.UAI)
	if uai == "" {
		return nil, apperr.Invalid("build snapshot: no UAI")
	}
	for _, m := range in.metas() {
		if m.UAI != "" && m.UAI != uai {
			return nil, apperr.Invalid("build snapshot %s: the %s part (%s) is for school %s", uai, m.Source, m.File, m.UAI)
		}
	}
	b := &builder{
		in:   in,
		keys: map[string]string{},
		snap: &fact.Snapshot{
			Version: fact.SchemaVersion, UAI: uai, SchoolYear: in.SchoolYear, AsOf: in.AsOf,
			Sources:   map[fact.Source]fact.SourceInfo{},
			Divisions: map[string]*fact.Division{},
			Groups:    map[string]*fact.Group{},
			Pupils: fact.Pupils{NoDivision: []fact.PupilRef{}, SeveralDivisions: []fact.PupilRef{},
				DuplicateINE: []fact.Duplicate{}, DuplicateIdentity: []fact.Duplicate{}, MissingINE: []fact.PupilRef{},
				LinksAbsent: []fact.PupilRef{}},
			Teachers: fact.Teachers{ServiceIssues: []fact.ServiceIssue{}},
			History:  fact.History{PreviousYearGroups: []string{}},
		},
		asOfDate: dateOf(in.AsOf),
	}
	if b.snap.SchoolYear == 0 {
		switch {
		case in.STS != nil:
			b.snap.SchoolYear = in.STS.Meta.SchoolYear
		case in.SIECLE != nil:
			b.snap.SchoolYear = in.SIECLE.Meta.SchoolYear
		}
	}
	for _, m := range in.metas() {
		b.snap.Sources[m.Source] = fact.SourceInfo{File: m.File, Entry: m.Entry, ExportedAt: m.ExportedAt,
			ExportTimeFrom: m.ExportTimeFrom, ImportedAt: m.ReceivedAt, SHA256: m.SHA256, ImportID: in.ImportIDs[m.Source],
			SchoolYear: m.SchoolYear, Warnings: m.Warnings}
	}
	b.sts()
	b.structures()
	b.siecle()
	b.links()
	b.ent()
	b.history()
	return b.snap, nil
}

func (in BuildInput) metas() []*Meta {
	var out []*Meta
	if in.STS != nil {
		out = append(out, &in.STS.Meta)
	}
	if in.SIECLE != nil {
		out = append(out, &in.SIECLE.Meta)
	}
	if in.Structures != nil {
		out = append(out, &in.Structures.Meta)
	}
	if in.Nomenclature != nil {
		out = append(out, &in.Nomenclature.Meta)
	}
	if in.Links != nil {
		out = append(out, &in.Links.Meta)
	}
	if in.ENT != nil {
		out = append(out, &in.ENT.Meta)
	}
	return out
}

type builder struct {
	in       BuildInput
	snap     *fact.Snapshot
	keys     map[string]string // fact.Key is costly (NFD); codes repeat across pupils
	asOfDate string
	active   []bool // per SIECLE pupil
}

func (b *builder) key(code string) string {
	if canonical(code) {
		return code
	}
	if k, ok := b.keys[code]; ok {
		return k
	}
	k := fact.Key(code)
	b.keys[code] = k
	return k
}

// canonical reports a code that fact.Key leaves as it is: printable ASCII without lower case
// letters, single spaces between words. Most codes are, and skipping the normalisation (and
// the cache) for them is most of Build's speed.
func canonical(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return s == ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			if s[i-1] == ' ' {
				return false
			}
		case c < 0x21 || c > 0x7e || ('a' <= c && c <= 'z'):
			return false
		}
	}
	return true
}

// nameKey is fact.Key for names: unique per pupil, so not worth caching.
func nameKey(s string) string {
	if canonical(s) {
		return s
	}
	return fact.Key(s)
}

// division returns the entry for a code, creating it; nil for an empty code.
func (b *builder) division(code string) *fact.Division {
	k := b.key(code)
	if k == "" {
		return nil
	}
	return b.divisionKey(k, code)
}

// divisionKey is division for a code whose key is known (not empty).
func (b *builder) divisionKey(k, code string) *fact.Division {
	d := b.snap.Divisions[k]
	if d == nil {
		d = &fact.Division{Code: strings.TrimSpace(code), STS: fact.STSDivision{MEFs: []string{}, PP: []fact.PP{}}}
		b.snap.Divisions[k] = d
	}
	return d
}

func (b *builder) group(code string) *fact.Group {
	k := b.key(code)
	if k == "" {
		return nil
	}
	return b.groupKey(k, code)
}

// groupKey is group for a code whose key is known (not empty).
func (b *builder) groupKey(k, code string) *fact.Group {
	g := b.snap.Groups[k]
	if g == nil {
		g = &fact.Group{Code: strings.TrimSpace(code), STS: fact.STSGroup{Divisions: []string{}, MEFs: []string{}},
			SIECLE: fact.SIECLEGroup{Divisions: []string{}}, ENT: fact.ENTGroup{Divisions: []string{}}}
		b.snap.Groups[k] = g
	}
	return g
}

func (b *builder) keysOf(codes []string) []string {
	out := []string{}
	for _, c := range codes {
		out = appendUnique(out, b.key(c))
	}
	return out
}

func (b *builder) sts() {
	p := b.in.STS
	if p == nil {
		return
	}
	teachers := make(map[string]*STSTeacher, len(p.Teachers))
	for i := range p.Teachers {
		t := &p.Teachers[i]
		teachers[t.ID] = t
		b.snap.Teachers.Total++
		if t.Function != "" {
			b.snap.Teachers.WithFunction++
		}
	}
	issues := func(code, kind string, services []STSService) (with, distinct int) {
		seen := map[string]bool{}
		for _, s := range services {
			if len(s.Teachers) > 0 {
				with++
			}
			for _, id := range s.Teachers {
				seen[id] = true
				reason := ""
				if t, ok := teachers[id]; !ok {
					reason = "unknown_teacher"
				} else if t.Function == "" {
					reason = "no_function"
				}
				if reason != "" {
					b.snap.Teachers.ServiceIssues = append(b.snap.Teachers.ServiceIssues, fact.ServiceIssue{
						Structure: code, StructureKind: kind, Subject: s.Subject, TeacherID: id, Reason: reason})
				}
			}
		}
		return with, len(seen)
	}
	for _, sd := range p.Divisions {
		d := b.division(sd.Code)
		if d == nil {
			continue
		}
		d.STS.Present = true
		d.STS.Planned += sd.Planned
		d.STS.Computed = addCount(d.STS.Computed, sd.Computed)
		for _, m := range sd.MEFs {
			d.STS.MEFs = appendUnique(d.STS.MEFs, m)
		}
		if d.Label == "" {
			d.Label = sd.Label
		}
		with, distinct := issues(sd.Code, "division", sd.Services)
		d.STS.Services += len(sd.Services)
		d.STS.ServicesWithTeacher += with
		d.STS.Teachers += distinct
	}
	for _, sg := range p.Groups {
		g := b.group(sg.Code)
		if g == nil {
			continue
		}
		g.STS.Present = true
		g.STS.Planned += sg.Planned
		g.STS.Computed = addCount(g.STS.Computed, sg.Computed)
		for _, k := range b.keysOf(sg.Divisions) {
			g.STS.Divisions = appendUnique(g.STS.Divisions, k)
		}
		for _, m := range sg.MEFs {
			g.STS.MEFs = appendUnique(g.STS.MEFs, m)
		}
		if g.Label == "" {
			g.Label = sg.Label
		}
		with, distinct := issues(sg.Code, "group", sg.Services)
		g.STS.Services += len(sg.Services)
		g.STS.ServicesWithTeacher += with
		g.STS.Teachers += distinct
	}
	// A division is taught through the groups that list it (sts.pedagogical_team).
	for _, g := range b.snap.Groups {
		if !g.STS.Present {
			continue
		}
		for _, k := range g.STS.Divisions {
			if d := b.snap.Divisions[k]; d != nil && d.STS.Present {
				d.STS.GroupServicesWithTeacher += g.STS.ServicesWithTeacher
			}
		}
	}
	for _, t := range p.Teachers {
		for _, pp := range t.PP {
			if d := b.snap.Divisions[b.key(pp.Structure)]; d != nil && d.STS.Present {
				d.STS.PP = append(d.STS.PP, fact.PP{TeacherID: t.ID, Start: pp.Start, End: pp.End})
			}
		}
	}
	for _, d := range b.snap.Divisions {
		sort.Slice(d.STS.PP, func(i, j int) bool {
			a, c := d.STS.PP[i], d.STS.PP[j]
			if a.TeacherID != c.TeacherID {
				return a.TeacherID < c.TeacherID
			}
			return a.Start < c.Start
		})
	}
}

// addCount adds head counts that may be absent (two spellings of one code: rare).
func addCount(a, b *int) *int {
	switch {
	case b == nil:
		return a
	case a == nil:
		v := *b
		return &v
	}
	v := *a + *b
	return &v
}

func (b *builder) structures() {
	p := b.in.Structures
	if p == nil {
		return
	}
	for _, s := range p.Divisions {
		if b.key(s.Code) == inactiveKey {
			continue
		}
		if d := b.division(s.Code); d != nil {
			d.SIECLE.Present, d.SIECLE.InStructures = true, true
			if d.Label == "" {
				d.Label = s.Label
			}
		}
	}
	for _, s := range p.Groups {
		if g := b.group(s.Code); g != nil {
			g.SIECLE.Present, g.SIECLE.InStructures = true, true
			for _, k := range b.keysOf(s.Divisions) {
				g.SIECLE.Divisions = appendUnique(g.SIECLE.Divisions, k)
			}
			if g.Label == "" {
				g.Label = s.Label
			}
		}
	}
}

func pupilName(last, first string) string { return strings.TrimSpace(last + " " + first) }

func (b *builder) ref(p *SIECLEPupil) fact.PupilRef {
	r := fact.PupilRef{ID: p.ID, INE: p.INE, Name: pupilName(p.LastName, p.FirstName), BirthDate: p.BirthDate}
	if len(p.Divisions) > 0 {
		r.Division = p.Divisions[0]
	}
	return r
}

func (b *builder) siecle() {
	p := b.in.SIECLE
	if p == nil {
		return
	}
	ps := &b.snap.Pupils
	b.active = make([]bool, len(p.Pupils))
	byINE := make(map[string][]int, len(p.Pupils))
	byIdentity := make(map[string][]int, len(p.Pupils))
	var divKeys, divCodes, grpKeys, grpCodes []string
	for i := range p.Pupils {
		pu := &p.Pupils[i]
		ps.Total++
		left := pu.ExitDate != "" && pu.ExitDate < b.asOfDate
		// One link per key: "2 A" and "2 a" on one pupil are one division.
		divKeys, divCodes = divKeys[:0], divCodes[:0]
		inactive := false
		for _, c := range pu.Divisions {
			k := b.key(c)
			if k == inactiveKey {
				inactive = true
				continue
			}
			if k != "" && !containsString(divKeys, k) {
				divKeys, divCodes = append(divKeys, k), append(divCodes, c)
			}
		}
		grpKeys, grpCodes = grpKeys[:0], grpCodes[:0]
		for _, c := range pu.Groups {
			if k := b.key(c); k != "" && !containsString(grpKeys, k) {
				grpKeys, grpCodes = append(grpKeys, k), append(grpCodes, c)
			}
		}
		active := !left && !inactive
		b.active[i] = active
		switch {
		case left:
			ps.Left++
		case inactive:
			ps.Inactive++
		default:
			ps.Active++
		}
		for j, k := range divKeys {
			d := b.divisionKey(k, divCodes[j])
			d.SIECLE.Present = true
			d.SIECLE.PupilsAll++
			if active {
				d.SIECLE.Pupils++
			}
		}
		for j, k := range grpKeys {
			g := b.groupKey(k, grpCodes[j])
			g.SIECLE.Present = true
			g.SIECLE.PupilsAll++
			if active {
				g.SIECLE.Pupils++
			}
		}
		if !active {
			continue
		}
		switch len(divKeys) {
		case 0:
			ps.NoDivision = append(ps.NoDivision, b.ref(pu))
		case 1:
		default:
			r := b.ref(pu)
			r.Divisions = append([]string(nil), pu.Divisions...)
			ps.SeveralDivisions = append(ps.SeveralDivisions, r)
		}
		if pu.INE == "" {
			ps.MissingINE = append(ps.MissingINE, b.ref(pu))
		} else {
			byINE[pu.INE] = append(byINE[pu.INE], i)
		}
		if pu.LastName != "" && pu.BirthDate != "" {
			k := nameKey(pu.LastName) + " " + nameKey(pu.FirstName) + " " + pu.BirthDate
			byIdentity[k] = append(byIdentity[k], i)
		}
	}
	ps.DuplicateINE = b.duplicates(byINE)
	ps.DuplicateIdentity = b.duplicates(byIdentity)
	for _, l := range [][]fact.PupilRef{ps.NoDivision, ps.SeveralDivisions, ps.MissingINE} {
		sortRefs(l)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (b *builder) duplicates(by map[string][]int) []fact.Duplicate {
	out := []fact.Duplicate{}
	for k, idx := range by {
		if len(idx) < 2 {
			continue
		}
		d := fact.Duplicate{Key: k}
		for _, i := range idx {
			d.Pupils = append(d.Pupils, b.ref(&b.in.SIECLE.Pupils[i]))
		}
		sortRefs(d.Pupils)
		out = append(out, d)
	}
	// Sets in the order of their first pupil, like every pupil list.
	sort.Slice(out, func(i, j int) bool { return refLess(out[i].Pupils[0], out[j].Pupils[0]) })
	return out
}

func sortRefs(l []fact.PupilRef) {
	sort.Slice(l, func(i, j int) bool { return refLess(l[i], l[j]) })
}

// refLess orders pupils by name, then id.
func refLess(a, b fact.PupilRef) bool {
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.ID < b.ID
}

func (b *builder) links() {
	p := b.in.Links
	if p == nil {
		return
	}
	ps := &b.snap.Pupils
	ids := make(map[string]bool, len(p.Pupils))
	ines := make(map[string]bool, len(p.Pupils))
	var seen []string
	for _, lp := range p.Pupils {
		ps.LinksListed++
		if lp.ID != "" {
			ids[lp.ID] = true
		}
		if lp.INE != "" {
			ines[lp.INE] = true
		}
		seen = seen[:0]
		for _, l := range lp.Groups {
			k := b.key(l.Group)
			if k == "" {
				continue
			}
			g := b.groupKey(k, l.Group)
			g.Links.Present = true // even when only ended links name it: it is in the file
			if l.End != "" && l.End < b.asOfDate || containsString(seen, k) {
				continue // the pupil left the group, or a second spelling of it
			}
			seen = append(seen, k)
			ps.LinksLinks++
			g.Links.Pupils++
		}
	}
	s := b.in.SIECLE
	if s == nil {
		return
	}
	sIDs := make(map[string]bool, len(s.Pupils))
	sINEs := make(map[string]bool, len(s.Pupils))
	for i := range s.Pupils {
		pu := &s.Pupils[i]
		sIDs[pu.ID] = true
		if pu.INE != "" {
			sINEs[pu.INE] = true
		}
		if b.active[i] && !ids[pu.ID] && (pu.INE == "" || !ines[pu.INE]) {
			ps.LinksAbsent = append(ps.LinksAbsent, b.ref(pu))
		}
	}
	sortRefs(ps.LinksAbsent)
	for _, lp := range p.Pupils {
		if (lp.ID == "" || !sIDs[lp.ID]) && (lp.INE == "" || !sINEs[lp.INE]) {
			ps.LinksUnknown++
		}
	}
}

func (b *builder) ent() {
	p := b.in.ENT
	if p == nil {
		return
	}
	b.snap.ENT = fact.ENTSchool{StructureFound: p.StructureFound, StructureID: p.StructureID, Name: p.Name}
	b.snap.Pupils.ENT = p.Pupils
	b.snap.Teachers.ENT = p.Teachers
	for _, u := range p.Classes {
		if b.key(u.Code) == inactiveKey {
			continue
		}
		d := b.division(u.Code)
		if d == nil {
			continue
		}
		d.ENT.Listed = d.ENT.Listed || u.Listed
		d.ENT.Pupils += u.Pupils
		d.ENT.TeacherLinks += u.TeacherLinks
		d.ENT.PrincipalLinks += u.PrincipalLinks
		if d.Label == "" {
			d.Label = u.Label
		}
	}
	for _, u := range p.Groups {
		g := b.group(u.Code)
		if g == nil {
			continue
		}
		g.ENT.Listed = g.ENT.Listed || u.Listed
		g.ENT.Pupils += u.Pupils
		g.ENT.TeacherLinks += u.TeacherLinks
		g.ENT.PrincipalLinks += u.PrincipalLinks
		for _, k := range b.keysOf(u.Divisions) {
			g.ENT.Divisions = appendUnique(g.ENT.Divisions, k)
		}
		if g.Label == "" {
			g.Label = u.Label
		}
	}
}

func (b *builder) history() {
	h := b.in.History
	b.snap.History.PreviousYearKnown = h.PreviousYearKnown
	if h.PreviousYearKnown {
		keys := b.keysOf(h.PreviousYearGroups)
		sort.Strings(keys)
		b.snap.History.PreviousYearGroups = keys
	}
	// Never the current export time in place of an unknown one: an sts_emp carries no export
	// date, and the school may upload it long after the groups last changed.
	if b.in.STS != nil {
		b.snap.History.STSGroupsChangedAt = h.STSGroupsChangedAt
	}
}

// GroupCodes returns the group codes of an STS-Web part, as written.
func GroupCodes(p *STSPart) []string {
	if p == nil {
		return nil
	}
	out := make([]string, 0, len(p.Groups))
	for _, g := range p.Groups {
		out = append(out, g.Code)
	}
	return out
}

// groupSet is the sorted, joined fact.Key set of an STS part's groups.
func groupSet(p *STSPart) string {
	keys := make([]string, 0, len(p.Groups))
	for _, g := range p.Groups {
		keys = appendUnique(keys, fact.Key(g.Code))
	}
	sort.Strings(keys)
	return strings.Join(keys, "\x00")
}

// STSGroupsChangedAt returns the export time of the oldest STS-Web part having the current
// part's set of groups (compared by fact.Key), walking back from current through the earlier
// parts of the same school year while the set stays the same: the first export Vigie saw after
// the groups last changed. It is known only when the walk reaches an earlier part with another
// set; without one (no earlier part, or the same groups in all of them) the time of the last
// change is unknown and the zero time is returned. Parts exported after current are ignored.
func STSGroupsChangedAt(current *STSPart, earlier []*STSPart) time.Time {
	if current == nil {
		return time.Time{}
	}
	want := groupSet(current)
	past := make([]*STSPart, 0, len(earlier))
	for _, p := range earlier {
		if p != nil && p != current && !p.Meta.ExportedAt.After(current.Meta.ExportedAt) &&
			(current.Meta.SchoolYear == 0 || p.Meta.SchoolYear == current.Meta.SchoolYear) {
			past = append(past, p)
		}
	}
	sort.SliceStable(past, func(i, j int) bool { return past[i].Meta.ExportedAt.After(past[j].Meta.ExportedAt) })
	at := current.Meta.ExportedAt
	for _, p := range past {
		if groupSet(p) != want {
			return at
		}
		at = p.Meta.ExportedAt
	}
	return time.Time{}
}
