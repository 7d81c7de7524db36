// Package access owns who may see what: roles granted per academy, users, and the Scope every
// store method takes (which academy, which of its schools). A zero Scope allows nothing.
package access

import "slices"

// Scope limits data access to one academy, and optionally to some of its schools (UAIs).
// The System scope, for the scheduler and command-line tools, crosses academies.
type Scope struct {
	system  bool
	academy int64
	uais    []string // sorted; nil means every school of the academy
	limited bool
}

// System is the scope of Vigie itself (jobs, command line): every academy and school.
func System() Scope { return Scope{system: true} }

// Academy is the scope of every school of one academy.
func Academy(id int64) Scope { return Scope{academy: id} }

// Schools is the scope of some schools of one academy. No UAI means no school.
func Schools(academyID int64, uais ...string) Scope {
	u := slices.Clone(uais)
	slices.Sort(u)
	return Scope{academy: academyID, uais: slices.Compact(u), limited: true}
}

// IsSystem tells whether the scope crosses academies.
func (s Scope) IsSystem() bool { return s.system }

// AcademyID returns the academy of the scope; ok is false for System and for the zero Scope.
func (s Scope) AcademyID() (id int64, ok bool) { return s.academy, !s.system && s.academy != 0 }

// UAIs returns the schools the scope is limited to; ok is false when every school of the
// academy (or of every academy, for System) is allowed.
func (s Scope) UAIs() (uais []string, ok bool) { return s.uais, s.limited }

// AllowsAcademy tells whether data of the academy is visible.
func (s Scope) AllowsAcademy(id int64) bool { return s.system || (s.academy != 0 && s.academy == id) }

// AllowsAllSchools tells whether every school of the academy is visible.
func (s Scope) AllowsAllSchools(academyID int64) bool {
	return s.AllowsAcademy(academyID) && !s.limited
}

// AllowsSchool tells whether one school is visible.
func (s Scope) AllowsSchool(academyID int64, uai string) bool {
	if !s.AllowsAcademy(academyID) {
		return false
	}
	if !s.limited {
		return true
	}
	_, found := slices.BinarySearch(s.uais, uai)
	return found
}

// Narrow returns the scope restricted to one academy's given schools (intersection).
func (s Scope) Narrow(academyID int64, uais ...string) Scope {
	if !s.AllowsAcademy(academyID) {
		return Scope{}
	}
	var keep []string
	for _, u := range uais {
		if s.AllowsSchool(academyID, u) {
			keep = append(keep, u)
		}
	}
	return Schools(academyID, keep...)
}
