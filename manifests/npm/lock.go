package npm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// lockFile is a parsed package-lock.json (lockfileVersion 2 or 3).
type lockFile struct {
	version int
	keys    []string                   // top-level keys in file order
	top     map[string]json.RawMessage // top-level values
	entries map[string]*entry          // "packages" by path; "" is the root
	order   []string                   // paths in file order
}

// entry is one element of "packages": an install location and what sits
// there. Raw is its bytes as written, which candidates copy whole.
type entry struct {
	Path                 string            `json:"-"`
	Raw                  json.RawMessage   `json:"-"`
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Resolved             string            `json:"resolved"`
	Integrity            string            `json:"integrity"`
	Link                 bool              `json:"link"`
	Dev                  bool              `json:"dev"`
	Optional             bool              `json:"optional"`
	DevOptional          bool              `json:"devOptional"`
	Peer                 bool              `json:"peer"`
	InBundle             bool              `json:"inBundle"`
	Deprecated           string            `json:"deprecated"` // npm's deprecation message for this version
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	PeerDependenciesMeta map[string]struct {
		Optional bool `json:"optional"`
	} `json:"peerDependenciesMeta"`
}

// folder is the name a path is installed under (what require() finds):
// the part after its last node_modules/, "" for the root and for
// workspace folders outside node_modules.
func folder(path string) string {
	i := strings.LastIndex(path, "node_modules/")
	if i < 0 {
		return ""
	}
	return path[i+len("node_modules/"):]
}

// parent is the path of the package a nested path is installed below:
// "node_modules/a" for "node_modules/a/node_modules/b", "" for a top-level
// one.
func parent(path string) string {
	i := strings.LastIndex(path, "/node_modules/")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// parseLock reads a package-lock.json. Version 1 (npm 6) has no
// "packages" section and is refused; so is anything that is not a lock.
func parseLock(ref string, data []byte) (*lockFile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("read %s: not a JSON object: %v", ref, syntaxAt(data, err))
	}
	lf := &lockFile{top: map[string]json.RawMessage{}, entries: map[string]*entry{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read %s: %v", ref, syntaxAt(data, err))
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("read %s: key %q: %v", ref, key, syntaxAt(data, err))
		}
		if _, dup := lf.top[key]; !dup {
			lf.keys = append(lf.keys, key)
		}
		lf.top[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("read %s: %v", ref, syntaxAt(data, err))
	}
	if err := json.Unmarshal(lf.top["lockfileVersion"], &lf.version); err != nil {
		return nil, fmt.Errorf("read %s: no numeric lockfileVersion: is it a package-lock.json?", ref)
	}
	switch {
	case lf.version == 1:
		return nil, fmt.Errorf("read %s: lockfileVersion 1 (npm 6 and older) is not supported: run `npm install --package-lock-only` with npm 7 or newer to upgrade the lock to version 3", ref)
	case lf.version != 2 && lf.version != 3:
		return nil, fmt.Errorf("read %s: lockfileVersion %d is not supported (2 and 3 are)", ref, lf.version)
	}
	pk, ok := lf.top["packages"]
	if !ok {
		return nil, fmt.Errorf("read %s: no \"packages\" section", ref)
	}
	dec = json.NewDecoder(bytes.NewReader(pk))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("read %s: \"packages\" is not an object", ref)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read %s: packages: %v", ref, err)
		}
		path, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("read %s: packages[%q]: %v", ref, path, err)
		}
		e := &entry{}
		if err := json.Unmarshal(raw, e); err != nil {
			return nil, fmt.Errorf("read %s: packages[%q]: %v", ref, path, err)
		}
		if strings.HasSuffix(path, "/") || strings.Contains(path, "//") || strings.HasSuffix(path, "node_modules") {
			return nil, fmt.Errorf("read %s: packages[%q]: not an install path", ref, path)
		}
		e.Path, e.Raw = path, raw
		if _, dup := lf.entries[path]; !dup {
			lf.order = append(lf.order, path)
		}
		lf.entries[path] = e
	}
	if _, ok := lf.entries[""]; !ok {
		return nil, fmt.Errorf("read %s: packages has no root entry \"\"", ref)
	}
	return lf, nil
}

// syntaxAt adds the line of a JSON syntax error.
func syntaxAt(data []byte, err error) error {
	if se, ok := err.(*json.SyntaxError); ok {
		line := bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n")) + 1
		return fmt.Errorf("line %d: %w", line, err)
	}
	return err
}

// installs reports whether e is something npm installs from a registry or
// a URL, as opposed to the root, a workspace folder or a link to one: only
// installs take part in the diff.
func (e *entry) installs() bool {
	return e.Path != "" && !e.Link && strings.Contains(e.Path, "node_modules/") && !strings.HasPrefix(folder(e.Path), ".")
}

// requirements lists what e needs, in a fixed order: name, range, and
// whether a missing target is allowed (optional dependency, optional
// peer) and whether it is a peer.
type requirement struct {
	name, spec string
	optional   bool
	kind       string // "dependencies", "optionalDependencies", "peerDependencies", "devDependencies"
}

func (e *entry) requirements(root bool) []requirement {
	var out []requirement
	add := func(m map[string]string, kind string, optional func(string) bool) {
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, requirement{name: n, spec: m[n], kind: kind, optional: optional(n)})
		}
	}
	no := func(string) bool { return false }
	regular := map[string]string{}
	for n, spec := range e.Dependencies {
		if _, opt := e.OptionalDependencies[n]; !opt {
			regular[n] = spec
		}
	}
	add(regular, "dependencies", no)
	add(e.OptionalDependencies, "optionalDependencies", func(string) bool { return true })
	add(e.PeerDependencies, "peerDependencies", func(n string) bool { return e.PeerDependenciesMeta[n].Optional })
	if root {
		add(e.DevDependencies, "devDependencies", no)
	}
	return out
}
