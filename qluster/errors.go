package qluster

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Implementations translate their native errors into these at
// the boundary so that callers can branch with errors.Is.
var (
	// ErrNotFound means no object has the id (or name) asked for.
	ErrNotFound = errors.New("not found")
	// ErrVersionConflict means an update named a version_id that is no longer
	// the stored one; nothing was changed.
	ErrVersionConflict = errors.New("version conflict")
	// ErrConflict means the object's state forbids the change (a duplicate
	// name, a deleted object, a job already running, ...); nothing was changed.
	ErrConflict = errors.New("conflict")
	// ErrUnauthenticated means no valid credentials came with the request.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the acting user's role may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrAccountLocked means too many failed logins locked the account for a while.
	ErrAccountLocked = errors.New("account locked")
	// ErrNotImplemented means the operation belongs to a part that is not built yet.
	ErrNotImplemented = errors.New("not implemented yet")
	// ErrAccessDenied means a source or storage refused the credentials.
	ErrAccessDenied = errors.New("access denied")
	// ErrBucketNotFound means a source's or storage's bucket does not exist.
	ErrBucketNotFound = errors.New("bucket not found")
	// ErrPathNotFound means a source's folder does not exist.
	ErrPathNotFound = errors.New("path not found")
	// ErrConnection means a source or storage could not be reached.
	ErrConnection = errors.New("connection failed")
)

// FieldError is one problem with one field of an input.
type FieldError struct {
	// Loc is where the field is: "body", "query" or "path", then its name
	// (and nested names or indexes).
	Loc []string
	// Msg says what is wrong and how to fix it.
	Msg string
	// Type is a machine-readable kind of problem ("missing", "enum", "email", ...).
	Type string
}

// ValidationError is an input that fails validation; it lists every problem
// found, not just the first. Servers answer it with 422.
type ValidationError struct {
	Fields []FieldError
}

// Error implements error.
func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, strings.Join(f.Loc, ".")+": "+f.Msg)
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records one more problem; it returns e so calls can chain.
func (e *ValidationError) Add(loc []string, typ, format string, args ...any) *ValidationError {
	e.Fields = append(e.Fields, FieldError{Loc: loc, Type: typ, Msg: fmt.Sprintf(format, args...)})
	return e
}

// Err returns e when it holds a problem and nil otherwise, so a validator can
// end with `return v.Err()`.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Invalid is a shorthand for a ValidationError about one body field.
func Invalid(field, typ, format string, args ...any) error {
	return (&ValidationError{}).Add([]string{"body", field}, typ, format, args...)
}

// NotFoundError names what was not found; it matches ErrNotFound with errors.Is.
type NotFoundError struct {
	// Kind is the kind of object, e.g. "dataset".
	Kind string
	// Key is the id or name asked for.
	Key any
}

// Error implements error.
func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %v not found", e.Kind, e.Key) }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ConflictError explains why a change was refused; it matches ErrConflict, or
// ErrVersionConflict when Version is set.
type ConflictError struct {
	// Msg says what conflicts and how to resolve it.
	Msg string
	// Version is true when the cause is a stale version_id.
	Version bool
}

// Error implements error.
func (e *ConflictError) Error() string { return e.Msg }

// Is makes errors.Is match ErrConflict, and ErrVersionConflict for stale versions.
func (e *ConflictError) Is(target error) bool {
	return target == ErrConflict || (e.Version && target == ErrVersionConflict)
}
