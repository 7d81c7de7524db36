package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
)

// decode reads a JSON body into v, refusing unknown fields and trailing data.
func decode(c *echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return apperr.Invalid("empty body: a JSON object is expected")
		}
		return apperr.Invalid("body: %v", err)
	}
	if dec.More() {
		return apperr.Invalid("body: one JSON object is expected")
	}
	return nil
}

// idParam reads a positive integer path parameter.
func idParam(c *echo.Context, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s %q: %w", name, c.Param(name), apperr.ErrNotFound)
	}
	return n, nil
}

// page is the paging of a list: ?page=1&per_page=50 (at most 500).
type page struct {
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

func pageParams(c *echo.Context) (page, error) {
	p := page{Page: 1, PerPage: 50}
	for _, x := range []struct {
		name string
		dst  *int
		max  int
	}{{"page", &p.Page, 1 << 20}, {"per_page", &p.PerPage, 500}} {
		v := c.QueryParam(x.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > x.max {
			return page{}, &queryError{Name: x.name, Value: v, Want: fmt.Sprintf("an integer from 1 to %d", x.max),
				Attendu: fmt.Sprintf("un nombre entier de 1 à %d est attendu", x.max)}
		}
		*x.dst = n
	}
	return p, nil
}

// queryError is a bad query parameter. Its Error is English, for the API's developers; the
// pages show French() instead (frenchQuery).
type queryError struct {
	Name, Value string
	Want        string // what is expected, in English
	Attendu     string // the same in French
}

func (e *queryError) Error() string { return fmt.Sprintf("%s=%q: want %s", e.Name, e.Value, e.Want) }

// Is makes a queryError invalid input.
func (e *queryError) Is(target error) bool { return target == apperr.ErrInvalid }

// frenchQuery gives a page's bad query parameter its French message; other errors are
// returned as they are.
func frenchQuery(err error) error {
	var qe *queryError
	if errors.As(err, &qe) {
		return apperr.Input("", 0, "", "le paramètre «\u00a0%s\u00a0» de l’adresse vaut «\u00a0%s\u00a0»\u00a0: %s", qe.Name, qe.Value, qe.Attendu)
	}
	return err
}

func (p page) limit() int  { return p.PerPage }
func (p page) offset() int { return (p.Page - 1) * p.PerPage }

// list is the JSON shape of every paged list.
type list[T any] struct {
	Items   []T   `json:"items"`
	Total   int64 `json:"total"`
	Page    int   `json:"page"`
	PerPage int   `json:"per_page"`
}

func newList[T any](items []T, total int64, p page) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: total, Page: p.Page, PerPage: p.PerPage}
}

// timeParam reads an instant from the query: a date (end of that day, Paris time) or RFC 3339.
func timeParam(c *echo.Context, name string) (time.Time, error) {
	v := strings.TrimSpace(c.QueryParam(name))
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, v, campaign.Paris); err == nil {
		return d.AddDate(0, 0, 1).Add(-time.Nanosecond).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, apperr.Invalid("%s=%q: want a date (AAAA-MM-JJ) or an RFC 3339 time", name, v)
	}
	return t.UTC(), nil
}

// uaiParam reads and checks an optional UAI from the query.
func uaiParam(c *echo.Context, name string) (string, error) {
	v := strings.TrimSpace(c.QueryParam(name))
	if v == "" {
		return "", nil
	}
	u, err := campaign.ParseUAI(v)
	if err != nil {
		return "", apperr.Invalid("%s=%q: %v", name, v, err)
	}
	return u, nil
}

// timeOrNil returns nil for the zero time, so that JSON says null.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
