package composer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/lockbisect/lockbisect/internal/urlread"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/composer/constraint"
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

// releaseClient bounds one metadata request: a repository that never
// answers leaves the drill-down at the package level instead of hanging.
var releaseClient = &http.Client{Timeout: time.Minute}

// Releases implements [manifests.Releaser]: every version of pkg in the
// repository's p2 metadata (<repo>/p2/<vendor>/<name>.json) with the
// entry composer needs to install it; dev versions are left out (they
// have no place between two releases).
func (s *set) Releases(ctx context.Context, pkg string) ([]manifests.Release, error) {
	repo, err := s.releaseRepo()
	if err != nil {
		return nil, err
	}
	return ListReleases(ctx, releaseClient, repo, pkg)
}

// Compare implements [manifests.Releaser] with composer's version order.
func (s *set) Compare(a, b string) int { return constraint.Compare(a, b) }

// ListReleases fetches <repo>/p2/<vendor>/<name>.json (repo is an http(s)
// or file URL) and returns every release with its entry, newest first as
// served.
func ListReleases(ctx context.Context, client *http.Client, repo, pkg string) ([]manifests.Release, error) {
	data, err := urlread.Read(ctx, client, strings.TrimSuffix(repo, "/")+"/p2/"+pkg+".json")
	if err != nil {
		return nil, err
	}
	entries, err := ParseP2(data, pkg)
	if err != nil {
		return nil, err
	}
	var out []manifests.Release
	for _, e := range entries {
		var v string
		if err := json.Unmarshal(e["version"], &v); err != nil || v == "" {
			return nil, fmt.Errorf("p2 metadata of %s: an entry without a version", pkg)
		}
		if strings.HasPrefix(v, "dev-") {
			continue
		}
		delete(e, "version_normalized")
		b, err := marshalObject(e)
		if err != nil {
			return nil, fmt.Errorf("p2 metadata of %s %s: %w", pkg, v, err)
		}
		out = append(out, manifests.Release{Version: v, Entry: b})
	}
	return out, nil
}

// releaseRepo is search.composer_repo (a URL, or a directory relative to
// the project), else the first repository of type composer in the
// project's composer.json.
func (s *set) releaseRepo() (string, error) {
	if r := s.repo; r != "" {
		if u, err := url.Parse(r); err == nil && u.Scheme != "" {
			return r, nil
		}
		// A path names a directory holding p2/<vendor>/<name>.json,
		// relative to the project.
		if !filepath.IsAbs(r) {
			r = filepath.Join(s.project, r)
		}
		return "file://" + filepath.ToSlash(r), nil
	}
	name := filepath.Join(s.project, filepath.FromSlash(s.lockDir), "composer.json")
	data, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("no search.composer_repo and no composer.json to read repositories from: %w", err)
	}
	var root struct {
		Repositories json.RawMessage `json:"repositories"`
	}
	if err := json.Unmarshal(data, &root); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	// repositories is a list, or an object keyed by name.
	var list []json.RawMessage
	if json.Unmarshal(root.Repositories, &list) != nil {
		var byName map[string]json.RawMessage
		_ = json.Unmarshal(root.Repositories, &byName)
		for _, r := range byName {
			list = append(list, r)
		}
	}
	for _, raw := range list {
		var r struct{ Type, URL string }
		if json.Unmarshal(raw, &r) == nil && r.Type == "composer" && r.URL != "" {
			return r.URL, nil
		}
	}
	return "", fmt.Errorf("%s names no repository of type composer: set search.composer_repo to the repository that lists the releases", name)
}

// Upstream implements [manifests.Upstreamer]: the source.url the lock
// records.
func (s *set) Upstream(_ context.Context, ch manifests.Change) (manifests.Upstream, error) {
	if ch.Source == "" {
		return manifests.Upstream{}, fmt.Errorf("the lock records no source.url for %s: pass --repo-map %s=URL", ch.Package, ch.Package)
	}
	return manifests.Upstream{URL: ch.Source}, nil
}

// PinCommit implements [manifests.CommitPinner]: composer installs the
// package from source at the commit ([CommitEntry]).
func (s *set) PinCommit(_ context.Context, c manifests.Commit) (manifests.Pin, error) {
	data, err := c.ReadFile("composer.json")
	if err != nil {
		return manifests.Pin{}, err
	}
	entry, err := CommitEntry(data, c.Version, c.Clone, c.Hash)
	if err != nil {
		return manifests.Pin{}, err
	}
	return manifests.Pin{Package: c.Package, Version: c.Version, Entry: entry}, nil
}

// Rollback implements [manifests.Rollbacker]: composer require for what
// the root requires, composer update --with for the rest.
func (s *set) Rollback(cs []manifests.Change) [][]string {
	var names, with, require []string
	for _, c := range cs {
		switch {
		case c.Kind == manifests.Added:
			names = append(names, c.Package)
		case c.Direct:
			require = append(require, c.Package+":"+c.From)
		default:
			names = append(names, c.Package)
			with = append(with, "--with", c.Package+":"+c.From)
		}
	}
	var cmds [][]string
	if len(require) > 0 {
		cmds = append(cmds, append([]string{"composer", "require"}, require...))
	}
	if len(names) > 0 {
		cmds = append(cmds, slices.Concat([]string{"composer", "update"}, names, with))
	}
	return cmds
}
