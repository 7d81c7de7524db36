package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/authoring"
)

// apiError is the JSON body of every error: a stable code, a French message, and the request
// id to quote when reporting a problem.
type apiError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Detail    string `json:"detail,omitempty"` // for invalid input: what and where
	RequestID string `json:"request_id,omitempty"`
}

// rateLimited is a refused login attempt; Retry tells when to try again.
type rateLimited struct{ Retry time.Duration }

func (e *rateLimited) Error() string { return "too many failed logins, retry in " + e.Retry.String() }

var errRateLimited = &rateLimited{}

func (e *rateLimited) Is(target error) bool { return target == errRateLimited }

// errorTable maps error kinds to status, code and French message, in one place. The first
// match wins, so specific errors come before the general kinds they wrap.
var errorTable = []struct {
	err     error
	status  int
	code    string
	message string
}{
	{errCSRF, http.StatusForbidden, "csrf", "Requête refusée : jeton anti-CSRF absent ou invalide, ou origine étrangère."},
	{errRateLimited, http.StatusTooManyRequests, "too_many_attempts", "Trop de tentatives de connexion. Réessayez plus tard."},
	{errBadCredentials, http.StatusUnauthorized, "bad_credentials", "Identifiant ou mot de passe incorrect."},
	{errUnknownAccount, http.StatusForbidden, "unknown_account", "Aucun compte Vigie n'est associé à cette identité. Contactez l'administrateur de la plateforme."},
	{errEvaluatorMissing, http.StatusServiceUnavailable, "evaluation_unavailable", "L'évaluation n'est pas disponible sur ce serveur."},
	{errOIDCOff, http.StatusNotFound, "oidc_disabled", "La connexion par fournisseur d'identité n'est pas configurée."},
	{apperr.ErrNotFound, http.StatusNotFound, "not_found", "Ressource introuvable."},
	{apperr.ErrUnauthorized, http.StatusUnauthorized, "unauthorized", "Authentification requise."},
	{errTokenScope, http.StatusForbidden, "token_scope", "Action non autorisée pour ce jeton d'accès : votre rôle la permet, mais la portée du jeton ne la comprend pas. Utilisez un jeton de portée « write » ou qui nomme cette action."},
	{apperr.ErrForbidden, http.StatusForbidden, "forbidden", "Action non autorisée."},
	{apperr.ErrConflict, http.StatusConflict, "conflict", "Conflit avec l'état actuel."},
	{apperr.ErrInvalid, http.StatusBadRequest, "invalid", "Données invalides."},
	{apperr.ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large", "Contenu trop volumineux."},
	{apperr.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "Service momentanément indisponible."},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, "timeout", "Délai de traitement dépassé. Réessayez plus tard."},
}

// handleError maps an error to its response, logs server faults, and never leaks internal
// details: only invalid input, which the user can fix, is described.
func (s *Server) handleError(c *echo.Context, err error) {
	if r, _ := echo.UnwrapResponse(c.Response()); r != nil && r.Committed {
		return
	}
	status, body := http.StatusInternalServerError, apiError{Code: "internal", Message: "Erreur interne. L'incident est enregistré."}
	var he interface{ StatusCode() int }
	var tooBig *http.MaxBytesError
	matched := false
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			status, body = e.status, apiError{Code: e.code, Message: e.message}
			if e.err == apperr.ErrInvalid {
				body.Detail = err.Error()
			}
			matched = true
			break
		}
	}
	var stale *authoring.StaleDraftError
	switch {
	case errors.As(err, &stale):
		body.Message = stale.French() // the generic conflict says neither what changed nor what to do
	case matched:
	case errors.As(err, &tooBig):
		status, body, matched = http.StatusRequestEntityTooLarge, apiError{Code: "too_large", Message: "Contenu trop volumineux."}, true
	case errors.As(err, &he) && he.StatusCode() >= 400:
		status, matched = he.StatusCode(), true
		body = apiError{Code: "http_" + strconv.Itoa(status), Message: http.StatusText(status)}
		switch status {
		case http.StatusNotFound:
			body = apiError{Code: "not_found", Message: "Ressource introuvable."}
		case http.StatusMethodNotAllowed:
			body = apiError{Code: "method_not_allowed", Message: "Méthode non autorisée pour cette ressource."}
		}
	}
	var rl *rateLimited
	if errors.As(err, &rl) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(rl.Retry.Seconds())+1))
	}
	if status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="vigie"`)
	}
	body.RequestID = requestIDOf(c)
	if !matched || status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "route", c.Path(), "status", status,
			"request_id", body.RequestID, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if isPage(c) {
		s.errorPage(c, status, body) // web.go: a French HTML page for browsers
		return
	}
	_ = c.JSON(status, body)
}
