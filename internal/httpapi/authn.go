package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
)

// principal is who makes a request: a user through a browser session or a personal token.
type principal struct {
	user      access.User
	sessionID string         // the raw session id (cookie), empty for a token
	session   *store.Session // nil for a token
	token     *store.Token   // nil for a session
	subject   policy.Subject
}

func principalOf(c *echo.Context) *principal {
	p, _ := c.Get(keyPrincipal).(*principal)
	return p
}

// actor is the principal as the audit log records it.
func (s *Server) actor(c *echo.Context) store.Actor {
	a := store.Actor{RequestID: requestIDOf(c)}
	if p := principalOf(c); p != nil {
		a.UserID, a.Login = p.user.ID, p.user.Login
	}
	return a
}

func newPrincipal(u access.User) *principal {
	sub := policy.Subject{ID: u.Login, PlatformAdmin: u.IsPlatformAdmin()}
	for _, g := range u.Grants {
		if g.Role == access.PlatformAdmin {
			continue
		}
		sub.Grants = append(sub.Grants, policy.Grant{Academy: g.AcademyCode, Role: string(g.Role), UAIs: g.UAIs})
	}
	return &principal{user: u, subject: sub}
}

func (s *Server) sessionCookieName() string {
	if s.opts.CookieSecure {
		return "__Host-vigie_session"
	}
	return "vigie_session"
}

func (s *Server) flowCookieName() string {
	if s.opts.CookieSecure {
		return "__Host-vigie_oidc"
	}
	return "vigie_oidc"
}

func (s *Server) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.opts.CookieSecure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge / time.Second)}
	if maxAge < 0 {
		ck.MaxAge = -1
	}
	return ck
}

// authenticate finds the principal of a request from its bearer token or its session cookie.
// A wrong or expired bearer token is refused (401); a stale session cookie is cleared and the
// request goes on anonymously (public routes still answer, the others answer 401).
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		ctx := c.Request().Context()
		now := s.now().UTC()
		if h := c.Request().Header.Get("Authorization"); h != "" {
			scheme, tok, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || !auth.IsToken(strings.TrimSpace(tok)) {
				return fmt.Errorf("malformed Authorization header: %w", apperr.ErrUnauthorized)
			}
			t, u, err := s.deps.Store.TokenByHash(ctx, access.System(), auth.HashSecret(strings.TrimSpace(tok)), now)
			if err != nil {
				if errors.Is(err, apperr.ErrNotFound) {
					return fmt.Errorf("unknown, revoked or expired token: %w", apperr.ErrUnauthorized)
				}
				return err
			}
			if now.Sub(t.LastUsedAt) > time.Minute {
				if err := s.deps.Store.TouchToken(ctx, access.System(), t.ID, now); err != nil {
					s.log.Warn("record token use", "token", t.ID, "err", err)
				}
			}
			p := newPrincipal(u)
			p.token = &t
			c.Set(keyPrincipal, p)
			return next(c)
		}
		ck, err := c.Cookie(s.sessionCookieName())
		if err != nil || ck.Value == "" {
			return next(c)
		}
		se, u, err := s.deps.Store.SessionByHash(ctx, access.System(), auth.HashSecret(ck.Value), now)
		if err != nil {
			if !errors.Is(err, apperr.ErrNotFound) {
				return err
			}
			c.SetCookie(s.cookie(s.sessionCookieName(), "", -1))
			return next(c)
		}
		if now.Sub(se.LastSeenAt) > time.Minute {
			exp := now.Add(s.opts.SessionIdle)
			if limit := se.CreatedAt.Add(s.opts.SessionMaxAge); exp.After(limit) {
				exp = limit
			}
			if err := s.deps.Store.TouchSession(ctx, access.System(), se.IDHash, now, exp); err != nil {
				s.log.Warn("touch session", "err", err)
			}
		}
		p := newPrincipal(u)
		p.session, p.sessionID = &se, ck.Value
		c.Set(keyPrincipal, p)
		return next(c)
	}
}

func equalCSRF(got, sessionID string) bool {
	return got != "" && auth.Equal(got, auth.CSRFToken(sessionID))
}

// startSession creates a session for u and sets its cookie; it returns the CSRF token.
func (s *Server) startSession(c *echo.Context, u access.User, method string) (string, error) {
	id, err := auth.NewSessionID()
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	se := store.Session{IDHash: auth.HashSecret(id), UserID: u.ID, Method: method, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.opts.SessionIdle), IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	by := store.Actor{UserID: u.ID, Login: u.Login, RequestID: requestIDOf(c)}
	if err := s.deps.Store.CreateSession(c.Request().Context(), access.System(), se, by); err != nil {
		return "", err
	}
	c.SetCookie(s.cookie(s.sessionCookieName(), id, s.opts.SessionMaxAge))
	return auth.CSRFToken(id), nil
}
