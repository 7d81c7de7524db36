// Package fact defines the fact snapshot: the normalised view of one school's export files
// (STS-Web, SIECLE-BEE, the EDT pupil-group links file, the federating directory feed), joined
// by division and group code. The snapshot is the input of the readiness policies; its JSON
// shape is versioned (SchemaVersion) and documented in docs/snapshot.md. Keep it stable: add
// fields freely, never rename or change the meaning of one without bumping the version.
//
// Every per-source block is always present, with Present=false and zero counts when the source
// does not know the structure: a policy that reads `g.siecle.pupils == 0` must see 0, not an
// undefined value that would silently pass.
package fact

import (
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// SchemaVersion is the version of the snapshot's JSON shape.
const SchemaVersion = 1

// Source names one kind of export file.
type Source string

// The sources a snapshot can join.
const (
	SourceSTS          Source = "sts"                 // STS-Web sts_emp (root STS_EDT)
	SourceSIECLE       Source = "siecle"              // SIECLE-BEE ElevesSansAdresses/ElevesAvecAdresses (BEE_ELEVES)
	SourceStructures   Source = "siecle_structures"   // SIECLE-BEE Structures.xml (BEE_STRUCTURES)
	SourceNomenclature Source = "siecle_nomenclature" // SIECLE-BEE Nomenclature.xml (BEE_NOMENCLATURES)
	SourceLinks        Source = "links"               // EDT pupil-group links <UAI>ELEGROUPE<digits>.xml
	SourceENT          Source = "ent"                 // federating directory feed (AAF ficAlimMENESR)
)

// Sources lists every source in chain order.
var Sources = []Source{SourceSTS, SourceSIECLE, SourceStructures, SourceNomenclature, SourceLinks, SourceENT}

// sourceLabels are the French names of the sources, as school and rectorat staff know them.
var sourceLabels = map[Source]string{
	SourceSTS:          "STS-Web (sts_emp)",
	SourceSIECLE:       "SIECLE-BEE — élèves",
	SourceStructures:   "SIECLE-BEE — structures",
	SourceNomenclature: "SIECLE-BEE — nomenclatures",
	SourceLinks:        "liens élèves-groupes (EDT)",
	SourceENT:          "annuaire fédérateur (AAF)",
}

// Label is the source's French name for people (web pages, upload results): « STS-Web
// (sts_emp) ». A file refused before its kind was known has the empty source: « type non
// reconnu »; an unknown source keeps its code.
func (s Source) Label() string {
	if l, ok := sourceLabels[s]; ok {
		return l
	}
	if s == "" {
		return "type non reconnu"
	}
	return string(s)
}

// How an export time was obtained.
const (
	TimeFromContent  = "content"   // a field of the file (SIECLE HORODATAGE)
	TimeFromFileName = "file_name" // the file name (links file timestamp, AAF Complet_<yyyymmdd>)
	TimeFromMtime    = "mtime"     // the file system's modification time
	TimeFromZipEntry = "zip_entry" // the modified time of the entry inside a zip
	TimeFromUpload   = "upload"    // nothing better: the time the file was received
)

// Snapshot is everything Vigie knows about one school at one instant.
type Snapshot struct {
	Version    int    `json:"version"`
	UAI        string `json:"uai"`
	SchoolYear int    `json:"school_year"` // first calendar year: 2026 for 2026-2027
	// AsOf is the instant the snapshot describes: pupils whose exit date is before it are not
	// active.
	AsOf time.Time `json:"as_of"`
	// Sources has one entry per source that was available, keyed by Source.
	Sources map[Source]SourceInfo `json:"sources"`
	// Divisions and Groups are keyed by Key(code).
	Divisions map[string]*Division `json:"divisions"`
	Groups    map[string]*Group    `json:"groups"`
	Pupils    Pupils               `json:"pupils"`
	Teachers  Teachers             `json:"teachers"`
	ENT       ENTSchool            `json:"ent"`
	History   History              `json:"history"`
}

// SourceInfo describes the file a source's facts come from.
type SourceInfo struct {
	File           string    `json:"file"`
	Entry          string    `json:"entry,omitempty"` // the XML entry inside File when File is a zip
	ExportedAt     time.Time `json:"exported_at"`
	ExportTimeFrom string    `json:"export_time_from"` // one of the TimeFrom* constants
	ImportedAt     time.Time `json:"imported_at"`
	SHA256         string    `json:"sha256"`
	ImportID       int64     `json:"import_id,omitempty"`
	// SchoolYear is the school year the file declares (0 when it carries none, e.g. the ENT
	// feed): a source is usable only when it is the campaign's.
	SchoolYear int `json:"school_year,omitempty"`
	// Warnings are the reader's remarks on the file (merged blocks, ignored entries...).
	Warnings []string `json:"warnings,omitempty"`
}

// Division (classe) as each source sees it.
type Division struct {
	Code   string         `json:"code"` // the code as written by the first source that has it (STS first)
	Label  string         `json:"label,omitempty"`
	STS    STSDivision    `json:"sts"`
	SIECLE SIECLEDivision `json:"siecle"`
	ENT    ENTStructure   `json:"ent"`
}

// STSDivision is a division in STS-Web.
type STSDivision struct {
	Present  bool     `json:"present"`
	Planned  int      `json:"planned"`  // EFFECTIF_PREVU (0 when absent)
	Computed *int     `json:"computed"` // EFFECTIF_CALCULE, null when absent
	MEFs     []string `json:"mefs"`     // MEF_APPARTENANCE codes
	Services int      `json:"services"` // SERVICE elements directly under the division
	// ServicesWithTeacher counts direct services naming at least one teacher.
	ServicesWithTeacher int `json:"services_with_teacher"`
	// GroupServicesWithTeacher counts services with a teacher of the groups that list this division.
	GroupServicesWithTeacher int  `json:"group_services_with_teacher"`
	Teachers                 int  `json:"teachers"` // distinct teachers of direct services
	PP                       []PP `json:"pp"`       // professeur principal assignments, any dates
}

// PP is a professeur principal assignment. Dates are YYYY-MM-DD; empty means open.
type PP struct {
	TeacherID string `json:"teacher_id"`
	Start     string `json:"start"`
	End       string `json:"end"`
}

// SIECLEDivision is a division in SIECLE-BEE.
type SIECLEDivision struct {
	// Present: listed in Structures.xml, or the division of at least one pupil (active or not).
	Present bool `json:"present"`
	// InStructures is true when Structures.xml lists it; false when that file is absent or does
	// not list it (see Sources to tell which).
	InStructures bool `json:"in_structures"`
	Pupils       int  `json:"pupils"`     // active pupils whose division is this one
	PupilsAll    int  `json:"pupils_all"` // every pupil linked to it, left and inactive included
}

// ENTStructure is a division or a group in the federating directory feed.
type ENTStructure struct {
	// Listed: named in the structure's ENTStructureClasses / ENTStructureGroupes.
	Listed         bool `json:"listed"`
	Pupils         int  `json:"pupils"`          // pupils referencing it (ENTEleveClasses / ENTEleveGroupes)
	TeacherLinks   int  `json:"teacher_links"`   // ENTAuxEnsClassesMatieres / ENTAuxEnsGroupesMatieres entries
	PrincipalLinks int  `json:"principal_links"` // ENTAuxEnsClassesPrincipal entries (divisions only)
}

// Group (groupe) as each source sees it.
type Group struct {
	Code   string      `json:"code"`
	Label  string      `json:"label,omitempty"`
	STS    STSGroup    `json:"sts"`
	SIECLE SIECLEGroup `json:"siecle"`
	Links  LinksGroup  `json:"links"`
	ENT    ENTGroup    `json:"ent"`
}

// STSGroup is a group in STS-Web.
type STSGroup struct {
	Present             bool     `json:"present"`
	Planned             int      `json:"planned"`
	Computed            *int     `json:"computed"`
	Divisions           []string `json:"divisions"` // Key() of DIVISION_APPARTENANCE codes
	MEFs                []string `json:"mefs"`
	Services            int      `json:"services"`
	ServicesWithTeacher int      `json:"services_with_teacher"`
	Teachers            int      `json:"teachers"`
}

// SIECLEGroup is a group in SIECLE-BEE.
type SIECLEGroup struct {
	Present      bool     `json:"present"`
	InStructures bool     `json:"in_structures"`
	Divisions    []string `json:"divisions"` // Key() of divisions from Structures.xml
	Pupils       int      `json:"pupils"`    // active pupils with a G link to it
	PupilsAll    int      `json:"pupils_all"`
}

// LinksGroup is a group in the EDT pupil-group links file.
type LinksGroup struct {
	Present bool `json:"present"`
	Pupils  int  `json:"pupils"`
}

// ENTGroup is a group in the federating directory feed.
type ENTGroup struct {
	ENTStructure
	Divisions []string `json:"divisions"` // Key() of the divisions listed in ENTStructureGroupes
}

// Pupils holds pupil counts and every pupil-level anomaly, listed in full.
type Pupils struct {
	Total    int `json:"total"`    // pupils in the SIECLE export
	Active   int `json:"active"`   // not left at AsOf, not in the Inactifs pseudo-division
	Left     int `json:"left"`     // DATE_SORTIE before AsOf
	Inactive int `json:"inactive"` // in the Inactifs pseudo-division and not already counted as left

	NoDivision        []PupilRef  `json:"no_division"`
	SeveralDivisions  []PupilRef  `json:"several_divisions"`
	DuplicateINE      []Duplicate `json:"duplicate_ine"`
	DuplicateIdentity []Duplicate `json:"duplicate_identity"` // same name and birth date
	MissingINE        []PupilRef  `json:"missing_ine"`

	// From the links file, compared with SIECLE's active pupils.
	LinksListed  int        `json:"links_listed"`  // pupils listed in the links file
	LinksLinks   int        `json:"links_links"`   // pupil-group links in the links file
	LinksAbsent  []PupilRef `json:"links_absent"`  // active SIECLE pupils not in the links file
	LinksUnknown int        `json:"links_unknown"` // pupils of the links file unknown to SIECLE

	ENT int `json:"ent"` // pupils of this school in the ENT feed
}

// PupilRef names a pupil in a result. Divisions is set when relevant (several divisions).
type PupilRef struct {
	ID        string   `json:"id"` // SIECLE ELEVE_ID
	INE       string   `json:"ine,omitempty"`
	Name      string   `json:"name"` // "NOM Prénom"
	BirthDate string   `json:"birth_date,omitempty"`
	Division  string   `json:"division,omitempty"`
	Divisions []string `json:"divisions,omitempty"`
}

// Duplicate is a set of active pupils sharing a key (INE, or name and birth date).
type Duplicate struct {
	Key    string     `json:"key"`
	Pupils []PupilRef `json:"pupils"`
}

// Teachers holds STS-Web teacher facts.
type Teachers struct {
	Total        int `json:"total"`         // INDIVIDU elements
	WithFunction int `json:"with_function"` // INDIVIDU with a FONCTION
	// ServiceIssues lists services naming a teacher who is unknown or has no function.
	ServiceIssues []ServiceIssue `json:"service_issues"`
	ENT           int            `json:"ent"` // teachers of this school in the ENT feed
}

// ServiceIssue is one service whose teacher cannot teach it.
type ServiceIssue struct {
	Structure     string `json:"structure"`      // division or group code
	StructureKind string `json:"structure_kind"` // "division" or "group"
	Subject       string `json:"subject"`        // CODE_MATIERE
	TeacherID     string `json:"teacher_id"`
	Reason        string `json:"reason"` // "unknown_teacher" or "no_function"
}

// ENTSchool is the school in the federating directory feed.
type ENTSchool struct {
	// StructureFound: the feed (present in Sources) has an EtabEducNat for this UAI.
	StructureFound bool   `json:"structure_found"`
	StructureID    string `json:"structure_id,omitempty"` // ENTStructureJointure
	Name           string `json:"name,omitempty"`
}

// History holds facts that need earlier snapshots.
type History struct {
	// PreviousYearKnown is true when an STS-Web export of the previous school year was imported.
	PreviousYearKnown  bool     `json:"previous_year_known"`
	PreviousYearGroups []string `json:"previous_year_groups"` // Key() of last year's STS groups
	// STSGroupsChangedAt is the export time of the oldest STS-Web file of the school year
	// having today's set of groups, known only when Vigie saw an earlier file of the year with
	// another set: the first export after the groups last changed. Zero (JSON
	// "0001-01-01T00:00:00Z") when that time is unknown (one STS-Web file, or the same groups
	// in every earlier one) or STS is absent: an sts_emp carries no export date, so the latest
	// file's time says nothing of when its groups were made, and checks then judge from
	// content (links.imported: is every STS-Web group in the links file?).
	STSGroupsChangedAt time.Time `json:"sts_groups_changed_at"`
}

// Key normalises a division or group code for joining sources: Unicode NFC, diacritics removed,
// upper case, runs of white space (including no-break spaces) folded to one space, trimmed.
// "3 a", "3  A" and " 3 A " join; "3A" and "3 A" do not.
func Key(code string) string {
	var b strings.Builder
	b.Grow(len(code))
	space := false
	for _, r := range norm.NFD.String(code) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r) || r == '\u00a0' || r == '\u202f':
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(strings.ToUpper(string(r)))
	}
	return norm.NFC.String(b.String())
}
