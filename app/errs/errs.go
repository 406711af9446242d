// Package errs defines SRG's domain errors: each carries a kind and a message that is
// safe to show to a user. The web layer maps kinds to HTTP statuses in one place.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error for callers and for HTTP.
type Kind string

// Kinds of domain error.
const (
	KindInvalid     Kind = "invalid"
	KindNotFound    Kind = "not_found"
	KindConflict    Kind = "conflict"
	KindForbidden   Kind = "forbidden"
	KindUnavailable Kind = "unavailable"
	KindInternal    Kind = "internal"
)

// Error is a domain error. Message is shown to users; Field names the input at fault.
type Error struct {
	Kind    Kind
	Message string
	Field   string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid reports bad input; field names it (may be empty).
func Invalid(field, format string, args ...any) error {
	return &Error{Kind: KindInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound reports a missing resource.
func NotFound(format string, args ...any) error {
	return &Error{Kind: KindNotFound, Message: fmt.Sprintf(format, args...)}
}

// Conflict reports a request that clashes with current state.
func Conflict(format string, args ...any) error {
	return &Error{Kind: KindConflict, Message: fmt.Sprintf(format, args...)}
}

// Forbidden reports a lack of permission.
func Forbidden(format string, args ...any) error {
	return &Error{Kind: KindForbidden, Message: fmt.Sprintf(format, args...)}
}

// Unavailable reports a dependency that is down; err is the cause (logged, not shown).
func Unavailable(err error, format string, args ...any) error {
	return &Error{Kind: KindUnavailable, Message: fmt.Sprintf(format, args...), Err: err}
}

// KindOf returns the kind of err, KindInternal for errors that are not domain errors.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// MessageOf returns the user-safe message of err; internal errors get a generic one.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != KindInternal {
		return e.Message
	}
	return "internal error"
}

// FieldOf returns the input field an invalid-input error names.
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
