package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// Context keys of what the middleware finds out about a request.
const (
	keyRequestID = "vigie.request_id"
	keyPrincipal = "vigie.principal"
	keyGrant     = "vigie.grant"
	// keyCSRFInBody holds the session id of a form upload whose CSRF token is the body's first
	// part, still to be checked (receiveFiles does).
	keyCSRFInBody = "vigie.csrf_in_body"
)

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestID takes the caller's X-Request-Id when it looks like one, or makes one, and sends it
// back; logs and error bodies carry it.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		id := c.Request().Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			id = rand.Text()[:20]
		}
		c.Set(keyRequestID, id)
		c.Response().Header().Set("X-Request-Id", id)
		return next(c)
	}
}

func requestIDOf(c *echo.Context) string {
	id, _ := c.Get(keyRequestID).(string)
	return id
}

// accessLog maps the handler's error to its response (so the status is known) and logs one
// line per request. It logs the route pattern, not the raw path, and never the query string.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		start := s.now()
		err := next(c)
		if err != nil {
			s.handleError(c, err)
		}
		status := 0
		if r, _ := echo.UnwrapResponse(c.Response()); r != nil {
			status = r.Status
		}
		attrs := []any{"method", c.Request().Method, "route", c.Path(), "status", status,
			"duration", s.now().Sub(start).Round(time.Microsecond), "request_id", requestIDOf(c)}
		if p := principalOf(c); p != nil {
			attrs = append(attrs, "user", p.user.Login)
		}
		if status >= 500 {
			s.log.Warn("request", attrs...)
		} else {
			s.log.Debug("request", attrs...)
		}
		return nil
	}
}

// recoverPanic turns a panic into a 500 with the stack in the log, never in the response.
func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic", "request_id", requestIDOf(c), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = errors.New("internal panic")
			}
		}()
		return next(c)
	}
}

// secureHeaders sets the headers every response carries. The API answers JSON and files only,
// so its content security policy forbids everything; pages set their own.
func (s *Server) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.opts.CookieSecure {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// limits caps the request body and the time a request may take.
func (s *Server) limits(maxBody int64, timeout time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			r := c.Request()
			if r.ContentLength > maxBody {
				return fmt.Errorf("body of %d bytes: %w", r.ContentLength, apperr.ErrTooLarge)
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, maxBody)
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			c.SetRequest(r.WithContext(ctx))
			return next(c)
		}
	}
}

// isSafe tells whether a method changes nothing.
func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// errCSRF is a state-changing browser request without proof that it comes from Vigie's pages.
var errCSRF = fmt.Errorf("cross-site request refused: %w", apperr.ErrForbidden)

// csrf protects state-changing requests: every one must not be a cross-origin browser request
// (Sec-Fetch-Site / Origin, net/http's CrossOriginProtection), and one authenticated by the
// session cookie must also carry the session's CSRF token in the X-CSRF-Token header (or, for
// the pages' HTML forms, the csrf_token field of a urlencoded body). Requests
// with a bearer token are not sent by browsers on their own and need no CSRF token.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		r := c.Request()
		if isSafe(r.Method) {
			return next(c)
		}
		if err := s.cop.Check(r); err != nil {
			return fmt.Errorf("%w: %v", errCSRF, err)
		}
		if p := principalOf(c); p != nil && p.sessionID != "" {
			tok := r.Header.Get("X-CSRF-Token")
			if tok == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
				tok = r.PostFormValue("csrf_token") // the pages' HTML forms (body already capped by limits)
			}
			if !equalCSRF(tok, p.sessionID) {
				return fmt.Errorf("%w: missing or wrong X-CSRF-Token", errCSRF)
			}
		}
		return next(c)
	}
}

// csrfInForm is csrf for the pages' upload form (classFormUpload). Its multipart body is
// streamed to disk, never parsed into memory, so the session's token, when not in the
// X-CSRF-Token header, is left for receiveFiles to find as the body's first part (the form's
// csrf_token field comes before its file field): no file is received before it is checked.
func (s *Server) csrfInForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		r := c.Request()
		if err := s.cop.Check(r); err != nil {
			return fmt.Errorf("%w: %v", errCSRF, err)
		}
		if p := principalOf(c); p != nil && p.sessionID != "" && !equalCSRF(r.Header.Get("X-CSRF-Token"), p.sessionID) {
			c.Set(keyCSRFInBody, p.sessionID)
		}
		return next(c)
	}
}
