// Package xinqiao holds the domain of the service: plain types, the store
// interfaces the adapters implement, and the error codes every surface maps
// to a status. It does no I/O and imports only the standard library.
package xinqiao

import (
	"errors"
	"fmt"
)

// Error codes: the closed set every surface (HTTP, WebSocket, CLI) maps from.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ERATELIMITED  = "rate_limited"
	EINTERNAL     = "internal"
	EUNAVAILABLE  = "unavailable"
	// ELOWERED refuses a change of the district risk rules under which some
	// of our reference cases would be graded lower than now, until a
	// supervisor confirms it.
	ELOWERED = "lowered"
)

// Error is a domain error: a code from the set above and a message that is safe
// to show to the person who caused it. Internal details stay in wrapped errors
// and logs, never in Message.
type Error struct {
	Code    string
	Message string
	// Line, when not 0, is the 1-based line of a text the user wrote (a rule
	// source, say) that the error is about.
	Line int
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns a domain error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first domain error in err's chain, or
// EINTERNAL for any other non-nil error, or "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the safe message of the first domain error in err's
// chain, or a generic message for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
