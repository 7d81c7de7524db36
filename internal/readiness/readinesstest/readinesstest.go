// Package readinesstest builds fact snapshots of typical schools for the tests and benchmarks
// of readiness and policy: every source present and fresh, every national check passing,
// so that a test changes only what it is about.
package readinesstest

import (
	"fmt"
	"time"

	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fact"
)

// Now is the instant the snapshots describe: Monday 5 October 2026, 11:30 in Paris.
var Now = time.Date(2026, time.October, 5, 9, 30, 0, 0, time.UTC)

// Spec sizes a school.
type Spec struct {
	UAI               string
	Divisions         int // e.g. 28 for a lycée
	GroupsPerDivision int // e.g. 3
	PupilsPerDivision int // e.g. 30
	// AbsentFromLinks pupils are active in SIECLE but missing from the links file (below the
	// 20 % threshold for a passing school).
	AbsentFromLinks int
}

// Lycee is a typical lycée: 28 divisions of 30 pupils, 3 groups each (840 pupils, 84 groups).
func Lycee(uai string) Spec {
	return Spec{UAI: uai, Divisions: 28, GroupsPerDivision: 3, PupilsPerDivision: 30, AbsentFromLinks: 12}
}

// School returns a school of the given kind for a snapshot.
func School(uai string, kind campaign.Kind) campaign.School {
	return campaign.School{UAI: uai, Name: "Lycée " + uai, Kind: kind, Departement: campaign.DepartementFromUAI(uai)}
}

// UAI returns a valid UAI for a number (0790000 + n with its check letter).
func UAI(n int) string {
	digits := fmt.Sprintf("%07d", 790000+n)
	l, err := campaign.UAICheckLetter(digits)
	if err != nil {
		panic(err)
	}
	return digits + string(l)
}

func intp(n int) *int { return &n }

// Snapshot builds a school whose every check passes.
func Snapshot(spec Spec) *fact.Snapshot {
	src := func(file string, exported time.Time) fact.SourceInfo {
		return fact.SourceInfo{File: file, ExportedAt: exported, ExportTimeFrom: fact.TimeFromContent,
			ImportedAt: Now.Add(-time.Hour), SHA256: "0"}
	}
	s := &fact.Snapshot{
		Version:    fact.SchemaVersion,
		UAI:        spec.UAI,
		SchoolYear: 2026,
		AsOf:       Now,
		Sources: map[fact.Source]fact.SourceInfo{
			fact.SourceSTS:        src("sts_emp_"+spec.UAI+"_2026.xml", Now.Add(-72*time.Hour)),
			fact.SourceSIECLE:     src("ElevesSansAdresses.xml", Now.Add(-72*time.Hour)),
			fact.SourceStructures: src("Structures.xml", Now.Add(-72*time.Hour)),
			fact.SourceLinks:      src(spec.UAI+"ELEGROUPE2026261001090000.xml", Now.Add(-96*time.Hour)),
			fact.SourceENT:        src("FULL_ENTTSSERVICES_Complet_20261005_EtabEducNat_0000.xml", Now.Add(-8*time.Hour)),
		},
		Divisions: map[string]*fact.Division{},
		Groups:    map[string]*fact.Group{},
		ENT:       fact.ENTSchool{StructureFound: true, StructureID: "52006", Name: "LYCEE " + spec.UAI},
		History: fact.History{
			PreviousYearKnown:  true,
			PreviousYearGroups: []string{"OLD GROUP"},
			// As if Vigie had seen an earlier STS-Web export with other groups: the change is
			// known, and the links file (4 days old) is after it.
			STSGroupsChangedAt: Now.Add(-10 * 24 * time.Hour),
		},
	}
	pupils := 0
	for d := 1; d <= spec.Divisions; d++ {
		code := fmt.Sprintf("%d%02d", 2+d%3, d)
		n := spec.PupilsPerDivision
		pupils += n
		s.Divisions[fact.Key(code)] = &fact.Division{
			Code: code, Label: code,
			STS: fact.STSDivision{Present: true, Planned: n, Computed: intp(n), MEFs: []string{"20010018110"},
				Services: 12, ServicesWithTeacher: 12, GroupServicesWithTeacher: spec.GroupsPerDivision, Teachers: 10,
				PP: []fact.PP{{TeacherID: fmt.Sprintf("T%d", d), Start: "2026-09-01"}}},
			SIECLE: fact.SIECLEDivision{Present: true, InStructures: true, Pupils: n, PupilsAll: n + 1},
			ENT:    fact.ENTStructure{Listed: true, Pupils: n, TeacherLinks: 10, PrincipalLinks: 1},
		}
		for g := 1; g <= spec.GroupsPerDivision; g++ {
			gcode := fmt.Sprintf("%s GR%d", code, g)
			gn := n / 2
			s.Groups[fact.Key(gcode)] = &fact.Group{
				Code: gcode, Label: gcode,
				STS: fact.STSGroup{Present: true, Planned: gn, Divisions: []string{fact.Key(code)}, MEFs: []string{"20010018110"},
					Services: 1, ServicesWithTeacher: 1, Teachers: 1},
				SIECLE: fact.SIECLEGroup{Present: true, InStructures: true, Divisions: []string{fact.Key(code)}, Pupils: gn, PupilsAll: gn},
				Links:  fact.LinksGroup{Present: true, Pupils: gn},
				ENT: fact.ENTGroup{ENTStructure: fact.ENTStructure{Listed: true, Pupils: gn, TeacherLinks: 1},
					Divisions: []string{fact.Key(code)}},
			}
		}
	}
	s.Pupils = fact.Pupils{Total: pupils + 10, Active: pupils, Left: 6, Inactive: 4,
		LinksListed: pupils - spec.AbsentFromLinks, LinksLinks: 3 * pupils, ENT: pupils}
	for i := 0; i < spec.AbsentFromLinks; i++ {
		s.Pupils.LinksAbsent = append(s.Pupils.LinksAbsent,
			fact.PupilRef{ID: fmt.Sprintf("%d", 100000+i), Name: fmt.Sprintf("ÉLÈVE Absent%d", i), Division: "201"})
	}
	s.Teachers = fact.Teachers{Total: 80, WithFunction: 80, ENT: 80}
	return s
}
