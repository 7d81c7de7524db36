package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/store"
)

// Accounts and grants are managed by platform administrators; their scope is System.

func (s *Server) listUsers(c *echo.Context) error {
	us, err := s.deps.Store.ListUsers(c.Request().Context(), grantOf(c).scope)
	if err != nil {
		return err
	}
	out := make([]userJSON, len(us))
	for i, u := range us {
		out[i] = toUserJSON(u)
	}
	return c.JSON(http.StatusOK, itemsOf[userJSON]{Items: out})
}

func (s *Server) createUser(c *echo.Context) error {
	var in userRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	nu := store.NewUser{Login: in.Login, Name: in.Name, Email: in.Email}
	if in.Password != "" {
		h, err := auth.HashPassword(in.Password, auth.DefaultParams)
		if err != nil {
			return err
		}
		nu.PasswordHash = h
	}
	u, err := s.deps.Store.CreateUser(c.Request().Context(), grantOf(c).scope, nu, s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toUserJSON(u))
}

func (s *Server) getUser(c *echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	u, err := s.deps.Store.UserByID(c.Request().Context(), grantOf(c).scope, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUserJSON(u))
}

func (s *Server) updateUser(c *echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in userUpdateRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	up := store.UserUpdate{Name: in.Name, Email: in.Email, Disabled: in.Disabled}
	if in.Password != nil {
		h, err := auth.HashPassword(*in.Password, auth.DefaultParams)
		if err != nil {
			return err
		}
		up.PasswordHash = &h
	}
	u, err := s.deps.Store.UpdateUser(c.Request().Context(), grantOf(c).scope, id, up, s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUserJSON(u))
}

func (s *Server) createGrant(c *echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in grantRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	scope := grantOf(c).scope
	role, err := access.ParseRole(in.Role)
	if err != nil {
		return err
	}
	gr := access.Grant{UserID: id, Role: role, UAIs: in.UAIs}
	if in.Academy != "" {
		a, err := s.deps.Store.AcademyByCode(ctx, scope, in.Academy)
		if err != nil {
			return err
		}
		gr.AcademyID = a.ID
	}
	gr, err = s.deps.Store.AddGrant(ctx, scope, gr, s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toGrantJSON(gr))
}

func (s *Server) deleteGrant(c *echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	gid, err := idParam(c, "grant")
	if err != nil {
		return err
	}
	if err := s.deps.Store.RevokeGrant(c.Request().Context(), grantOf(c).scope, id, gid, s.actor(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
