package npm

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// sections are the package.json (and root lock entry) keys that name
// dependencies, in the order candidates adjust them.
var sections = []string{"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"}

// rootFile is a parsed package.json: its bytes, its top-level keys, and
// the dependency sections.
type rootFile struct {
	data []byte
	top  map[string]json.RawMessage
	deps map[string]map[string]string // section → name → spec
}

func parseRoot(ref string, data []byte) (*rootFile, error) {
	r := &rootFile{data: data, deps: map[string]map[string]string{}}
	if err := json.Unmarshal(data, &r.top); err != nil {
		return nil, fmt.Errorf("read %s: %v", ref, syntaxAt(data, err))
	}
	for _, s := range sections {
		raw, ok := r.top[s]
		if !ok {
			continue
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("read %s: %s: %v", ref, s, err)
		}
		r.deps[s] = m
	}
	return r, nil
}

// names reports whether the root names a package in any section.
func (r *rootFile) names(name string) bool {
	if r == nil {
		return false
	}
	for _, m := range r.deps {
		if _, ok := m[name]; ok {
			return true
		}
	}
	return false
}

// section returns the section and spec under which the root names a
// package, "" when it does not.
func (r *rootFile) section(name string) (string, string) {
	if r == nil {
		return "", ""
	}
	for _, s := range sections {
		if spec, ok := r.deps[s][name]; ok {
			return s, spec
		}
	}
	return "", ""
}

// with returns the package.json with its dependency sections replaced by
// deps; the other keys keep their values. Unchanged sections give the
// original bytes.
func (r *rootFile) with(deps map[string]map[string]string) ([]byte, error) {
	if sameDeps(r.deps, deps) {
		return r.data, nil
	}
	top := map[string]json.RawMessage{}
	for k, v := range r.top {
		top[k] = v
	}
	for _, s := range sections {
		delete(top, s)
		if len(deps[s]) > 0 {
			b, err := json.Marshal(deps[s])
			if err != nil {
				return nil, err
			}
			top[s] = b
		}
	}
	b, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func sameDeps(a, b map[string]map[string]string) bool {
	for _, s := range sections {
		if len(a[s]) != len(b[s]) {
			return false
		}
		for k, v := range a[s] {
			if w, ok := b[s][k]; !ok || w != v {
				return false
			}
		}
	}
	return true
}
