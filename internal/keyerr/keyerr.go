// Package keyerr is the error of a configuration value that is wrong, with
// the key that holds it. The plugin packages that own a part of the
// configuration (runners, oracles) return it from their validation, and
// the command says where the value came from: a line of the file, an
// environment variable or a flag.
package keyerr

import (
	"fmt"
	"strings"
)

// Error is a value that is wrong, with the key that holds it (such as
// "search.repeat").
type Error struct {
	Key string
	Err error
}

func (e *Error) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error for key with a formatted message.
func New(key, format string, args ...any) error {
	return &Error{Key: key, Err: fmt.Errorf(format, args...)}
}

// OneOf is the error of key's value that is none of the names: `"grpc" is
// not mcp, http or exec`.
func OneOf(key, value string, names []string) error {
	list := names[len(names)-1]
	if len(names) > 1 {
		list = strings.Join(names[:len(names)-1], ", ") + " or " + list
	}
	return New(key, "%q is not %s", value, list)
}
