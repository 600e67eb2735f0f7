package oracles

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
)

// ErrUnreachable marks a target with nothing listening: the oracle could not
// run at all, which is not a verdict on the candidate.
var ErrUnreachable = errors.New("nothing is listening")

// Unreachable reports whether err is a dial failure: nothing listens at the address.
func Unreachable(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// JoinURL appends path to base without doubling or dropping the slash.
func JoinURL(base, path string) (string, error) {
	if base == "" {
		return "", errors.New("mcp oracle: the target serves nothing (empty base URL); the mcp oracle needs runner.start")
	}
	if path == "" {
		return base, nil
	}
	return strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(path, "/"), nil
}

// Snippet shortens a body for a detail.
func Snippet(b []byte) string {
	const n = 200
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return s[:n] + "…"
	}
	if s == "" {
		return "(empty)"
	}
	return s
}

// JSONKind names the JSON kind of a decoded value the way details show it.
func JSONKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		if len(x) == 0 {
			return "[] (a JSON array)"
		}
		return "a JSON array"
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("%t", x)
	case json.Number:
		return "the number " + x.String()
	}
	return fmt.Sprintf("%T", v)
}

// JSONText renders a decoded JSON value for a detail.
func JSONText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return Snippet(b)
}
