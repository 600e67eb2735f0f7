package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"github.com/lockbisect/lockbisect/internal/urlread"
)

// unset is the minified format's marker for a key the previous version had
// and this one has not.
const unset = "__unset"

// Expand turns a minified p2 version list (newest first, as Packagist
// serves it) into complete entries.
func Expand(minified []map[string]json.RawMessage) []map[string]json.RawMessage {
	out := make([]map[string]json.RawMessage, 0, len(minified))
	var prev map[string]json.RawMessage
	for _, diff := range minified {
		cur := map[string]json.RawMessage{}
		for k, v := range prev {
			cur[k] = v
		}
		for k, v := range diff {
			if isUnset(v) {
				delete(cur, k)
				continue
			}
			cur[k] = v
		}
		out = append(out, cur)
		prev = cur
	}
	return out
}

// Minify is the inverse of Expand: each entry after the first keeps only the
// keys whose values differ from the previous entry, and marks removed keys
// with "__unset".
func Minify(full []map[string]json.RawMessage) []map[string]json.RawMessage {
	out := make([]map[string]json.RawMessage, 0, len(full))
	var prev map[string]json.RawMessage
	for i, cur := range full {
		if i == 0 {
			out = append(out, cur)
			prev = cur
			continue
		}
		diff := map[string]json.RawMessage{}
		for k, v := range cur {
			if pv, ok := prev[k]; !ok || !jsonEqual(pv, v) {
				diff[k] = v
			}
		}
		for k := range prev {
			if _, ok := cur[k]; !ok {
				diff[k] = json.RawMessage(`"` + unset + `"`)
			}
		}
		out = append(out, diff)
		prev = cur
	}
	return out
}

func isUnset(v json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(v), []byte(`"`+unset+`"`))
}

func jsonEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// p2File is the shape of <repo>/p2/<vendor>/<name>.json.
type p2File struct {
	Minified string                                  `json:"minified,omitempty"`
	Packages map[string][]map[string]json.RawMessage `json:"packages"`
}

// ParseP2 reads a p2 metadata document and returns the complete entries of
// the named package, newest first as served.
func ParseP2(data []byte, pkg string) ([]map[string]json.RawMessage, error) {
	var f p2File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("p2 metadata of %s: %w", pkg, err)
	}
	entries, ok := f.Packages[pkg]
	if !ok {
		return nil, fmt.Errorf("p2 metadata lists no package %s", pkg)
	}
	if f.Minified != "" {
		if f.Minified != "composer/2.0" {
			return nil, fmt.Errorf("p2 metadata of %s: unknown minified format %q", pkg, f.Minified)
		}
		entries = Expand(entries)
	}
	return entries, nil
}

// MarshalP2 writes a minified p2 document for one package (what Packagist
// serves; tests serve it to the composer release lister).
func MarshalP2(pkg string, full []map[string]json.RawMessage) ([]byte, error) {
	return json.Marshal(p2File{Minified: "composer/2.0", Packages: map[string][]map[string]json.RawMessage{pkg: Minify(full)}})
}

// ComposerRelease is one version of a composer package, with the metadata
// entry composer's loader needs to install it.
type ComposerRelease struct {
	Version string
	Entry   json.RawMessage
}

// ComposerReleases fetches <repo>/p2/<vendor>/<name>.json (repo is an http(s)
// or file URL) and returns every version with its entry.
func ComposerReleases(ctx context.Context, client *http.Client, repo, pkg string) ([]ComposerRelease, error) {
	data, err := urlread.Read(ctx, client, strings.TrimSuffix(repo, "/")+"/p2/"+pkg+".json")
	if err != nil {
		return nil, err
	}
	entries, err := ParseP2(data, pkg)
	if err != nil {
		return nil, err
	}
	var out []ComposerRelease
	for _, e := range entries {
		var v string
		if err := json.Unmarshal(e["version"], &v); err != nil || v == "" {
			return nil, fmt.Errorf("p2 metadata of %s: an entry without a version", pkg)
		}
		delete(e, "version_normalized")
		b, err := marshalSorted(e)
		if err != nil {
			return nil, err
		}
		out = append(out, ComposerRelease{Version: v, Entry: b})
	}
	return out, nil
}

// marshalSorted writes an object with its keys in a stable order (name and
// version first, as composer writes lock entries).
func marshalSorted(e map[string]json.RawMessage) (json.RawMessage, error) {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		switch k {
		case "name":
			return 0
		case "version":
			return 1
		}
		return 2
	}
	sort.Slice(keys, func(i, j int) bool {
		if rank(keys[i]) != rank(keys[j]) {
			return rank(keys[i]) < rank(keys[j])
		}
		return keys[i] < keys[j]
	})
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(e[k])
	}
	b.WriteByte('}')
	var check any
	if err := json.Unmarshal(b.Bytes(), &check); err != nil {
		return nil, fmt.Errorf("re-encode metadata entry: %w", err)
	}
	return b.Bytes(), nil
}
