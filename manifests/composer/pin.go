package composer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/lockbisect/lockbisect/manifests"
)

var _ manifests.Pinner = (*set)(nil)

// Pin implements [manifests.Pinner]: the candidate of applied, with
// p.Package's lock entry replaced by p.Entry (a complete lock entry, such
// as a release's repository metadata or [CommitEntry]; its
// "version_normalized" is dropped, as composer does not write it into
// locks). The package keeps its place under packages or packages-dev, the
// root composer.json is relaxed as for a rollback when its constraint does
// not admit the pinned version, and the same static check as for
// [set.Candidate] refuses a pin that composer install would refuse.
func (s *set) Pin(applied []string, p manifests.Pin) (*manifests.Candidate, error) {
	key := strings.ToLower(p.Package)
	st, ok := s.byName[key]
	if !ok {
		return nil, fmt.Errorf("composer pin: %s is locked on neither side", p.Package)
	}
	raw, err := dropKey(p.Entry, "version_normalized")
	if err != nil {
		return nil, fmt.Errorf("composer pin %s %s: %w", p.Package, p.Version, err)
	}
	pinned, err := (&scanner{data: raw}).entry()
	if err != nil {
		return nil, fmt.Errorf("composer pin %s %s: lock entry: %w", p.Package, p.Version, err)
	}
	if strings.ToLower(pinned.Name) != key {
		return nil, fmt.Errorf("composer pin %s: the entry names %s", p.Package, pinned.Name)
	}
	pinned.Dev = (st.new != nil && st.new.Dev) || (st.new == nil && st.old.Dev)

	c, problems, err := s.build(applied, pinned)
	if err != nil {
		return nil, err
	}
	if err := infeasible(p.Package+" at "+p.Version+": ", problems); err != nil {
		return nil, err
	}
	return c, nil
}

// dropKey returns the object without key, re-encoded only when it had it
// (so that an entry without it keeps its bytes).
func dropKey(obj json.RawMessage, key string) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		return nil, fmt.Errorf("lock entry is not a JSON object: %w", err)
	}
	if _, ok := m[key]; !ok {
		return obj, nil
	}
	delete(m, key)
	return marshalObject(m)
}

// lockKeys are the composer.json keys a lock entry carries over (what
// composer's lock writer takes from a package's metadata).
var lockKeys = []string{
	"name", "type", "require", "require-dev", "conflict", "replace", "provide", "suggest",
	"bin", "autoload", "autoload-dev", "include-path", "target-dir", "extra", "notification-url",
	"license", "authors", "description", "homepage", "keywords", "support", "funding",
}

// CommitEntry builds the lock entry that installs a package from an
// upstream commit: the lock-relevant keys of the composer.json at that
// commit, a git source at the commit, and no dist, so composer clones url
// and checks the commit out (a local path works offline).
//
// The entry's version is the release it stands in for (the first bad
// release), not a dev version. Composer's own way would be a dev version
// ("dev-main") with a lock alias to the release; but the alias only exists
// for root requirements and the "aliases" of a lock written by composer
// update, and every sibling's constraint on the package must keep holding
// without re-resolving. Naming the commit's entry with the release's
// version does exactly that, and source.reference still selects the
// commit.
func CommitEntry(composerJSON []byte, version, url, commit string) (json.RawMessage, error) {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(composerJSON, &root); err != nil {
		return nil, fmt.Errorf("composer.json at %s: %w", commit, err)
	}
	if _, ok := root["name"]; !ok {
		return nil, fmt.Errorf("composer.json at %s: no \"name\"", commit)
	}
	e := map[string]json.RawMessage{}
	for _, k := range lockKeys {
		if v, ok := root[k]; ok {
			e[k] = v
		}
	}
	v, err := json.Marshal(version)
	if err != nil {
		return nil, err
	}
	e["version"] = v
	src, err := json.Marshal(map[string]string{"type": "git", "url": url, "reference": commit})
	if err != nil {
		return nil, err
	}
	e["source"] = src
	return marshalObject(e)
}

// marshalObject writes an object with name and version first and the other
// keys sorted, without HTML escaping (as composer writes locks).
func marshalObject(m map[string]json.RawMessage) (json.RawMessage, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := map[string]int{"name": 0, "version": 1}
	sort.Slice(keys, func(i, j int) bool {
		ri, iok := rank[keys[i]]
		rj, jok := rank[keys[j]]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return keys[i] < keys[j]
	})
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(k))
		b.WriteByte(':')
		var c bytes.Buffer
		if err := json.Compact(&c, m[k]); err != nil {
			return nil, fmt.Errorf("key %s: %w", k, err)
		}
		b.Write(c.Bytes())
	}
	b.WriteByte('}')
	if !json.Valid(b.Bytes()) {
		return nil, errors.New("re-encoded lock entry is not valid JSON")
	}
	return b.Bytes(), nil
}
