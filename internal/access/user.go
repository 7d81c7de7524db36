package access

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
)

// Role is what a grant lets its holder do in one academy.
type Role string

// Roles. PlatformAdmin is granted without an academy.
const (
	// Supervisor (rectorat): reads every school of the academy, approves exemptions, triggers runs.
	Supervisor Role = "supervisor"
	// PolicyAuthor (DANE, academy IT): edits the academy's readiness policies.
	PolicyAuthor Role = "policy_author"
	// SchoolAdmin (chef d'établissement, secrétariat): reads and uploads for the UAIs of the grant.
	SchoolAdmin Role = "school_admin"
	// PlatformAdmin manages academies, users and grants, across academies.
	PlatformAdmin Role = "platform_admin"
)

// Roles lists every role.
var Roles = []Role{Supervisor, PolicyAuthor, SchoolAdmin, PlatformAdmin}

// roleLabels are the roles' French names, the one place pages, the demo accounts and e-mails
// take them from.
var roleLabels = map[Role]string{
	Supervisor:    "Superviseur du rectorat",
	PolicyAuthor:  "Auteur des règles",
	SchoolAdmin:   "Administrateur d’établissement",
	PlatformAdmin: "Administrateur de la plateforme",
}

// Label is the role's French name: « Administrateur d’établissement »; an unknown role keeps
// its code.
func (r Role) Label() string {
	if l, ok := roleLabels[r]; ok {
		return l
	}
	return string(r)
}

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	r := Role(strings.TrimSpace(s))
	if !slices.Contains(Roles, r) {
		return "", apperr.Invalid("unknown role %q (want one of supervisor, policy_author, school_admin, platform_admin)", s)
	}
	return r, nil
}

// Grant gives a user a role in an academy; a school_admin grant lists its schools.
type Grant struct {
	ID          int64
	UserID      int64
	AcademyID   int64  // 0 for platform_admin
	AcademyCode string // filled when read
	Role        Role
	UAIs        []string // school_admin only, sorted, upper case
	CreatedAt   time.Time
	CreatedBy   string
}

// Validate checks the grant's shape: a platform_admin grant has no academy, the others have
// one; only school_admin lists UAIs, and it must list at least one valid UAI.
func (g *Grant) Validate() error {
	if _, err := ParseRole(string(g.Role)); err != nil {
		return err
	}
	if g.Role == PlatformAdmin {
		if g.AcademyID != 0 || len(g.UAIs) > 0 {
			return apperr.Invalid("a platform_admin grant names no academy and no school")
		}
		return nil
	}
	if g.AcademyID == 0 {
		return apperr.Invalid("a %s grant needs an academy", g.Role)
	}
	if g.Role != SchoolAdmin {
		if len(g.UAIs) > 0 {
			return apperr.Invalid("only a school_admin grant lists schools")
		}
		return nil
	}
	if len(g.UAIs) == 0 {
		return apperr.Invalid("a school_admin grant lists at least one school (UAI)")
	}
	uais := make([]string, 0, len(g.UAIs))
	for _, u := range g.UAIs {
		p, err := campaign.ParseUAI(u)
		if err != nil {
			return fmt.Errorf("grant school %q: %w", u, err)
		}
		uais = append(uais, p)
	}
	slices.Sort(uais)
	g.UAIs = slices.Compact(uais)
	return nil
}

// User is an account of Vigie, with its grants.
type User struct {
	ID          int64
	Login       string
	Name        string
	Email       string
	HasPassword bool
	Disabled    bool
	LastLoginAt time.Time
	CreatedAt   time.Time
	Grants      []Grant
}

// IsPlatformAdmin tells whether the user holds the platform_admin role.
func (u User) IsPlatformAdmin() bool {
	return slices.ContainsFunc(u.Grants, func(g Grant) bool { return g.Role == PlatformAdmin })
}

// NormalizeLogin returns the canonical form of a login (trimmed, lower case) or an error when
// it is empty or holds characters other than letters, digits and . _ - @.
func NormalizeLogin(s string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	if l == "" || len(l) > 120 {
		return "", apperr.Invalid("login must have 1 to 120 characters")
	}
	for _, r := range l {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)
		if !ok {
			return "", apperr.Invalid("login %q: only letters, digits and . _ - @ are allowed", s)
		}
	}
	return l, nil
}

// ScopeFor turns what the authorisation policy decided for one academy into a Scope: every
// school of the academy, or only the listed ones.
func ScopeFor(academyID int64, allSchools bool, uais []string) Scope {
	if allSchools {
		return Academy(academyID)
	}
	return Schools(academyID, uais...)
}
