package composer

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"sort"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// contentHashKeys are the composer.json keys composer's Locker hashes into
// the lock's content-hash (plus config.platform).
var contentHashKeys = map[string]bool{
	"name": true, "version": true, "require": true, "require-dev": true,
	"conflict": true, "replace": true, "provide": true, "minimum-stability": true,
	"prefer-stable": true, "repositories": true, "extra": true,
}

// errFloat marks a composer.json whose hashed part holds a non-integer
// number: PHP prints floats its own way, so no hash is computed for it.
var errFloat = errors.New("composer.json holds a float in a hashed key")

// contentHash computes composer's content-hash of a composer.json: the MD5
// of PHP's json_encode (no flags) of the relevant keys, sorted, after
// json_decode into PHP arrays. A candidate whose composer.json we rewrote
// carries this hash, so composer does not warn that the lock is stale.
func contentHash(data []byte) (string, error) {
	type member struct {
		key string
		val []byte
	}
	var members []member
	var platform []byte
	sc := &scanner{data: data}
	err := sc.object(func(key string) error {
		switch {
		case contentHashKeys[key]:
			var b bytes.Buffer
			if err := sc.phpEncode(&b); err != nil {
				return err
			}
			members = append(members, member{key, b.Bytes()})
			return nil
		case key == "config" && sc.peek() == '{':
			return sc.object(func(k string) error {
				if k != "platform" {
					return sc.value()
				}
				var b bytes.Buffer
				err := sc.phpEncode(&b)
				platform = b.Bytes()
				return err
			})
		default:
			return sc.value()
		}
	})
	if err != nil {
		return "", err
	}
	if platform != nil {
		members = append(members, member{"config", []byte(`{"platform":` + string(platform) + `}`)})
	}
	// json_decode keeps the last of duplicate keys; ksort then orders them.
	seen := map[string]int{}
	var uniq []member
	for _, m := range members {
		if i, ok := seen[m.key]; ok {
			uniq[i] = m
			continue
		}
		seen[m.key] = len(uniq)
		uniq = append(uniq, m)
	}
	sort.Slice(uniq, func(i, j int) bool { return uniq[i].key < uniq[j].key })
	var b bytes.Buffer
	if len(uniq) == 0 {
		b.WriteString("[]")
	} else {
		b.WriteByte('{')
		for i, m := range uniq {
			if i > 0 {
				b.WriteByte(',')
			}
			phpString(&b, m.key)
			b.WriteByte(':')
			b.Write(m.val)
		}
		b.WriteByte('}')
	}
	sum := md5.Sum(b.Bytes())
	return hex.EncodeToString(sum[:]), nil
}

// phpEncode re-encodes the value at the scanner as PHP's json_encode
// prints what json_decode($json, true) made of it: objects become arrays,
// so an empty object prints as [] and one keyed "0", "1", … as a list.
func (s *scanner) phpEncode(b *bytes.Buffer) error {
	switch s.peek() {
	case '{':
		type member struct {
			key string
			val []byte
		}
		var members []member
		seen := map[string]int{}
		err := s.object(func(key string) error {
			var v bytes.Buffer
			if err := s.phpEncode(&v); err != nil {
				return err
			}
			if i, ok := seen[key]; ok {
				members[i].val = v.Bytes()
				return nil
			}
			seen[key] = len(members)
			members = append(members, member{key, v.Bytes()})
			return nil
		})
		if err != nil {
			return err
		}
		list := true
		for i, m := range members {
			if m.key != strconv.Itoa(i) {
				list = false
				break
			}
		}
		open, close := byte('{'), byte('}')
		if list {
			open, close = '[', ']'
		}
		b.WriteByte(open)
		for i, m := range members {
			if i > 0 {
				b.WriteByte(',')
			}
			if !list {
				phpString(b, m.key)
				b.WriteByte(':')
			}
			b.Write(m.val)
		}
		b.WriteByte(close)
		return nil
	case '[':
		b.WriteByte('[')
		n := 0
		err := s.array(func() error {
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			return s.phpEncode(b)
		})
		b.WriteByte(']')
		return err
	case '"':
		v, err := s.str()
		if err != nil {
			return err
		}
		phpString(b, v)
		return nil
	case 't', 'f', 'n':
		start := s.pos
		if err := s.value(); err != nil {
			return err
		}
		b.Write(s.data[start:s.pos])
		return nil
	default:
		start := s.pos
		if err := s.number(); err != nil {
			return err
		}
		num := s.data[start:s.pos]
		if bytes.ContainsAny(num, ".eE") {
			return errFloat
		}
		if _, err := strconv.ParseInt(string(num), 10, 64); err != nil {
			return errFloat // beyond PHP_INT_MAX json_decode makes a float
		}
		b.Write(num)
		return nil
	}
}

// phpString writes s as json_encode does without flags: slashes escaped,
// everything outside ASCII as \u escapes of UTF-16 (lower-case hex).
func phpString(b *bytes.Buffer, s string) {
	const hexDigits = "0123456789abcdef"
	u4 := func(r rune) {
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hexDigits[(r>>shift)&0xf])
		}
	}
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '/':
			b.WriteString(`\/`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			u4(r)
		case r < utf8.RuneSelf:
			b.WriteByte(byte(r))
		case r >= 0x10000:
			r1, r2 := utf16.EncodeRune(r)
			u4(r1)
			u4(r2)
		default:
			u4(r)
		}
	}
	b.WriteByte('"')
}
