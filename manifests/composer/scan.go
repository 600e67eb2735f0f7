package composer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// scanner is a validating single-pass JSON reader over a byte slice. The
// lock file of a large project is megabytes of JSON of which coupling needs
// a few fields per package; reading it with encoding/json costs several
// passes (find the value, validate it, decode it) at every level, which
// alone took more than the whole diff's time budget. scanner validates
// exactly what encoding/json accepts (the fuzz test holds it to json.Valid)
// and hands out byte ranges, so that entries stay byte-faithful.
type scanner struct {
	data  []byte
	pos   int
	keyAt int // offset of the opening quote of the last object key read
}

// scanError is a syntax or shape error at a byte offset.
type scanError struct {
	off int
	msg string
}

func (e *scanError) Error() string { return e.msg }

// line is the 1-based line of the error's offset in data.
func (e *scanError) line(data []byte) int {
	return 1 + bytes.Count(data[:min(e.off, len(data))], []byte("\n"))
}

func (s *scanner) fail(format string, args ...any) error {
	return &scanError{off: s.pos, msg: fmt.Sprintf(format, args...)}
}

func (s *scanner) unexpected(what string) error {
	if s.pos >= len(s.data) {
		return s.fail("unexpected end of file, expecting %s", what)
	}
	return s.fail("unexpected %q, expecting %s", s.data[s.pos], what)
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// value skips one value, validating it.
func (s *scanner) value() error {
	switch s.peek() {
	case '{':
		return s.members(func([]byte) error { return s.value() }, false)
	case '[':
		return s.array(s.value)
	case '"':
		_, err := s.rawString()
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

func (s *scanner) literal(word string) error {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(word)) {
		return s.unexpected("a value")
	}
	s.pos += len(word)
	return nil
}

// number follows JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	start := s.pos
	if s.pos < len(s.data) && s.data[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.data) && s.data[s.pos] == '0':
		s.pos++
	case s.digits() == 0:
		s.pos = start
		return s.unexpected("a value")
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return s.unexpected("a digit")
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return s.unexpected("a digit")
		}
	}
	return nil
}

func (s *scanner) digits() int {
	n := 0
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
		n++
	}
	return n
}

// rawString validates a string at the current position and returns its
// bytes including the quotes.
func (s *scanner) rawString() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.unexpected("a string")
	}
	start := s.pos
	s.pos++
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return s.data[start:s.pos], nil
		case c == '\\':
			s.pos++
			if s.pos >= len(s.data) {
				return nil, s.unexpected("an escape")
			}
			switch s.data[s.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos++
			case 'u':
				s.pos++
				for i := 0; i < 4; i++ {
					if s.pos >= len(s.data) || !isHex(s.data[s.pos]) {
						return nil, s.unexpected("a hex digit")
					}
					s.pos++
				}
			default:
				return nil, s.unexpected("an escape")
			}
		case c < 0x20:
			return nil, s.fail("control character %q in a string", c)
		case c < utf8.RuneSelf:
			s.pos++
		default:
			// encoding/json accepts invalid UTF-8 (it substitutes U+FFFD),
			// so this scanner does too.
			s.pos++
		}
	}
	return nil, s.unexpected("the end of a string")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// str reads a string value.
func (s *scanner) str() (string, error) {
	raw, err := s.rawString()
	if err != nil {
		return "", err
	}
	v, err := s.unquote(raw)
	return string(v), err
}

// unquote returns the content of a validated string: a sub-slice of the
// input when there is nothing to decode, which is almost always.
func (s *scanner) unquote(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return raw[1 : len(raw)-1], nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, s.fail("bad string %s: %v", strconv.Quote(string(raw)), err)
	}
	return []byte(v), nil
}

// object reads an object; fn is called with each key and must consume the
// member's value.
func (s *scanner) object(fn func(key string) error) error {
	return s.members(func(key []byte) error { return fn(string(key)) }, true)
}

// members is object with the key as bytes that are only valid during the
// call, so that field dispatch needs no string of its own; without decode
// the key stays as written (quotes included), which is all skipping needs.
func (s *scanner) members(fn func(key []byte) error, decode bool) error {
	if s.peek() != '{' {
		return s.unexpected("'{'")
	}
	s.pos++
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		s.ws()
		s.keyAt = s.pos
		key, err := s.rawString()
		if err != nil {
			return err
		}
		if decode {
			if key, err = s.unquote(key); err != nil {
				return err
			}
		}
		if s.peek() != ':' {
			return s.unexpected("':'")
		}
		s.pos++
		s.ws()
		if err := fn(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.unexpected("',' or '}'")
		}
	}
}

// array reads an array; fn must consume each element.
func (s *scanner) array(fn func() error) error {
	if s.peek() != '[' {
		return s.unexpected("'['")
	}
	s.pos++
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for {
		s.ws()
		if err := fn(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.unexpected("',' or ']'")
		}
	}
}

// isNull consumes a null and reports whether there was one.
func (s *scanner) isNull() bool {
	if s.peek() == 'n' && bytes.HasPrefix(s.data[s.pos:], []byte("null")) {
		s.pos += 4
		return true
	}
	return false
}

// links reads an object of strings (require, conflict …) into sorted links;
// null is an empty object, as in encoding/json.
func (s *scanner) links(field string) ([]link, error) {
	if s.isNull() {
		return nil, nil
	}
	if s.peek() != '{' {
		return nil, s.fail("%q must be an object of package: constraint", field)
	}
	m := map[string]string{}
	err := s.object(func(key string) error {
		if s.peek() != '"' {
			return s.fail("%q: %s: the constraint must be a string", field, key)
		}
		v, err := s.str()
		m[key] = v
		return err
	})
	return links(m), err
}
