package ingest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/fact"
)

// ENTPart is what the federating directory feed (AAF) says about one school: whether its
// structure (EtabEducNat) is there, and per division and group the pupils and teacher links
// that reference it. It is what the ENT builds its directory from, and so what the GAR gets.
type ENTPart struct {
	Meta           Meta      `json:"meta"`
	StructureFound bool      `json:"structure_found"`
	StructureID    string    `json:"structure_id,omitempty"` // ENTStructureJointure
	Name           string    `json:"name,omitempty"`         // ENTStructureNomCourant
	Classes        []ENTUnit `json:"classes"`
	Groups         []ENTUnit `json:"groups"`
	Pupils         int       `json:"pupils"`   // Eleve records attached to or placed in the school
	Teachers       int       `json:"teachers"` // PersEducNat records teaching in the school (see docs/snapshot.md)
	Staff          int       `json:"staff"`    // PersEducNat records attached to or linked with the school
}

// ENTUnit is a division (classe) or a group of one school in the feed.
type ENTUnit struct {
	Code           string   `json:"code"` // as the structure lists it, else as first referenced; merged by fact.Key
	Label          string   `json:"label,omitempty"`
	Listed         bool     `json:"listed"`              // in ENTStructureClasses / ENTStructureGroupes
	Divisions      []string `json:"divisions,omitempty"` // groups: divisions listed in ENTStructureGroupes
	Pupils         int      `json:"pupils"`              // distinct pupils referencing it
	TeacherLinks   int      `json:"teacher_links"`       // ENTAuxEns{Classes,Groupes}Matieres entries
	PrincipalLinks int      `json:"principal_links"`     // ENTAuxEnsClassesPrincipal entries
}

// Feed is a federating directory feed read in full, split per school.
type Feed struct {
	Files          []string            `json:"files"`
	ExtractedAt    time.Time           `json:"extracted_at"`
	ExportTimeFrom string              `json:"export_time_from"`
	Schools        map[string]*ENTPart `json:"schools"` // by UAI
	Stats          FeedStats           `json:"stats"`
	Warnings       []string            `json:"warnings,omitempty"`
	Categories     []string            `json:"categories"`           // of EtabEducNat, Eleve, PersEducNat: those read (see CheckComplete)
	DeltaOnly      bool                `json:"delta_only,omitempty"` // every file is a differential (Delta) extraction
}

// FeedStats counts what the feed held.
type FeedStats struct {
	Files      int `json:"files"`
	Records    int `json:"records"` // add, modify and delete requests
	Structures int `json:"structures"`
	Pupils     int `json:"pupils"`
	Staff      int `json:"staff"`
	Ignored    int `json:"ignored"` // records of other categories (PersRelEleve, MatiereEducNat, ...)
}

// Person attribute kinds, stored in the top bits of a person's entries.
const (
	kAttach    = iota // ENTPersonStructRattach: <structJ>
	kClass            // ENTEleveClasses: <structJ>$<division>
	kGroup            // ENTEleveGroupes: <structJ>$<group>
	kClassSubj        // ENTAuxEnsClassesMatieres: <structJ>$<division>$<subject>
	kGroupSubj        // ENTAuxEnsGroupesMatieres: <structJ>$<group>$<subject>
	kPrincipal        // ENTAuxEnsClassesPrincipal: <structJ>$<division>
	kFnENS            // ENTPersonFonctions with function ENS: <structJ>$ENS$...
	kindCount

	kPresence // PersEducNatPresenceDevantEleves: a flag, not an entry
	// Structure attributes.
	kStructJointure
	kStructUAI
	kStructName
	kStructClasses
	kStructGroups
	kNone = -1
)

// Indexes of structure attributes in feedRecord.stSeen.
const (
	stJointure = iota
	stUAI
	stName
	stClasses
	stGroups
)

const (
	kindShift = 29
	idMask    = 1<<kindShift - 1
)

func attrKind(name string) int {
	switch name {
	case "ENTPersonStructRattach":
		return kAttach
	case "ENTEleveClasses":
		return kClass
	case "ENTEleveGroupes":
		return kGroup
	case "ENTAuxEnsClassesMatieres":
		return kClassSubj
	case "ENTAuxEnsGroupesMatieres":
		return kGroupSubj
	case "ENTAuxEnsClassesPrincipal":
		return kPrincipal
	case "ENTPersonFonctions":
		return kFnENS
	case "PersEducNatPresenceDevantEleves":
		return kPresence
	case "ENTStructureJointure":
		return kStructJointure
	case "ENTStructureUAI", "ENTEtablissementUAI":
		return kStructUAI
	case "ENTStructureNomCourant":
		return kStructName
	case "ENTStructureClasses":
		return kStructClasses
	case "ENTStructureGroupes":
		return kStructGroups
	}
	return kNone
}

// Record categories.
const (
	catUnknown = iota
	catStructure
	catPupil
	catStaff
	catOther
)

func category(v string) int {
	switch v {
	case "EtabEducNat":
		return catStructure
	case "Eleve":
		return catPupil
	case "PersEducNat":
		return catStaff
	case "":
		return catUnknown
	}
	return catOther
}

var fileCategoryRE = regexp.MustCompile(`_(EtabEducNat|Eleve|PersEducNat|PersRelEleve|MatiereEducNat|MefEducNat)_[0-9]{4}`)

// person is the compact state kept per person: enough to apply modify and delete requests
// and to count, nothing more. Entries are kind<<kindShift | id, where id is a structure id
// (kAttach, kFnENS) or a reference id (the other kinds).
type person struct {
	deleted bool
	pupil   bool
	teaches bool
	entries []uint32
}

// aafStruct is an EtabEducNat record.
type aafStruct struct {
	jointure, uai, name string
	classes, groups     []string
}

// ref is an interned "<structJ>$<code>[$<subject>]" value.
type ref struct {
	sj   uint32 // structure id
	code uint32 // code id (by fact.Key)
}

// FeedReader reads the files of a federating directory feed, in any order, one at a time, in
// memory proportional to the structures and persons it holds (never to the files' size).
type FeedReader struct {
	opt      Options
	files    []string
	dates    map[string]bool // Complet_<yyyymmdd> dates seen in file names
	structs  map[string]*aafStruct
	ids      map[string]int32 // person id -> index in people
	people   []person
	refIDs   map[string]uint32
	refs     []ref
	sjIDs    map[string]uint32
	sjNames  []string
	codeIDs  map[string]uint32 // raw code -> code id
	keyIDs   map[string]uint32 // fact.Key(code) -> code id
	codes    []string          // code id -> first raw code
	stats    FeedStats
	bad      int // values that do not follow <structJ>$<code>
	warnings []string
	ext      extraction

	// per-record scratch, reused
	rec feedRecord
}

type feedRecord struct {
	op       int // 0 add, 1 modify, 2 delete
	cat      int
	id       []byte
	entries  []uint32
	seen     [kindCount]bool
	mods     [kindCount]string // modify operation per kind
	presence int               // -1 not given, 0 N, 1 O
	st       aafStruct
	stSeen   [5]bool
}

// NewFeedReader returns a reader; opt.UAI, when set, keeps only that school.
func NewFeedReader(opt Options) *FeedReader {
	return &FeedReader{opt: opt, dates: map[string]bool{}, structs: map[string]*aafStruct{},
		ids: map[string]int32{}, refIDs: map[string]uint32{}, sjIDs: map[string]uint32{},
		codeIDs: map[string]uint32{}, keyIDs: map[string]uint32{}}
}

var completRE = regexp.MustCompile(`Complet_([0-9]{8})`)

// Add reads one file of the feed. name is how the file is known (its name carries the
// category and the extraction date).
func (f *FeedReader) Add(name string, r io.Reader) error {
	d := newStreamDoc(name, r, f.opt.Limits.withDefaults())
	root, err := d.start()
	if err != nil {
		return err
	}
	if err := expectRoot(name, root, fact.SourceENT); err != nil {
		return err
	}
	return f.addDoc(d, name)
}

// addDoc reads a feed file whose root element has been read.
func (f *FeedReader) addDoc(d *doc, name string) error {
	f.files = append(f.files, name)
	f.stats.Files++
	if m := completRE.FindStringSubmatch(name); m != nil {
		f.dates[m[1]] = true
	}
	fileCat := catUnknown
	if m := fileCategoryRE.FindStringSubmatch(name); m != nil {
		fileCat = category(m[1])
	}
	f.ext.file(name, fileCat)
	err := f.stream(d, fileCat)
	// The encoding sniffed, possibly deep in the file (guessReader): the feed's warnings name their file.
	for _, w := range d.warnings {
		f.warnings = append(f.warnings, name+" : "+w)
	}
	return err
}

// Sections of a request.
const (
	secNone = iota
	secOperational
	secIdentifier
	secAttributes
	secModifications
)

func (f *FeedReader) stream(d *doc, fileCat int) error {
	var (
		inReq   bool
		section int
		kind    = kNone
		opAttr  bool // inside operationalAttributes/attr naming a category
		inValue bool
		val     []byte
	)
	rec := &f.rec
	var t token
	for {
		err := d.next(&t)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t.kind {
		case tkStart:
			switch t.name {
			case "addRequest", "modifyRequest", "deleteRequest":
				inReq, section, kind = true, secNone, kNone
				rec.reset(t.name)
			case "operationalAttributes":
				section = secOperational
			case "identifier":
				section = secIdentifier
			case "attributes":
				section = secAttributes
			case "modifications":
				section = secModifications
			case "attr", "modification":
				kind, opAttr = kNone, false
				name := attrValue(t.attrs, "name")
				switch section {
				case secOperational:
					opAttr = strings.HasPrefix(name, "categorie")
				case secAttributes, secModifications:
					kind = attrKind(name)
					if kind >= 0 && kind < kindCount {
						rec.seen[kind] = true
						rec.mods[kind] = attrValue(t.attrs, "operation")
					} else if kind >= kStructJointure {
						rec.stSeen[kind-kStructJointure] = true
					}
				}
			case "id", "value":
				if inReq {
					inValue, val = true, val[:0]
				}
			}
		case tkText:
			if inValue {
				val = append(val, t.text...)
			}
		case tkEnd:
			switch t.name {
			case "id", "value":
				if !inValue {
					continue
				}
				inValue = false
				v := bytes.TrimSpace(val)
				switch {
				case section == secIdentifier:
					rec.id = append(rec.id[:0], v...)
				case section == secOperational && opAttr:
					rec.cat = category(string(v))
				case kind != kNone:
					f.value(kind, v)
				}
			case "attr", "modification":
				kind, opAttr = kNone, false
			case "operationalAttributes", "identifier", "attributes", "modifications":
				section = secNone
			case "addRequest", "modifyRequest", "deleteRequest":
				if inReq {
					inReq = false
					if rec.cat == catUnknown {
						rec.cat = fileCat
					}
					if err := f.apply(d); err != nil {
						return err
					}
				}
			}
		}
	}
}

func attrValue(attrs []xml.Attr, name string) string {
	for _, a := range attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (r *feedRecord) reset(op string) {
	switch op {
	case "addRequest":
		r.op = 0
	case "modifyRequest":
		r.op = 1
	default:
		r.op = 2
	}
	r.cat = catUnknown
	r.id = r.id[:0]
	r.entries = r.entries[:0]
	r.seen = [kindCount]bool{}
	r.mods = [kindCount]string{}
	r.presence = -1
	r.st = aafStruct{}
	r.stSeen = [5]bool{}
}

// value records one <value> of an attribute of the current request.
func (f *FeedReader) value(kind int, v []byte) {
	rec := &f.rec
	if len(v) == 0 {
		return
	}
	switch kind {
	case kPresence:
		if len(v) > 0 && (v[0] == 'O' || v[0] == 'o') {
			rec.presence = 1
		} else {
			rec.presence = 0
		}
	case kAttach:
		rec.entries = append(rec.entries, kAttach<<kindShift|f.sj(v))
	case kFnENS:
		// <structJ>$<function code>$<label>$<discipline>$<label>: only teaching functions count.
		i := bytes.IndexByte(v, '$')
		if i <= 0 {
			f.bad++
			return
		}
		rest := v[i+1:]
		if j := bytes.IndexByte(rest, '$'); j >= 0 {
			rest = rest[:j]
		}
		if string(rest) == "ENS" {
			rec.entries = append(rec.entries, kFnENS<<kindShift|f.sj(v[:i]))
		}
	case kClass, kGroup, kClassSubj, kGroupSubj, kPrincipal:
		id, ok := f.ref(v)
		if !ok {
			f.bad++
			return
		}
		rec.entries = append(rec.entries, uint32(kind)<<kindShift|id)
	case kStructJointure:
		rec.st.jointure = string(v)
	case kStructUAI:
		if rec.st.uai == "" {
			rec.st.uai = normUAI(string(v))
		}
	case kStructName:
		rec.st.name = string(v)
	case kStructClasses:
		rec.st.classes = append(rec.st.classes, string(v))
	case kStructGroups:
		rec.st.groups = append(rec.st.groups, string(v))
	}
}

// sj interns a structure jointure id.
func (f *FeedReader) sj(v []byte) uint32 {
	if id, ok := f.sjIDs[string(v)]; ok {
		return id
	}
	s := string(v)
	id := uint32(len(f.sjNames))
	f.sjIDs[s] = id
	f.sjNames = append(f.sjNames, s)
	return id
}

// code interns a division or group code, merging codes that fact.Key joins.
func (f *FeedReader) code(c string) uint32 {
	if id, ok := f.codeIDs[c]; ok {
		return id
	}
	k := fact.Key(c)
	id, ok := f.keyIDs[k]
	if !ok {
		id = uint32(len(f.codes))
		f.keyIDs[k] = id
		f.codes = append(f.codes, c)
	}
	f.codeIDs[c] = id
	return id
}

// ref interns a "<structJ>$<code>[$...]" value.
func (f *FeedReader) ref(v []byte) (uint32, bool) {
	if id, ok := f.refIDs[string(v)]; ok {
		return id, true
	}
	i := bytes.IndexByte(v, '$')
	if i <= 0 {
		return 0, false
	}
	code := v[i+1:]
	if j := bytes.IndexByte(code, '$'); j >= 0 {
		code = code[:j]
	}
	if len(bytes.TrimSpace(code)) == 0 {
		return 0, false
	}
	if len(f.refs) >= idMask {
		return 0, false
	}
	id := uint32(len(f.refs))
	f.refs = append(f.refs, ref{sj: f.sj(v[:i]), code: f.code(string(code))})
	f.refIDs[string(v)] = id
	return id, true
}

// apply folds the finished request into the state.
func (f *FeedReader) apply(d *doc) error {
	rec := &f.rec
	f.stats.Records++
	f.ext.record(rec.cat)
	if len(rec.id) == 0 {
		if rec.cat == catStructure && rec.st.jointure != "" {
			rec.id = append(rec.id, rec.st.jointure...)
		} else {
			return &apperr.InputError{File: d.file, Line: d.line(), Field: "identifier/id", Msg: "une requête n'a pas d'identifiant"}
		}
	}
	switch rec.cat {
	case catStructure:
		f.applyStruct()
	case catPupil, catStaff:
		f.applyPerson()
	default:
		f.stats.Ignored++
	}
	return nil
}

func (f *FeedReader) applyStruct() {
	rec := &f.rec
	id := string(rec.id)
	switch rec.op {
	case 2:
		delete(f.structs, id)
		return
	case 0:
		st := rec.st
		f.structs[id] = &st
		return
	}
	st := f.structs[id]
	if st == nil {
		st = &aafStruct{}
		f.structs[id] = st
	}
	if rec.stSeen[stJointure] {
		st.jointure = rec.st.jointure
	}
	if rec.stSeen[stUAI] && rec.st.uai != "" {
		st.uai = rec.st.uai
	}
	if rec.stSeen[stName] {
		st.name = rec.st.name
	}
	if rec.stSeen[stClasses] {
		st.classes = rec.st.classes
	}
	if rec.stSeen[stGroups] {
		st.groups = rec.st.groups
	}
}

func (f *FeedReader) applyPerson() {
	rec := &f.rec
	idx, known := f.ids[string(rec.id)]
	if rec.op == 2 {
		if known {
			f.people[idx] = person{deleted: true}
			delete(f.ids, string(rec.id))
		}
		return
	}
	if !known {
		// A modify for a person not seen yet (files in any order, or a delta feed) starts one.
		idx = int32(len(f.people))
		f.ids[string(rec.id)] = idx
		f.people = append(f.people, person{})
	}
	p := &f.people[idx]
	p.pupil = rec.cat == catPupil
	if rec.op == 0 {
		p.entries = dedupe(append(p.entries[:0:0], rec.entries...))
		p.teaches = rec.presence == 1
		return
	}
	if rec.presence >= 0 {
		p.teaches = rec.presence == 1
	}
	for k := 0; k < kindCount; k++ {
		if !rec.seen[k] {
			continue
		}
		var given []uint32
		for _, e := range rec.entries {
			if int(e>>kindShift) == k {
				given = append(given, e)
			}
		}
		switch strings.ToLower(rec.mods[k]) {
		case "add":
			p.entries = dedupe(append(p.entries, given...))
		case "delete":
			p.entries = removeEntries(p.entries, k, given)
		default: // replace, the usual operation
			p.entries = append(removeEntries(p.entries, k, nil), given...)
			p.entries = dedupe(p.entries)
		}
	}
	p.entries = append(p.entries[:0:0], p.entries...) // drop spare capacity
}

// removeEntries removes the entries of kind k that are in given, or all of them when given is nil.
func removeEntries(entries []uint32, k int, given []uint32) []uint32 {
	out := entries[:0]
	for _, e := range entries {
		if int(e>>kindShift) == k && (given == nil || contains(given, e)) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func contains(list []uint32, v uint32) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func dedupe(list []uint32) []uint32 {
	out := list[:0]
	for i, v := range list {
		if !contains(list[:i], v) {
			out = append(out, v)
		}
	}
	return out
}

// school accumulates one school's counts.
type school struct {
	part    *ENTPart
	classes map[uint32]*ENTUnit
	groups  map[uint32]*ENTUnit
}

func (s *school) unit(f *FeedReader, groups bool, code uint32) *ENTUnit {
	m := s.classes
	if groups {
		m = s.groups
	}
	u := m[code]
	if u == nil {
		u = &ENTUnit{Code: f.codes[code]}
		m[code] = u
	}
	return u
}

// Finish splits what was read into one ENTPart per school (only the expected one when
// Options.UAI is set: it is then always present, with StructureFound false if the feed lacks it).
func (f *FeedReader) Finish() *Feed {
	feed := &Feed{Files: f.files, Schools: map[string]*ENTPart{}, Stats: f.stats, Warnings: f.warnings}
	f.ext.finish(feed)
	if at, ok := f.extractionDate(feed); ok {
		feed.ExtractedAt, feed.ExportTimeFrom = at, fact.TimeFromFileName
	}
	want := normUAI(f.opt.UAI)
	sjSchool := make([]*school, len(f.sjNames))
	ids := make([]string, 0, len(f.structs))
	for id := range f.structs {
		ids = append(ids, id)
	}
	sort.Strings(ids) // deterministic when two records claim one UAI
	for _, id := range ids {
		st := f.structs[id]
		feed.Stats.Structures++
		if st.uai == "" || (want != "" && st.uai != want) {
			continue
		}
		if prev := feed.Schools[st.uai]; prev != nil {
			feed.Warnings = append(feed.Warnings, fmt.Sprintf("plusieurs structures portent l'UAI %s : la structure %s est retenue", st.uai, prev.StructureID))
			continue
		}
		jointure := firstNonEmpty(st.jointure, id)
		s := &school{part: &ENTPart{StructureFound: true, StructureID: jointure, Name: st.name},
			classes: map[uint32]*ENTUnit{}, groups: map[uint32]*ENTUnit{}}
		for _, v := range st.classes {
			fs := strings.Split(v, "$")
			if strings.TrimSpace(fs[0]) == "" {
				continue
			}
			u := s.unit(f, false, f.code(fs[0]))
			u.Code, u.Listed = fs[0], true // the structure's own spelling wins
			if len(fs) > 1 && u.Label == "" {
				u.Label = fs[1]
			}
		}
		for _, v := range st.groups {
			fs := strings.Split(v, "$")
			if strings.TrimSpace(fs[0]) == "" {
				continue
			}
			u := s.unit(f, true, f.code(fs[0]))
			u.Code, u.Listed = fs[0], true
			if len(fs) > 1 && u.Label == "" {
				u.Label = fs[1]
			}
			for _, div := range fs[min(2, len(fs)):] {
				u.Divisions = appendUnique(u.Divisions, strings.TrimSpace(div))
			}
		}
		feed.Schools[st.uai] = s.part
		sjID := f.sjIDFor(jointure)
		for int(sjID) >= len(sjSchool) {
			sjSchool = append(sjSchool, nil)
		}
		sjSchool[sjID] = s
	}
	known := make([]bool, len(f.sjNames))
	for id, st := range f.structs {
		if sj, ok := f.sjIDs[firstNonEmpty(st.jointure, id)]; ok && int(sj) < len(known) {
			known[sj] = true
		}
	}
	unknownRefs := 0
	var touched []*school
	var seenUnits []uint64
	for i := range f.people {
		p := &f.people[i]
		if p.deleted {
			continue
		}
		if p.pupil {
			feed.Stats.Pupils++
		} else {
			feed.Stats.Staff++
		}
		touched, seenUnits = touched[:0], seenUnits[:0]
		var teachesIn []*school
		for _, e := range p.entries {
			k, id := int(e>>kindShift), e&idMask
			sj, code := id, uint32(0)
			if k != kAttach && k != kFnENS {
				r := f.refs[id]
				sj, code = r.sj, r.code
			}
			var s *school
			if int(sj) < len(sjSchool) {
				s = sjSchool[sj]
			}
			if s == nil {
				if int(sj) < len(known) && !known[sj] {
					unknownRefs++
				}
				continue
			}
			touched = appendSchool(touched, s)
			switch k {
			case kClass, kGroup:
				// A pupil counts once per unit even if two spellings of its code are listed.
				mark := uint64(sj)<<33 | uint64(code)<<1
				if k == kGroup {
					mark |= 1
				}
				if containsU64(seenUnits, mark) {
					continue
				}
				seenUnits = append(seenUnits, mark)
				s.unit(f, k == kGroup, code).Pupils++
			case kClassSubj, kGroupSubj:
				s.unit(f, k == kGroupSubj, code).TeacherLinks++
				teachesIn = appendSchool(teachesIn, s)
			case kPrincipal:
				s.unit(f, false, code).PrincipalLinks++
				teachesIn = appendSchool(teachesIn, s)
			case kFnENS:
				teachesIn = appendSchool(teachesIn, s)
			case kAttach:
				if p.teaches {
					teachesIn = appendSchool(teachesIn, s)
				}
			}
		}
		for _, s := range touched {
			if p.pupil {
				s.part.Pupils++
			} else {
				s.part.Staff++
			}
		}
		if !p.pupil {
			for _, s := range teachesIn {
				s.part.Teachers++
			}
		}
	}
	for _, s := range sjSchool {
		if s == nil {
			continue
		}
		s.part.Classes = sortedUnits(s.classes)
		s.part.Groups = sortedUnits(s.groups)
	}
	if want != "" && feed.Schools[want] == nil {
		feed.Schools[want] = &ENTPart{Classes: []ENTUnit{}, Groups: []ENTUnit{}}
	}
	if unknownRefs > 0 {
		feed.Warnings = append(feed.Warnings, fmt.Sprintf("références à une structure sans fiche EtabEducNat dans l'annuaire : %d", unknownRefs))
	}
	if f.bad > 0 {
		feed.Warnings = append(feed.Warnings, fmt.Sprintf("valeurs hors de la forme <structure>$<code>, ignorées : %d", f.bad))
	}
	for uai, p := range feed.Schools {
		p.Meta = Meta{Source: fact.SourceENT, UAI: uai, ExportedAt: feed.ExtractedAt, ExportTimeFrom: feed.ExportTimeFrom}
	}
	return feed
}

func (f *FeedReader) sjIDFor(s string) uint32 { return f.sj([]byte(s)) }

// extractionDate reads Complet_<yyyymmdd> from the file names (midnight, Paris).
func (f *FeedReader) extractionDate(feed *Feed) (time.Time, bool) {
	var dates []string
	for d := range f.dates {
		dates = append(dates, d)
	}
	sort.Strings(dates)
	var out time.Time
	for _, d := range dates {
		if t, err := time.ParseInLocation("20060102", d, paris()); err == nil {
			out = t // the latest valid date wins
		}
	}
	if len(dates) > 1 {
		feed.Warnings = append(feed.Warnings, fmt.Sprintf("les fichiers viennent de plusieurs extractions (%s) : la plus récente est retenue", strings.Join(dates, ", ")))
	}
	return out, !out.IsZero()
}

func appendSchool(list []*school, s *school) []*school {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func containsU64(list []uint64, v uint64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func sortedUnits(m map[uint32]*ENTUnit) []ENTUnit {
	out := make([]ENTUnit, 0, len(m))
	for _, u := range m {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
