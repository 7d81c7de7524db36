package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/store"
)

type accountPage struct {
	User     access.User
	Tokens   []store.Token
	Active   map[int64]bool
	Prefs    store.NotificationPrefs
	MaxDays  int
	NewToken string // the secret of a token just created: shown once
	NewName  string
	Error    string
	// Academies are the names of the user's academies, by code.
	Academies map[string]string
}

// pageAccount shows the user's grants, personal API tokens and notification preferences.
func (s *Server) pageAccount(c *echo.Context) error {
	return s.renderAccount(c, http.StatusOK, accountPage{})
}

func (s *Server) renderAccount(c *echo.Context, status int, out accountPage) error {
	p := principalOf(c)
	ctx := c.Request().Context()
	out.User = p.user
	ts, err := s.deps.Store.ListTokens(ctx, access.System(), p.user.ID)
	if err != nil {
		return err
	}
	out.Tokens, out.Active, out.MaxDays = ts, map[int64]bool{}, store.MaxRepeatDays
	for _, t := range ts {
		out.Active[t.ID] = t.Active(s.now())
	}
	if out.Prefs, err = s.deps.Store.NotificationPrefsOf(ctx, access.System(), p.user.ID); err != nil {
		return err
	}
	out.Academies = map[string]string{}
	for _, g := range p.user.Grants {
		if g.AcademyCode == "" || out.Academies[g.AcademyCode] != "" {
			continue
		}
		a, err := s.deps.Store.AcademyByCode(ctx, access.System(), g.AcademyCode)
		if err != nil {
			return err
		}
		out.Academies[a.Code] = a.Name
	}
	return s.render(c, status, "account", "Mon compte", out)
}

// pageTokenCreate makes a personal API token and shows its secret once.
func (s *Server) pageTokenCreate(c *echo.Context) error {
	p := principalOf(c)
	if p.token != nil {
		return apperr.ErrForbidden
	}
	name := strings.TrimSpace(c.FormValue("nom"))
	days, err := strconv.Atoi(c.FormValue("jours"))
	scope := c.FormValue("portee")
	if name == "" || err != nil || days < 1 || days > maxTokenDays || (scope != ScopeRead && scope != ScopeWrite) {
		return s.renderAccount(c, http.StatusBadRequest, accountPage{Error: "Indiquez un nom, une durée de 1 à 366 jours et une portée (lecture ou écriture)."})
	}
	secret, err := auth.NewToken()
	if err != nil {
		return err
	}
	_, err = s.deps.Store.CreateToken(c.Request().Context(), access.System(), store.Token{UserID: p.user.ID, Name: name,
		Prefix: secret[:auth.TokenShownPrefix], Scopes: []string{scope}, ExpiresAt: s.now().AddDate(0, 0, days)},
		auth.HashSecret(secret), s.actor(c))
	if err != nil {
		return err
	}
	return s.renderAccount(c, http.StatusCreated, accountPage{NewToken: secret, NewName: name})
}

// pageTokenRevoke revokes one of the user's tokens.
func (s *Server) pageTokenRevoke(c *echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.deps.Store.RevokeToken(c.Request().Context(), access.System(), principalOf(c).user.ID, id, s.actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/compte?ok=token#jetons")
}

// pageNotifications saves the user's e-mail digest preferences.
func (s *Server) pageNotifications(c *echo.Context) error {
	enabled := c.FormValue("courriel") == "oui"
	days := 0
	if v := strings.TrimSpace(c.FormValue("repetition")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > store.MaxRepeatDays {
			return s.renderAccount(c, http.StatusBadRequest, accountPage{Error: "La fréquence de rappel est un nombre de jours de 0 à " + strconv.Itoa(store.MaxRepeatDays) + "."})
		}
		days = n
	}
	if _, err := s.deps.Store.SetNotificationPrefs(c.Request().Context(), access.System(), principalOf(c).user.ID, enabled, days, s.actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/compte?ok=prefs#notifications")
}

type auditPage struct {
	Title   string
	Entries []store.AuditEntry
	Total   int64
	Page    page
	Prev    string
	Next    string
	Action  string
}

func (s *Server) renderAudit(c *echo.Context, academyID int64, title, base string) error {
	g := grantOf(c)
	pg, err := pageParams(c)
	if err != nil {
		return frenchQuery(err)
	}
	f := store.AuditFilter{AcademyID: academyID, Action: c.QueryParam("action"), Limit: pg.limit(), Offset: pg.offset()}
	entries, total, err := s.deps.Store.ListAudit(c.Request().Context(), g.scope, f)
	if err != nil {
		return err
	}
	if total > 0 && int64(pg.offset()) >= total { // past the end: the last page
		return c.Redirect(http.StatusSeeOther, lastPageURL(c, int((total+int64(pg.PerPage)-1)/int64(pg.PerPage))))
	}
	out := auditPage{Title: title, Entries: entries, Total: total, Page: pg, Action: f.Action}
	q := url.Values{}
	if f.Action != "" {
		q.Set("action", f.Action)
	}
	if pg.Page > 1 {
		q.Set("page", strconv.Itoa(pg.Page-1))
		out.Prev = base + "?" + q.Encode()
	}
	if int64(pg.offset()+len(entries)) < total {
		q.Set("page", strconv.Itoa(pg.Page+1))
		out.Next = base + "?" + q.Encode()
	}
	return s.render(c, http.StatusOK, "audit", title, out)
}

// pageAcademyAudit is the academy's audit log.
func (s *Server) pageAcademyAudit(c *echo.Context) error {
	g := grantOf(c)
	return s.renderAudit(c, g.academy.ID, "Journal de l’académie de "+g.academy.Name, "/academies/"+url.PathEscape(g.academy.Code)+"/journal")
}

// pagePlatformAudit is the whole audit log (platform administrators).
func (s *Server) pagePlatformAudit(c *echo.Context) error {
	return s.renderAudit(c, 0, "Journal de la plateforme", "/admin/journal")
}
