package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/frontend"
	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/readiness"
)

// The web interface: server-rendered pages in French (html/template from frontend/templates,
// DSFR look and feel), over the same store and domain calls as the JSON API. Page routes are
// declared in web_routes.go with their actions, and go through the same authentication,
// CSRF and authorisation middleware as the API. Errors on pages are rendered by the one
// error mapper (errors.go) as a French HTML page.

// DemoAccount is a demo login the login page shows in demo mode only.
type DemoAccount struct {
	Login    string
	Password string
	Label    string // French: what this account sees
}

// pageCSP is the content security policy of every page: scripts and styles from Vigie only
// (CodeMirror and DSFR set inline styles on elements, hence 'unsafe-inline' for styles
// only), no frames, forms posted to Vigie only.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// web holds the parsed templates and the static files' fingerprints.
type web struct {
	pages  map[string]*template.Template // by page name (file name without .html)
	static fs.FS
	mu     sync.Mutex
	hashes map[string]string // static path -> short content hash (for cache busting)
}

func newWeb() (*web, error) {
	static, err := fs.Sub(frontend.Static, "static")
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	w := &web{pages: map[string]*template.Template{}, static: static, hashes: map[string]string{}}
	layout, err := fs.ReadFile(frontend.Templates, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("read layout: %w", err)
	}
	names, err := fs.Glob(frontend.Templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		body, err := fs.ReadFile(frontend.Templates, n)
		if err != nil {
			return nil, fmt.Errorf("read template %s: %w", n, err)
		}
		t := template.New("layout").Funcs(w.funcs())
		if _, err := t.Parse(string(layout)); err != nil {
			return nil, fmt.Errorf("parse layout: %w", err)
		}
		if _, err := t.New(name).Parse(string(body)); err != nil {
			return nil, fmt.Errorf("parse template %s: %w", n, err)
		}
		w.pages[name] = t
	}
	return w, nil
}

// asset returns the URL of a static file with its content hash, so that it can be cached for
// a year and still change with a new build.
func (w *web) asset(p string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	h, ok := w.hashes[p]
	if !ok {
		b, err := fs.ReadFile(w.static, p)
		if err != nil {
			return "/static/" + p
		}
		sum := sha256.Sum256(b)
		h = hex.EncodeToString(sum[:])[:12]
		w.hashes[p] = h
	}
	return "/static/" + p + "?v=" + h
}

// Labels of statuses and severities, in French.
var (
	statusWords = map[string]string{"ready": "Prêt", "at_risk": "À risque", "not_ready": "Non prêt", "none": "Jamais évalué", "": "Jamais évalué"}
	// DSFR badge classes: each badge has a word and the DSFR icon of its kind, never a colour alone.
	statusBadges  = map[string]string{"ready": "fr-badge--success", "at_risk": "fr-badge--warning", "not_ready": "fr-badge--error", "none": "fr-badge--info", "": "fr-badge--info"}
	severityWords = map[string]string{"blocker": "Bloquant", "error": "Erreur", "warning": "Avertissement"}
	checkWords    = map[string]string{"pass": "Réussi", "fail": "Échoue", "unknown": "Indéterminé", "error": "En erreur", "exempt": "Dérogation"}
	kindWords     = map[string]string{"college": "Collège", "lycee": "Lycée", "lp": "Lycée professionnel", "other": "Autre"}
	stepBadges    = map[campaign.StepState]string{campaign.StateDone: "fr-badge--success", campaign.StateInProgress: "fr-badge--info",
		campaign.StateNotStarted: "fr-badge--new", campaign.StateBlocked: "fr-badge--warning", campaign.StateLate: "fr-badge--error"}
	forecastBadges = map[campaign.ForecastOutcome]string{campaign.ForecastGreen: "fr-badge--success", campaign.ForecastOnTrack: "fr-badge--info",
		campaign.ForecastWillFail: "fr-badge--error", campaign.ForecastUnknown: "fr-badge--new"}
	forecastWords = map[campaign.ForecastOutcome]string{campaign.ForecastGreen: "Prêt", campaign.ForecastOnTrack: "Vert s’il agit aujourd’hui",
		campaign.ForecastWillFail: "Encore rouge", campaign.ForecastUnknown: "Imprévisible"}
	itemWords = map[string]string{"division": "division", "group": "groupe", "pupil": "élève", "source": "source", "service": "service"}
	runWords  = map[string]string{"running": "En cours", "done": "Terminée", "failed": "Échouée"}
)

func (w *web) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":       w.asset,
		"date":        func(t time.Time) string { return frenchDate(t) },
		"datetime":    func(t time.Time) string { return frenchDateTime(t) },
		"shortdate":   func(t time.Time) string { return shortDate(t) },
		"status":      func(s string) string { return statusWords[s] },
		"statusBadge": func(s string) string { return statusBadges[s] },
		"severity":    func(s string) string { return orDefault(severityWords[s], s) },
		"checkStatus": func(s string) string { return orDefault(checkWords[strings.TrimPrefix(s, "monitor:")], s) },
		"kind":        func(k campaign.Kind) string { return orDefault(kindWords[string(k)], string(k)) },
		"stepBadge":   func(s campaign.StepState) string { return stepBadges[s] },
		"forecastBadge": func(o campaign.ForecastOutcome) string {
			return forecastBadges[o]
		},
		"runStatus": func(s string) string { return orDefault(runWords[s], s) },
		"role":      func(r access.Role) string { return r.Label() },
		"typo":      frenchTypo,
		"plural": func(n int, one, many string) string {
			if n == 1 || n == 0 {
				return one
			}
			return many
		},
		"signed": func(n int) string {
			switch {
			case n > 0:
				return "+" + strconv.Itoa(n)
			case n < 0:
				return "−" + strconv.Itoa(-n)
			default:
				return "±0"
			}
		},
		"query": func(base url.Values, kv ...string) string {
			q := url.Values{}
			for k, v := range base {
				q[k] = append([]string(nil), v...)
			}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] == "" {
					q.Del(kv[i])
				} else {
					q.Set(kv[i], kv[i+1])
				}
			}
			if len(q) == 0 {
				return "?"
			}
			return "?" + q.Encode()
		},
		"add":          func(a, b int) int { return a + b },
		"list":         func(xs ...string) []string { return xs },
		"kindWord":     func(k string) string { return orDefault(kindWords[k], k) },
		"forecastWord": func(o campaign.ForecastOutcome) string { return orDefault(forecastWords[o], string(o)) },
		"itemKind":     func(k string) string { return orDefault(itemWords[k], k) },
		"rfc3339":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"num":          func(s campaign.Step) int { return int(s) },
		"runBy":        runBy,
		"auditAction":  auditAction,
		"auditTarget":  auditTarget,
		"fileKind":     fileKind,
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// frenchTypo applies French typography to UI text written with plain spaces: a no-break space
// before « : » and inside guillemets, a narrow one before « ; ! ? », typographic apostrophes.
var frenchTypo = strings.NewReplacer("'", "’", " :", "\u00a0:", " ;", "\u202f;", " !", "\u202f!", " ?", "\u202f?", "« ", "«\u00a0", " »", "\u00a0»").Replace

func frenchDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return readiness.FrenchDate(t, campaign.Paris)
}

func frenchDateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return readiness.FrenchDateTime(t, campaign.Paris)
}

var shortMonths = [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}

// shortDate writes « 5 oct. » in Paris time, for tables and chart axes.
func shortDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	p := t.In(campaign.Paris)
	return fmt.Sprintf("%d\u00a0%s", p.Day(), shortMonths[p.Month()-1])
}

// navItem is one entry of the main navigation.
type navItem struct {
	Label   string
	Href    string
	Current bool
}

// pageData is what every page template receives: the layout's fields and the page's own.
type pageData struct {
	Title     string // the page's title, without « – Vigie »
	User      *access.User
	CSRF      string
	Nav       []navItem
	Path      string
	Flash     string // a success message after a POST (redirect with ?ok=)
	Demo      []DemoAccount
	Breadcrum []navItem // the breadcrumb, last item the current page
	Page      any
}

// navFor builds the main navigation of a user: what each role can open.
func (s *Server) navFor(u access.User, current string) []navItem {
	var items []navItem
	add := func(label, href string) {
		items = append(items, navItem{Label: label, Href: href, Current: current == href || strings.HasPrefix(current, href+"/")})
	}
	seen := map[string]bool{}
	for _, g := range u.Grants {
		if g.Role == access.PlatformAdmin || seen[g.AcademyCode+string(g.Role)] {
			continue
		}
		seen[g.AcademyCode+string(g.Role)] = true
		a := "/academies/" + url.PathEscape(g.AcademyCode)
		switch g.Role {
		case access.Supervisor:
			add("Vue de l’académie", a)
			add("Journal", a+"/journal")
		case access.SchoolAdmin:
			if len(g.UAIs) == 1 {
				add("Mon établissement", a+"/etablissements/"+g.UAIs[0])
			} else {
				add("Mes établissements", a+"/etablissements")
			}
		case access.PolicyAuthor:
			add("Règles", a+"/regles")
		}
	}
	if u.IsPlatformAdmin() {
		add("Administration", "/admin")
		add("Journal de la plateforme", "/admin/journal")
	}
	add("Mon compte", "/compte")
	return items
}

// render writes a page with the layout.
func (s *Server) render(c *echo.Context, status int, name, title string, page any) error {
	t, ok := s.web.pages[name]
	if !ok {
		return fmt.Errorf("render: no template %q", name)
	}
	d := pageData{Title: title, Path: c.Request().URL.Path, Page: page, Flash: frenchTypo(flashMessages[c.QueryParam("ok")])}
	if p := principalOf(c); p != nil {
		u := p.user
		d.User = &u
		d.Nav = s.navFor(u, d.Path)
		if p.sessionID != "" {
			d.CSRF = auth.CSRFToken(p.sessionID)
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// flashMessages are the confirmations shown after a form succeeded (?ok=key).
var flashMessages = map[string]string{
	"attestation":         "Votre attestation est enregistrée ; l’étape est recalculée.",
	"attestation_retiree": "L’attestation est retirée ; l’étape est recalculée.",
	"evaluation":          "L’établissement est évalué : le rapport, les étapes et la prévision ci-dessous tiennent compte des derniers fichiers reçus.",
	"token":               "Le jeton est révoqué.",
	"prefs":               "Vos préférences de notification sont enregistrées.",
	"user":                "Le compte est créé.",
	"grant":               "L’habilitation est enregistrée.",
	"revoked":             "L’habilitation est retirée.",
	"academy":             "L’académie est créée.",
	"publie":              "Le brouillon est publié : les établissements seront évalués avec cette version dès la prochaine évaluation.",
	"retour":              "La version choisie est de nouveau en vigueur.",
}

// isPage tells whether a request is for a page (HTML) rather than the API, a probe, a static
// file or a page script asking for JSON (Accept: application/json): its errors are rendered
// as HTML.
func isPage(c *echo.Context) bool {
	p := c.Request().URL.Path
	return !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/static/") && p != "/healthz" && p != "/readyz" &&
		!strings.Contains(c.Request().Header.Get("Accept"), "application/json")
}

// errorPage renders an error for a browser: a French page with the status, the message and
// the request id; an anonymous visitor asking for a page is sent to the login page.
func (s *Server) errorPage(c *echo.Context, status int, body apiError) {
	if status == http.StatusUnauthorized && c.Request().Method == http.MethodGet {
		_ = c.Redirect(http.StatusSeeOther, "/connexion?retour="+url.QueryEscape(c.Request().URL.RequestURI()))
		return
	}
	titles := map[int]string{
		http.StatusNotFound: "Page introuvable", http.StatusForbidden: "Accès refusé", http.StatusUnauthorized: "Connexion requise",
		http.StatusBadRequest: "Demande invalide", http.StatusTooManyRequests: "Trop de tentatives",
	}
	title := titles[status]
	if title == "" {
		title = "Erreur"
		if status >= 500 {
			title = "Erreur du service"
		}
	}
	page := struct {
		Status    int
		Message   string
		Detail    string
		RequestID string
	}{status, frenchTypo(body.Message), body.Detail, body.RequestID}
	if err := s.render(c, status, "error", title, page); err != nil {
		s.log.Error("render error page", "err", err)
		_ = c.String(status, body.Message)
	}
}

// serveStatic serves the embedded static files. A request carrying the file's content hash
// (?v=, as asset() writes it) is cached for a year; vendored files (fonts, icons referenced
// from the DSFR's CSS) for a week; the rest for five minutes.
func (s *Server) serveStatic(c *echo.Context) error {
	p := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
	b, err := fs.ReadFile(s.web.static, p)
	if err != nil || p == "" {
		return fmt.Errorf("static %s: %w", p, echo.ErrNotFound)
	}
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	h := c.Response().Header()
	switch v := c.QueryParam("v"); {
	case v != "" && v == hex.EncodeToString(sum[:])[:12]:
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	case strings.HasPrefix(p, "vendor/"):
		h.Set("Cache-Control", "public, max-age=604800")
	default:
		h.Set("Cache-Control", "public, max-age=300")
	}
	h.Set("ETag", etag)
	if c.Request().Header.Get("If-None-Match") == etag {
		return c.NoContent(http.StatusNotModified)
	}
	ct := mime.TypeByExtension(path.Ext(p))
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	return c.Blob(http.StatusOK, ct, b)
}
