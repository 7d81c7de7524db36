package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/store"
)

var (
	errBadCredentials = fmt.Errorf("bad credentials: %w", apperr.ErrUnauthorized)
	errUnknownAccount = fmt.Errorf("no account for this identity: %w", apperr.ErrForbidden)
	errOIDCOff        = fmt.Errorf("oidc login is not configured: %w", apperr.ErrNotFound)
)

type grantJSON struct {
	ID        int64     `json:"id"`
	Academy   string    `json:"academy,omitempty"`
	Role      string    `json:"role"`
	UAIs      []string  `json:"uais"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

type userJSON struct {
	ID            int64       `json:"id"`
	Login         string      `json:"login"`
	Name          string      `json:"name"`
	Email         string      `json:"email"`
	HasPassword   bool        `json:"has_password"`
	Disabled      bool        `json:"disabled"`
	PlatformAdmin bool        `json:"platform_admin"`
	LastLoginAt   *time.Time  `json:"last_login_at"`
	CreatedAt     time.Time   `json:"created_at"`
	Grants        []grantJSON `json:"grants"`
}

func toGrantJSON(g access.Grant) grantJSON {
	uais := g.UAIs
	if uais == nil {
		uais = []string{}
	}
	return grantJSON{ID: g.ID, Academy: g.AcademyCode, Role: string(g.Role), UAIs: uais, CreatedAt: g.CreatedAt, CreatedBy: g.CreatedBy}
}

func toUserJSON(u access.User) userJSON {
	out := userJSON{ID: u.ID, Login: u.Login, Name: u.Name, Email: u.Email, HasPassword: u.HasPassword, Disabled: u.Disabled,
		PlatformAdmin: u.IsPlatformAdmin(), LastLoginAt: timeOrNil(u.LastLoginAt), CreatedAt: u.CreatedAt, Grants: []grantJSON{}}
	for _, g := range u.Grants {
		out.Grants = append(out.Grants, toGrantJSON(g))
	}
	return out
}

type sessionJSON struct {
	User      userJSON `json:"user"`
	Method    string   `json:"method"`               // password, oidc or token
	CSRFToken string   `json:"csrf_token,omitempty"` // send it back in X-CSRF-Token
}

// login opens a browser session with a login and password. Failures are counted per login
// and per address; past the limit, attempts are refused before the password is checked.
func (s *Server) login(c *echo.Context) error {
	var in loginRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	now := s.now()
	keys := []string{"login:" + strings.ToLower(strings.TrimSpace(in.Login)), "ip:" + c.RealIP()}
	for _, k := range keys {
		if ok, wait := s.limiter.Allow(k, now); !ok {
			return &rateLimited{Retry: wait}
		}
	}
	ctx := c.Request().Context()
	u, hash, err := s.deps.Store.UserCredentials(ctx, access.System(), in.Login)
	ok := false
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		auth.BurnVerify(in.Password)
	case err != nil:
		return err
	default:
		if ok, err = auth.VerifyPassword(hash, in.Password); err != nil {
			s.log.Error("stored password hash unreadable", "user", u.Login, "err", err)
			ok = false
		}
	}
	if !ok || u.Disabled {
		for _, k := range keys {
			s.limiter.Fail(k, now)
		}
		s.log.Info("login refused", "login", in.Login, "ip", c.RealIP(), "request_id", requestIDOf(c))
		return errBadCredentials
	}
	s.limiter.Reset(keys[0])
	csrf, err := s.startSession(c, u, "password")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sessionJSON{User: toUserJSON(u), Method: "password", CSRFToken: csrf})
}

// logout ends the browser session.
func (s *Server) logout(c *echo.Context) error {
	p := principalOf(c)
	if p.session == nil {
		return apperr.Invalid("logout ends a browser session; revoke a token with DELETE /api/v1/me/tokens/{id}")
	}
	if err := s.deps.Store.DeleteSession(c.Request().Context(), access.System(), p.session.IDHash, s.actor(c)); err != nil {
		return err
	}
	c.SetCookie(s.cookie(s.sessionCookieName(), "", -1))
	return c.NoContent(http.StatusNoContent)
}

// me describes the caller, with the CSRF token of a browser session.
func (s *Server) me(c *echo.Context) error {
	p := principalOf(c)
	out := sessionJSON{User: toUserJSON(p.user), Method: "token"}
	if p.session != nil {
		out.Method, out.CSRFToken = p.session.Method, auth.CSRFToken(p.sessionID)
	}
	return c.JSON(http.StatusOK, out)
}

// localPath keeps a return address only when it is a path of Vigie itself (no open redirect).
func localPath(s string) string {
	u, err := url.Parse(s)
	if s == "" || err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(s, "/") ||
		strings.HasPrefix(s, "//") || strings.Contains(s, "\\") {
		return "/"
	}
	return s
}

// oidcLogin sends the browser to the identity provider (authorisation code flow with PKCE).
// The state is kept hashed in the database and in a short cookie that binds it to this browser.
func (s *Server) oidcLogin(c *echo.Context) error {
	if s.deps.OIDC == nil {
		return errOIDCOff
	}
	ctx := c.Request().Context()
	flow, authURL, err := s.deps.OIDC.Start(ctx)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	err = s.deps.Store.SaveLoginFlow(ctx, access.System(), store.LoginFlow{StateHash: auth.HashSecret(flow.State),
		Verifier: flow.Verifier, Nonce: flow.Nonce, ReturnTo: localPath(c.QueryParam("return_to")), CreatedAt: now,
		ExpiresAt: now.Add(10 * time.Minute)})
	if err != nil {
		return err
	}
	c.SetCookie(s.cookie(s.flowCookieName(), flow.State, 10*time.Minute))
	return c.Redirect(http.StatusFound, authURL)
}

// oidcCallback finishes the login: the state must match this browser's cookie and a pending
// flow; the code is exchanged with the PKCE verifier and the ID token verified. The identity
// maps to an account by (issuer, subject), or, the first time, by its verified e-mail address.
// Accounts are never created here: a platform administrator creates them and their grants.
func (s *Server) oidcCallback(c *echo.Context) error {
	if s.deps.OIDC == nil {
		return errOIDCOff
	}
	ctx := c.Request().Context()
	if e := c.QueryParam("error"); e != "" {
		return fmt.Errorf("provider answered %q: %w", e, auth.ErrLogin)
	}
	state := c.QueryParam("state")
	ck, err := c.Cookie(s.flowCookieName())
	if err != nil || state == "" || !auth.Equal(ck.Value, state) {
		return fmt.Errorf("state does not match this browser: %w", auth.ErrLogin)
	}
	c.SetCookie(s.cookie(s.flowCookieName(), "", -1))
	flow, err := s.deps.Store.TakeLoginFlow(ctx, access.System(), auth.HashSecret(state), s.now())
	if err != nil {
		return fmt.Errorf("%w: %w", auth.ErrLogin, err)
	}
	id, err := s.deps.OIDC.Finish(ctx, c.QueryParam("code"), flow.Verifier, flow.Nonce)
	if err != nil {
		return err
	}
	u, err := s.deps.Store.UserByIdentity(ctx, access.System(), id.Issuer, id.Subject)
	if errors.Is(err, apperr.ErrNotFound) {
		if !id.EmailVerified || id.Email == "" {
			return fmt.Errorf("identity %s has no verified e-mail: %w", id.Subject, errUnknownAccount)
		}
		u, err = s.deps.Store.UserByEmail(ctx, access.System(), id.Email)
		if errors.Is(err, apperr.ErrNotFound) {
			s.log.Info("oidc login of an unknown account", "issuer", id.Issuer, "subject", id.Subject, "request_id", requestIDOf(c))
			return errUnknownAccount
		}
		if err != nil {
			return err
		}
		by := store.Actor{UserID: u.ID, Login: u.Login, RequestID: requestIDOf(c)}
		if err := s.deps.Store.LinkIdentity(ctx, access.System(), id.Issuer, id.Subject, u.ID, by); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if u.Disabled {
		return errUnknownAccount
	}
	if _, err := s.startSession(c, u, "oidc"); err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, localPath(flow.ReturnTo))
}

type tokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	Active     bool       `json:"active"`
	Secret     string     `json:"token,omitempty"` // only in the answer that creates it
}

func (s *Server) toTokenJSON(t store.Token) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Scopes: t.Scopes, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt,
		LastUsedAt: timeOrNil(t.LastUsedAt), RevokedAt: timeOrNil(t.RevokedAt), Active: t.Active(s.now())}
}

func (s *Server) listTokens(c *echo.Context) error {
	ts, err := s.deps.Store.ListTokens(c.Request().Context(), access.System(), principalOf(c).user.ID)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, len(ts))
	for i, t := range ts {
		out[i] = s.toTokenJSON(t)
	}
	return c.JSON(http.StatusOK, itemsOf[tokenJSON]{Items: out})
}

// maxTokenDays is the longest life of a personal token.
const maxTokenDays = 366

// createToken makes a personal API token. Its secret is in this answer only. A token cannot
// make tokens: that would let a stolen token outlive its expiry.
func (s *Server) createToken(c *echo.Context) error {
	p := principalOf(c)
	if p.token != nil {
		return fmt.Errorf("a token cannot create tokens: %w", apperr.ErrForbidden)
	}
	var in tokenRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.ExpiresInDays == 0 {
		in.ExpiresInDays = 90
	}
	if in.ExpiresInDays < 1 || in.ExpiresInDays > maxTokenDays {
		return apperr.Invalid("expires_in_days: from 1 to %d", maxTokenDays)
	}
	known := s.actionNames()
	for _, sc := range in.Scopes {
		if sc != ScopeRead && sc != ScopeWrite && !slices.Contains(known, sc) {
			return apperr.Invalid("unknown scope %q: want read, write or an action name", sc)
		}
	}
	secret, err := auth.NewToken()
	if err != nil {
		return err
	}
	t, err := s.deps.Store.CreateToken(c.Request().Context(), access.System(), store.Token{UserID: p.user.ID, Name: in.Name,
		Prefix: secret[:auth.TokenShownPrefix], Scopes: in.Scopes, ExpiresAt: s.now().AddDate(0, 0, in.ExpiresInDays)},
		auth.HashSecret(secret), s.actor(c))
	if err != nil {
		return err
	}
	out := s.toTokenJSON(t)
	out.Secret = secret
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) revokeToken(c *echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	t, err := s.deps.Store.RevokeToken(c.Request().Context(), access.System(), principalOf(c).user.ID, id, s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toTokenJSON(t))
}

// actionNames lists the actions of the route table (not public), sorted.
func (s *Server) actionNames() []string {
	var out []string
	for _, r := range s.routes {
		if r.action != ActionPublic && !slices.Contains(out, string(r.action)) {
			out = append(out, string(r.action))
		}
	}
	slices.Sort(out)
	return out
}
