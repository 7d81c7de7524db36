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
	// Msg says what is wrong and, where it helps, what to do, in French: school and rectorat
	// staff read it as is (web page, upload result, command line).
	Msg string
	Err error // optional cause
}

// Error reads « sts_emp_0860001A_2026.xml, ligne 12, champ DIVISION@CODE : une division n'a
// pas de code », with whichever of the file, line and field are known. A cause other than one
// of the sentinels above (which only classify) follows as a technical detail.
func (e *InputError) Error() string {
	var b strings.Builder
	sep := ""
	if e.File != "" {
		b.WriteString(e.File)
		sep = ", "
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%sligne %d", sep, e.Line)
		sep = ", "
	}
	if e.Field != "" {
		b.WriteString(sep)
		b.WriteString("champ ")
		b.WriteString(e.Field)
	}
	if b.Len() > 0 {
		b.WriteString(" : ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil && !isSentinel(e.Err) {
		b.WriteString(" (détail technique : ")
		b.WriteString(e.Err.Error())
		b.WriteString(")")
	}
	return b.String()
}

// isSentinel reports one of the sentinel errors, whose English text says nothing to the user
// that Msg does not.
func isSentinel(err error) bool {
	switch err {
	case ErrNotFound, ErrForbidden, ErrUnauthorized, ErrConflict, ErrInvalid, ErrTooLarge, ErrUnavailable:
		return true
	}
	return false
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
