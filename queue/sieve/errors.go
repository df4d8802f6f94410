package sieve

import "fmt"

// Error is a parse, check or limit error with its 1-based position in the script.
type Error struct {
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// pos is a position in the script source.
type pos struct{ line, col int }

func errAt(p pos, format string, args ...any) *Error {
	return &Error{Line: p.line, Column: p.col, Msg: fmt.Sprintf(format, args...)}
}

// RuntimeError is returned by Run when the script fails during execution
// (RFC 5228 §2.10.6: the implementation then performs the implicit keep).
type RuntimeError struct {
	Line int
	Msg  string
}

func (e *RuntimeError) Error() string {
	return fmt.Sprintf("sieve runtime error at line %d: %s", e.Line, e.Msg)
}
