package httpapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// apiError is the JSON body of every error: a stable code and a French message.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"` // for invalid input: what and where
}

// errorTable maps error kinds to status, code and French message, in one place.
var errorTable = []struct {
	err     error
	status  int
	code    string
	message string
}{
	{apperr.ErrNotFound, http.StatusNotFound, "not_found", "Ressource introuvable."},
	{apperr.ErrUnauthorized, http.StatusUnauthorized, "unauthorized", "Authentification requise."},
	{apperr.ErrForbidden, http.StatusForbidden, "forbidden", "Action non autorisée."},
	{apperr.ErrConflict, http.StatusConflict, "conflict", "Conflit avec l'état actuel."},
	{apperr.ErrInvalid, http.StatusBadRequest, "invalid", "Données invalides."},
	{apperr.ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large", "Contenu trop volumineux."},
	{apperr.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "Service momentanément indisponible."},
}

// handleError is Echo's error handler: it maps the error, logs server faults, and never leaks
// internal details.
func (s *Server) handleError(c *echo.Context, err error) {
	if r, _ := echo.UnwrapResponse(c.Response()); r != nil && r.Committed {
		return
	}
	status, body := http.StatusInternalServerError, apiError{Code: "internal", Message: "Erreur interne. L'incident est enregistré."}
	var he *echo.HTTPError
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
	if !matched && errors.As(err, &he) {
		status = he.Code
		body = apiError{Code: http.StatusText(he.Code), Message: http.StatusText(he.Code)}
		if he.Code == http.StatusNotFound {
			body = apiError{Code: "not_found", Message: "Ressource introuvable."}
		}
		matched = true
	}
	if !matched || status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "status", status, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, body)
}
