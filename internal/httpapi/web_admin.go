package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/store"
)

type adminPage struct {
	Academies []adminAcademy
	Users     []access.User
	Roles     []access.Role
	UAIRole   access.Role // the role whose grants name UAIs
	Error     string
}

// adminAcademy is an academy of the admin page with the links its reader may follow.
type adminAcademy struct {
	campaign.Academy
	CanView, CanAudit bool
}

// pageAdmin is the platform administrators' page: academies, accounts and their grants.
func (s *Server) pageAdmin(c *echo.Context) error { return s.renderAdmin(c, http.StatusOK, "") }

func (s *Server) renderAdmin(c *echo.Context, status int, msg string) error {
	ctx := c.Request().Context()
	scope := grantOf(c).scope
	out := adminPage{Roles: access.Roles, UAIRole: access.SchoolAdmin, Error: msg}
	var err error
	academies, err := s.deps.Store.ListAcademies(ctx, access.System())
	if err != nil {
		return err
	}
	for _, a := range academies {
		// Only the links the administrator may follow: the same authorisation as their routes.
		row := adminAcademy{Academy: a}
		if row.CanView, err = s.may(c, ActionSummaryRead, a.Code, ""); err != nil {
			return err
		}
		if row.CanAudit, err = s.may(c, ActionAuditRead, a.Code, ""); err != nil {
			return err
		}
		out.Academies = append(out.Academies, row)
	}
	if out.Users, err = s.deps.Store.ListUsers(ctx, scope); err != nil {
		return err
	}
	return s.render(c, status, "admin", "Administration", out)
}

// adminInput renders a user's mistake on the admin page rather than an error page.
func (s *Server) adminInput(c *echo.Context, err error) error {
	if errors.Is(err, apperr.ErrInvalid) || errors.Is(err, apperr.ErrConflict) || errors.Is(err, apperr.ErrNotFound) {
		return s.renderAdmin(c, http.StatusBadRequest, "Demande refusée : "+err.Error())
	}
	return err
}

// pageAdminAcademy creates an academy.
func (s *Server) pageAdminAcademy(c *echo.Context) error {
	code, name := strings.TrimSpace(c.FormValue("code")), strings.TrimSpace(c.FormValue("nom"))
	a, err := s.deps.Store.CreateAcademy(c.Request().Context(), grantOf(c).scope, code, name)
	if err != nil {
		return s.adminInput(c, err)
	}
	if err := s.deps.Store.RecordAudit(c.Request().Context(), grantOf(c).scope, s.actor(c), store.Change{AcademyID: a.ID,
		Action: string(ActionAcademyCreate), TargetType: "academy", TargetID: strconv.FormatInt(a.ID, 10), After: map[string]string{"code": a.Code, "name": a.Name}}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin?ok=academy")
}

// pageAdminUser creates an account, with a password or for OIDC only.
func (s *Server) pageAdminUser(c *echo.Context) error {
	nu := store.NewUser{Login: strings.TrimSpace(c.FormValue("login")), Name: strings.TrimSpace(c.FormValue("nom")),
		Email: strings.TrimSpace(c.FormValue("courriel"))}
	if pw := c.FormValue("mot_de_passe"); pw != "" {
		if len(pw) < 12 {
			return s.renderAdmin(c, http.StatusBadRequest, "Le mot de passe doit compter au moins 12 caractères.")
		}
		h, err := auth.HashPassword(pw, auth.DefaultParams)
		if err != nil {
			return err
		}
		nu.PasswordHash = h
	}
	if _, err := s.deps.Store.CreateUser(c.Request().Context(), grantOf(c).scope, nu, s.actor(c)); err != nil {
		return s.adminInput(c, err)
	}
	return c.Redirect(http.StatusSeeOther, "/admin?ok=user#comptes")
}

// pageAdminGrant grants a role to an account (the form's « compte »).
func (s *Server) pageAdminGrant(c *echo.Context) error {
	id, err := strconv.ParseInt(c.FormValue("compte"), 10, 64)
	if err != nil || id <= 0 {
		return s.renderAdmin(c, http.StatusBadRequest, "Choisissez un compte.")
	}
	ctx := c.Request().Context()
	scope := grantOf(c).scope
	role, err := access.ParseRole(c.FormValue("role"))
	if err != nil {
		return s.adminInput(c, err)
	}
	gr := access.Grant{UserID: id, Role: role,
		UAIs: strings.FieldsFunc(c.FormValue("uais"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' })}
	if code := c.FormValue("academie"); code != "" && role != access.PlatformAdmin {
		a, err := s.deps.Store.AcademyByCode(ctx, scope, code)
		if err != nil {
			return s.adminInput(c, err)
		}
		gr.AcademyID = a.ID
	}
	if _, err := s.deps.Store.AddGrant(ctx, scope, gr, s.actor(c)); err != nil {
		return s.adminInput(c, err)
	}
	return c.Redirect(http.StatusSeeOther, "/admin?ok=grant#comptes")
}

// pageAdminRevoke withdraws a grant.
func (s *Server) pageAdminRevoke(c *echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	gid, err := idParam(c, "grant")
	if err != nil {
		return err
	}
	if err := s.deps.Store.RevokeGrant(c.Request().Context(), grantOf(c).scope, id, gid, s.actor(c)); err != nil {
		return s.adminInput(c, err)
	}
	return c.Redirect(http.StatusSeeOther, "/admin?ok=revoked#comptes")
}
