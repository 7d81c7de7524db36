package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/auth"
)

// homeOf is where a user lands after login: the first page their grants open.
func (s *Server) homeOf(u access.User) string {
	nav := s.navFor(u, "")
	if len(nav) > 0 {
		return nav[0].Href
	}
	return "/compte"
}

// pageHome sends a visitor to the login page and a user to their first page.
func (s *Server) pageHome(c *echo.Context) error {
	p := principalOf(c)
	if p == nil {
		return c.Redirect(http.StatusSeeOther, "/connexion")
	}
	return c.Redirect(http.StatusSeeOther, s.homeOf(p.user))
}

type loginPage struct {
	Login  string
	Return string
	Error  string
	OIDC   bool
	Demo   []DemoAccount
}

// pageLogin shows the login form, the OIDC button when configured, and the demo accounts in
// demo mode.
func (s *Server) pageLogin(c *echo.Context) error {
	if p := principalOf(c); p != nil {
		return c.Redirect(http.StatusSeeOther, localPath(c.QueryParam("retour")))
	}
	return s.renderLogin(c, http.StatusOK, loginPage{Return: c.QueryParam("retour")})
}

func (s *Server) renderLogin(c *echo.Context, status int, lp loginPage) error {
	lp.OIDC = s.deps.OIDC != nil
	lp.Demo = s.deps.DemoAccounts
	if lp.Return != "" {
		lp.Return = localPath(lp.Return)
	}
	return s.render(c, status, "login", "Connexion", lp)
}

// pageLoginSubmit checks a login and password as the API's login does (same rate limits,
// same timing for unknown logins), opens a session and goes on to the page asked for.
func (s *Server) pageLoginSubmit(c *echo.Context) error {
	login := strings.TrimSpace(c.FormValue("login"))
	password := c.FormValue("password")
	lp := loginPage{Login: login, Return: c.FormValue("retour")}
	u, err := s.checkPassword(c, login, password)
	var rl *rateLimited
	switch {
	case errors.As(err, &rl):
		lp.Error = fmt.Sprintf("Trop de tentatives de connexion. Réessayez dans %d minutes.", int(rl.Retry.Minutes())+1)
		return s.renderLogin(c, http.StatusTooManyRequests, lp)
	case errors.Is(err, errBadCredentials):
		lp.Error = "Identifiant ou mot de passe incorrect."
		return s.renderLogin(c, http.StatusUnauthorized, lp)
	case err != nil:
		return err
	}
	if _, err := s.startSession(c, u, "password"); err != nil {
		return err
	}
	to := s.homeOf(u)
	if lp.Return != "" && localPath(lp.Return) != "/" {
		to = localPath(lp.Return)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// checkPassword verifies a login and password with the login limits of the API.
func (s *Server) checkPassword(c *echo.Context, login, password string) (access.User, error) {
	now := s.now()
	keys := []string{"login:" + strings.ToLower(login), "ip:" + c.RealIP()}
	for _, k := range keys {
		if ok, wait := s.limiter.Allow(k, now); !ok {
			return access.User{}, &rateLimited{Retry: wait}
		}
	}
	u, hash, err := s.deps.Store.UserCredentials(c.Request().Context(), access.System(), login)
	ok := false
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		auth.BurnVerify(password)
	case err != nil:
		return access.User{}, err
	default:
		if ok, err = auth.VerifyPassword(hash, password); err != nil {
			s.log.Error("stored password hash unreadable", "user", u.Login, "err", err)
			ok = false
		}
	}
	if !ok || u.Disabled || login == "" {
		for _, k := range keys {
			s.limiter.Fail(k, now)
		}
		s.log.Info("login refused", "login", login, "ip", c.RealIP(), "request_id", requestIDOf(c))
		return access.User{}, errBadCredentials
	}
	s.limiter.Reset(keys[0])
	return u, nil
}

// pageLogout ends the browser session and shows the login page.
func (s *Server) pageLogout(c *echo.Context) error {
	p := principalOf(c)
	if p.session != nil {
		if err := s.deps.Store.DeleteSession(c.Request().Context(), access.System(), p.session.IDHash, s.actor(c)); err != nil {
			return err
		}
	}
	c.SetCookie(s.cookie(s.sessionCookieName(), "", -1))
	return c.Redirect(http.StatusSeeOther, "/connexion?"+url.Values{"sortie": {"1"}}.Encode())
}
