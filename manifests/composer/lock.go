package composer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// entry is one package of a composer.lock. Raw is the entry's exact bytes,
// so that a candidate reproduces it byte for byte; the other fields are the
// parts coupling and the feasibility check read.
type entry struct {
	Name      string
	Version   string
	Dev       bool // listed under packages-dev
	Raw       json.RawMessage
	Require   []link
	Conflict  []link
	Replace   []link
	Provide   []link
	Reference string   // source (else dist) reference: tells two builds of one dev branch apart
	Time      string   // release time as composer wrote it; orders two builds of one branch
	Aliases   []string // versions this entry also answers to (branch-alias, root aliases)
	// PathURL is dist.url of a package from a path repository, and
	// pathAt its value's offsets in Raw (composer resolves it against
	// the directory it runs in).
	PathURL string
	pathAt  [2]int
}

// link is one member of an entry's require, conflict, replace or provide.
type link struct {
	Name       string // as written
	Key        string // lower-case, as composer compares names
	Constraint string
}

// links turns a link map into a slice sorted by name, so that everything
// derived from it (forces, error messages) is deterministic.
func links(m map[string]string) []link {
	if len(m) == 0 {
		return nil
	}
	l := make([]link, 0, len(m))
	for n, c := range m {
		l = append(l, link{Name: n, Key: strings.ToLower(n), Constraint: c})
	}
	sort.Slice(l, func(i, j int) bool {
		if l[i].Key != l[j].Key {
			return l[i].Key < l[j].Key
		}
		return l[i].Name < l[j].Name
	})
	return l
}

// lockFile is a parsed composer.lock: its top-level keys in file order with
// their raw values, and its packages by lower-case name.
type lockFile struct {
	keys    []string
	top     map[string]json.RawMessage
	pkgs    map[string]*entry
	newline bool // the file ended with a newline
}

// lockAlias is one element of the lock's "aliases" (inline root aliases
// such as "dev-main as 1.0.0").
type lockAlias struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Alias   string `json:"alias"`
}

// parseLock parses a composer.lock; name is how errors call the file
// (the reference the user gave).
func parseLock(name string, data []byte) (*lockFile, error) {
	lf := &lockFile{top: map[string]json.RawMessage{}, pkgs: map[string]*entry{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	sc := &scanner{data: data}
	if sc.peek() != '{' {
		return nil, fmt.Errorf("%s: not a JSON object", name)
	}
	var where string // the package being read, for errors
	err := sc.object(func(key string) error {
		start := sc.pos
		switch key {
		case "packages", "packages-dev":
			if sc.peek() != '[' {
				return sc.fail("%q must be an array of packages", key)
			}
			i := 0
			err := sc.array(func() error {
				where = fmt.Sprintf("%s[%d]: ", key, i)
				start := sc.pos
				e, err := sc.entry()
				if err != nil {
					return err
				}
				e.Dev = key == "packages-dev"
				k := strings.ToLower(e.Name)
				if prev, dup := lf.pkgs[k]; dup {
					return &scanError{off: start, msg: fmt.Sprintf("package %s is locked twice (%s and %s)", e.Name, prev.Version, e.Version)}
				}
				lf.pkgs[k] = e
				i++
				return nil
			})
			if err != nil {
				return err
			}
			where = ""
		default:
			if err := sc.value(); err != nil {
				return err
			}
		}
		if _, dup := lf.top[key]; !dup {
			lf.keys = append(lf.keys, key)
		}
		lf.top[key] = data[start:sc.pos]
		return nil
	})
	if err == nil && sc.peek() != 0 {
		err = sc.fail("unexpected data after the top-level object")
	}
	if err != nil {
		var se *scanError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: line %d: %s%w", name, se.line(data), where, err)
		}
		return nil, fmt.Errorf("%s: %s%w", name, where, err)
	}
	lf.newline = bytes.HasSuffix(data, []byte("\n"))
	if raw, ok := lf.top["aliases"]; ok {
		var aliases []lockAlias
		if err := json.Unmarshal(raw, &aliases); err != nil {
			return nil, fmt.Errorf("%s: \"aliases\" must be an array of {package, version, alias}: %w", name, err)
		}
		for _, a := range aliases {
			if e := lf.pkgs[strings.ToLower(a.Package)]; e != nil && e.Version == a.Version && a.Alias != "" {
				e.Aliases = append(e.Aliases, a.Alias)
			}
		}
	}
	return lf, nil
}

// validName is composer's package name rule
// (ValidatingArrayLoader::hasPackageNamingError), case-insensitive as
// composer matches it (upper case is a separate warning there):
// ^[a-z0-9]([_.-]?[a-z0-9]+)*/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*$.
// Written out, as a regexp alone took a tenth of parsing a large lock.
func validName(s string) bool {
	vendor, pkg, ok := strings.Cut(s, "/")
	return ok && words(vendor, false) && words(pkg, true)
}

// words reports whether s is runs of letters and digits joined by one of
// _ . - (or, with doubleDash, also --).
func words(s string, doubleDash bool) bool {
	sep := "" // the separators since the last letter or digit
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			if i > 0 && len(sep) > 1 && !(doubleDash && sep == "--") {
				return false
			}
			sep = ""
		case (c == '_' || c == '.' || c == '-') && i > 0:
			sep += string(c)
		default:
			return false
		}
	}
	return s != "" && sep == ""
}

// entry reads one package entry, keeping its exact bytes.
func (sc *scanner) entry() (*entry, error) {
	start := sc.pos
	if sc.peek() != '{' {
		return nil, sc.unexpected("a package object")
	}
	e := &entry{}
	var extra []byte
	err := sc.members(func(k []byte) error {
		var err error
		switch key := string(k); key {
		case "name", "version":
			if sc.peek() != '"' {
				return sc.fail("%q must be a string", key)
			}
			at := sc.pos
			v, err := sc.str()
			if err != nil {
				return err
			}
			if key == "name" {
				e.Name = v
				if !validName(v) {
					return &scanError{off: at, msg: fmt.Sprintf("package name %q is not one composer accepts (vendor/name: lower-case letters and digits, words separated by -, . or _)", v)}
				}
				return nil
			}
			e.Version = v
			if i := strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
				return &scanError{off: at, msg: fmt.Sprintf("version %q holds a control character", v)}
			}
			return nil
		case "require":
			e.Require, err = sc.links(key)
		case "conflict":
			e.Conflict, err = sc.links(key)
		case "replace":
			e.Replace, err = sc.links(key)
		case "provide":
			e.Provide, err = sc.links(key)
		case "source", "dist":
			if sc.peek() != '{' {
				return sc.value()
			}
			var typ, url string
			var urlAt [2]int
			err = sc.object(func(k string) error {
				if (k != "reference" && k != "type" && k != "url") || sc.peek() != '"' {
					return sc.value()
				}
				at := sc.pos
				v, err := sc.str()
				switch k {
				case "reference":
					// The source reference names the commit; dist's is
					// the fallback when there is no source.
					if key == "source" || e.Reference == "" {
						e.Reference = v
					}
				case "type":
					typ = v
				case "url":
					url, urlAt = v, [2]int{at - start, sc.pos - start}
				}
				return err
			})
			if key == "dist" && typ == "path" {
				e.PathURL, e.pathAt = url, urlAt
			}
		case "time":
			if sc.peek() != '"' {
				return sc.value()
			}
			e.Time, err = sc.str()
		case "extra":
			s := sc.pos
			err = sc.value()
			extra = sc.data[s:sc.pos]
		default:
			err = sc.value()
		}
		return err
	}, true)
	if err != nil {
		return nil, err
	}
	e.Raw = sc.data[start:sc.pos]
	// Missing keys are reported at the entry's first line.
	if e.Name == "" {
		return nil, &scanError{off: start, msg: `missing "name"`}
	}
	if e.Version == "" {
		return nil, &scanError{off: start, msg: fmt.Sprintf(`package %s: missing "version"`, e.Name)}
	}
	// A branch alias only matters for a dev branch, so extra (free-form
	// and often large) is decoded only then.
	if strings.HasPrefix(e.Version, "dev-") && len(extra) > 0 {
		var x struct {
			BranchAlias map[string]any `json:"branch-alias"`
		}
		if json.Unmarshal(extra, &x) == nil {
			if a, ok := x.BranchAlias[e.Version].(string); ok {
				e.Aliases = append(e.Aliases, a)
			}
		}
	}
	return e, nil
}

// rootFile is a parsed root composer.json: its requirements and links by
// section, and where each one sits in the file so that a candidate can
// change, drop or add one member without reformatting the rest.
type rootFile struct {
	data          []byte
	name, version string              // "" when composer.json has none
	sections      map[string][]member // rootSections and linkSections
	values        map[string][2]int   // section → offsets of its value (start, end)
	end           int                 // offset just after the last top-level member's value; 0 when there is none
	lastKey       int                 // offset of the last top-level key's opening quote
	paths         []member            // the url of each path repository (Name "url")
}

// member is one "name": "constraint" pair of a root section, with byte
// offsets into the file: the key's opening quote, the value's start and end.
type member struct {
	Name, Constraint           string
	keyStart, valStart, valEnd int
}

// rootSections are the root's requirements, checked against each candidate;
// linkSections are the names the root package itself answers to, which
// take part in the candidate like any locked package's (Symfony's skeleton
// replaces the polyfills its PHP version makes unnecessary).
var (
	rootSections = []string{"require", "require-dev", "conflict"}
	linkSections = []string{"replace", "provide"}
)

// parseRoot parses a root composer.json; name is how errors call the file.
func parseRoot(name string, data []byte) (*rootFile, error) {
	rf := &rootFile{data: data, sections: map[string][]member{}, values: map[string][2]int{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	sc := &scanner{data: data}
	if sc.peek() != '{' {
		return nil, fmt.Errorf("%s: not a JSON object", name)
	}
	err := sc.object(func(key string) error {
		rf.lastKey = sc.keyAt
		defer func() { rf.end = sc.pos }()
		switch {
		case (key == "name" || key == "version") && sc.peek() == '"':
			v, err := sc.str()
			if key == "name" {
				rf.name = strings.ToLower(v)
			} else {
				rf.version = v
			}
			return err
		case key == "repositories":
			return sc.repositories(rf)
		case !slices.Contains(rootSections, key) && !slices.Contains(linkSections, key):
			return sc.value()
		}
		start := sc.pos
		members, err := sc.section(key)
		rf.sections[key] = members
		rf.values[key] = [2]int{start, sc.pos}
		return err
	})
	if err == nil && sc.peek() != 0 {
		err = sc.fail("unexpected data after the top-level object")
	}
	if err != nil {
		var se *scanError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: line %d: %w", name, se.line(data), err)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rf, nil
}

// repositories reads composer.json's repositories (a list, or an object
// of named repositories) and records the url of each path repository.
func (sc *scanner) repositories(rf *rootFile) error {
	repo := func() error {
		if sc.peek() != '{' {
			return sc.value()
		}
		var typ string
		var url member
		err := sc.object(func(k string) error {
			if (k != "type" && k != "url") || sc.peek() != '"' {
				return sc.value()
			}
			keyStart, valStart := sc.keyAt, sc.pos
			v, err := sc.str()
			if k == "type" {
				typ = v
			} else {
				url = member{Name: k, Constraint: v, keyStart: keyStart, valStart: valStart, valEnd: sc.pos}
			}
			return err
		})
		if typ == "path" && url.Name != "" {
			rf.paths = append(rf.paths, url)
		}
		return err
	}
	switch sc.peek() {
	case '[':
		return sc.array(repo)
	case '{':
		return sc.object(func(string) error { return repo() })
	}
	return sc.value()
}

// entry is the root package as the candidate check sees it: its name,
// version, and what it replaces and provides (its requirements are
// checked by rootFor, as a candidate may change them). nil without a
// composer.json.
func (rf *rootFile) entry() *entry {
	if rf == nil {
		return nil
	}
	e := &entry{Name: rf.name, Version: rf.version}
	if e.Name == "" {
		e.Name = "__root__" // composer's name for a root without one
	}
	e.Replace, e.Provide = rf.links("replace"), rf.links("provide")
	return e
}

// links returns a link section as links. Without a "version" key composer
// takes the root's version from git, which the lock does not record, so a
// self.version link then answers every version.
func (rf *rootFile) links(section string) []link {
	m := map[string]string{}
	for _, mb := range rf.sections[section] {
		c := mb.Constraint
		if c == "self.version" && rf.version == "" {
			c = "*"
		}
		m[mb.Name] = c
	}
	return links(m)
}

// section reads an object of "name": "constraint" members, with where each
// sits in the file.
func (sc *scanner) section(key string) ([]member, error) {
	// composer writes an empty section as [] when it decoded {} into a PHP
	// array; accept exactly that.
	if sc.peek() == '[' {
		return nil, sc.array(func() error { return sc.fail("%q must be an object of package: constraint", key) })
	}
	if sc.peek() != '{' {
		return nil, sc.fail("%q must be an object of package: constraint", key)
	}
	var members []member
	err := sc.object(func(pkg string) error {
		keyStart := sc.keyAt
		if sc.peek() != '"' {
			return sc.fail("%q: %s: the constraint must be a string", key, pkg)
		}
		valStart := sc.pos
		c, err := sc.str()
		members = append(members, member{Name: pkg, Constraint: c, keyStart: keyStart, valStart: valStart, valEnd: sc.pos})
		return err
	})
	return members, err
}

// constraintOf returns the constraint the named section gives pkg.
func (rf *rootFile) constraintOf(section, pkg string) (string, bool) {
	if rf == nil {
		return "", false
	}
	for _, m := range rf.sections[section] {
		if strings.EqualFold(m.Name, pkg) {
			return m.Constraint, true
		}
	}
	return "", false
}

// names reports whether pkg is named in require or require-dev.
func (rf *rootFile) names(pkg string) bool {
	_, a := rf.constraintOf("require", pkg)
	_, b := rf.constraintOf("require-dev", pkg)
	return a || b
}
