// Package apperr holds the handful of error kinds the rest of Vigie returns and that the HTTP
// layer maps to status codes in one place: not found, forbidden, conflict, invalid input, and
// InputError, which names the file, line and field of bad input.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Wrap them with fmt.Errorf("...: %w", apperr.ErrNotFound).
var (
	ErrNotFound     = errors.New("not found")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
	ErrConflict     = errors.New("conflict")
	ErrInvalid      = errors.New("invalid input")
	ErrTooLarge     = errors.New("too large")
	ErrUnavailable  = errors.New("unavailable")
)

// InputError is bad input that the user can fix: it names where the problem is.
// It matches ErrInvalid with errors.Is.
type InputError struct {
	File  string // file name as the user knows it
	Line  int    // 1-based line, 0 when unknown
	Field string // element, attribute or column name
	Msg   string // what is wrong, in English; the UI translates by code where needed
	Err   error  // optional cause
}

func (e *InputError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

// Is makes every InputError match ErrInvalid.
func (e *InputError) Is(target error) bool { return target == ErrInvalid }

// Input returns an *InputError.
func Input(file string, line int, field, format string, args ...any) *InputError {
	return &InputError{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Invalid returns an error matching ErrInvalid with the given message.
func Invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalid)
}
