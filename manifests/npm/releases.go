package npm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lockbisect/lockbisect/internal/urlread"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/npm/semver"
)

// defaultRegistry is where npm looks when nothing configures a registry.
const defaultRegistry = "https://registry.npmjs.org/"

// packument is the part of a registry document the drill-down reads.
type packument struct {
	Versions   map[string]json.RawMessage `json:"versions"`
	Repository json.RawMessage            `json:"repository"`
}

// registryClient bounds one registry request: a registry that never
// answers leaves the drill-down at the package level instead of hanging.
var registryClient = &http.Client{Timeout: time.Minute}

// registry is the registry npm would use with the environment the tool
// sees (runner.env over the process's): npm_config_registry, else the
// registry= line of the user's npmrc (npm_config_userconfig, else
// ~/.npmrc), else npm's default. A project .npmrc and scoped registries
// are npm's own business and not read here.
func (s *set) registry() string {
	env := append(os.Environ(), s.env...)
	get := func(name string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if k, v, _ := strings.Cut(env[i], "="); strings.EqualFold(k, name) {
				return v
			}
		}
		return ""
	}
	reg := get("npm_config_registry")
	if reg == "" {
		rc := get("npm_config_userconfig")
		if rc == "" && get("HOME") != "" {
			rc = filepath.Join(get("HOME"), ".npmrc")
		}
		if b, err := os.ReadFile(rc); rc != "" && err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "registry" {
					reg = strings.TrimSpace(v)
				}
			}
		}
	}
	if reg == "" {
		return defaultRegistry
	}
	return strings.TrimSuffix(reg, "/") + "/"
}

func (s *set) packument(ctx context.Context, name string) (*packument, error) {
	u := s.registry() + strings.Replace(url.PathEscape(name), "%40", "@", 1)
	b, err := urlread.Read(ctx, registryClient, u)
	if err != nil {
		return nil, err
	}
	var p packument
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("packument of %s: %w", name, err)
	}
	return &p, nil
}

// Releases implements [manifests.Releaser]: every version of pkg in the
// registry's packument with the lock entry that installs it
// ([ReleaseEntry]). Prereleases are left out unless an end of the
// package's change is one, as npm's ranges leave them out.
func (s *set) Releases(ctx context.Context, pkg string) ([]manifests.Release, error) {
	pre := false
	if ch := s.d.Change(pkg); ch != nil {
		for _, end := range []string{ch.From, ch.To} {
			if v, err := semver.Parse(oldVersion(end)); err == nil && len(v.Pre) > 0 {
				pre = true
			}
		}
	}
	p, err := s.packument(ctx, pkg)
	if err != nil {
		return nil, err
	}
	var out []manifests.Release
	for v, raw := range p.Versions {
		sv, err := semver.Parse(v)
		if err != nil || len(sv.Pre) > 0 && !pre {
			continue
		}
		entry, err := ReleaseEntry(raw)
		if err != nil {
			return nil, fmt.Errorf("%s@%s: %w", pkg, v, err)
		}
		out = append(out, manifests.Release{Version: v, Entry: entry})
	}
	return out, nil
}

// Compare implements [manifests.Releaser] with npm's semver order; a
// change's side of several versions at several paths stands for its
// hoisted one.
func (s *set) Compare(a, b string) int {
	return semver.CompareStrings(oldVersion(a), oldVersion(b))
}

// Upstream implements [manifests.Upstreamer]: the repository the
// package's packument names ([repositoryURL]), with its directory for a
// package in a monorepo.
func (s *set) Upstream(ctx context.Context, ch manifests.Change) (manifests.Upstream, error) {
	p, err := s.packument(ctx, ch.Package)
	if err != nil {
		return manifests.Upstream{}, err
	}
	var repo struct {
		Directory string `json:"directory"`
	}
	json.Unmarshal(p.Repository, &repo)
	u := repositoryURL(p.Repository)
	if u == "" {
		return manifests.Upstream{}, fmt.Errorf("the packument of %s names no repository: pass --repo-map %s=URL", ch.Package, ch.Package)
	}
	return manifests.Upstream{URL: u, Subdir: strings.Trim(repo.Directory, "/")}, nil
}

// repositoryURL is a packument's repository field (a string or {"url": …})
// as a URL git can clone: "git+https://host/x.git" becomes
// "https://host/x.git", and the "github:user/repo" and "user/repo"
// shorthands name GitHub. "" when it names none.
func repositoryURL(raw json.RawMessage) string {
	var u string
	if json.Unmarshal(raw, &u) != nil {
		var obj struct {
			URL string `json:"url"`
		}
		if json.Unmarshal(raw, &obj) != nil {
			return ""
		}
		u = obj.URL
	}
	u = strings.TrimSpace(u)
	switch {
	case u == "":
		return ""
	case strings.HasPrefix(u, "github:"):
		return "https://github.com/" + strings.TrimPrefix(u, "github:")
	case strings.HasPrefix(u, "gitlab:"):
		return "https://gitlab.com/" + strings.TrimPrefix(u, "gitlab:")
	case !strings.Contains(u, ":") && strings.Count(u, "/") == 1:
		return "https://github.com/" + u
	}
	u = strings.TrimPrefix(u, "git+")
	if strings.HasPrefix(u, "git://github.com/") {
		u = "https://" + strings.TrimPrefix(u, "git://")
	}
	return u
}

// entryKeys are the keys of a version's manifest that npm's lock entry
// carries (what arborist writes for a registry package), besides version,
// resolved and integrity, which come from "dist".
var entryKeys = []string{"dependencies", "optionalDependencies", "peerDependencies", "peerDependenciesMeta", "bin", "engines", "os", "cpu", "license", "deprecated", "funding"}

// ReleaseEntry is the lock entry that installs one version from its
// packument manifest: version, resolved (dist.tarball), integrity
// (dist.integrity), the manifest's dependency keys, and hasInstallScript
// when it has one — as npm install a@x --package-lock-only writes it.
func ReleaseEntry(manifest json.RawMessage) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, err
	}
	var dist struct{ Tarball, Integrity, Shasum string }
	if err := json.Unmarshal(m["dist"], &dist); err != nil || dist.Tarball == "" {
		return nil, fmt.Errorf("no dist.tarball in the manifest")
	}
	out := map[string]any{"version": json.RawMessage(m["version"]), "resolved": dist.Tarball}
	if dist.Integrity != "" {
		out["integrity"] = dist.Integrity
	} else if dist.Shasum != "" {
		out["integrity"] = "sha1-" + hexToBase64(dist.Shasum)
	}
	for _, k := range entryKeys {
		if v, ok := m[k]; ok && string(v) != "null" && string(v) != "{}" {
			out[k] = v
		}
	}
	var scripts map[string]string
	json.Unmarshal(m["scripts"], &scripts)
	if scripts["install"] != "" || scripts["preinstall"] != "" || scripts["postinstall"] != "" {
		out["hasInstallScript"] = true
	}
	return json.Marshal(out)
}

func hexToBase64(h string) string {
	b, _ := hex.DecodeString(h)
	return base64.StdEncoding.EncodeToString(b)
}

// Pin implements [manifests.Pinner]: the candidate of applied with every
// path of p.Package holding p.Entry (a [ReleaseEntry]) instead, as npm
// install a@x --package-lock-only would leave a lock whose other
// packages still accept x; the dev and optional flags of each path are
// kept. package.json's range moves as for a rollback, and the same static
// check refuses a pin that npm ci would refuse.
func (s *set) Pin(applied []string, p manifests.Pin) (*manifests.Candidate, error) {
	st := s.byName[p.Package]
	if st == nil {
		return nil, fmt.Errorf("npm pin: %s is in neither lock", p.Package)
	}
	var e entry
	if err := json.Unmarshal(p.Entry, &e); err != nil {
		return nil, fmt.Errorf("npm pin %s@%s: %w", p.Package, p.Version, err)
	}
	// The pin sits where the package sits in the candidate: its new paths
	// when applied, else its old ones.
	take := false
	for _, id := range applied {
		for _, n := range s.unitOf[id] {
			take = take || n == p.Package
		}
	}
	paths := st.old
	if take || !st.changed {
		paths = st.new
	}
	pinned := &pkgState{name: st.name, new: map[string]*entry{}}
	for path, at := range paths {
		raw, err := withFlags(p.Entry, at)
		if err != nil {
			return nil, err
		}
		n := e
		n.Path, n.Raw, n.Dev, n.Optional, n.DevOptional, n.Peer = path, indent(raw), at.Dev, at.Optional, at.DevOptional, at.Peer
		pinned.new[path] = &n
	}
	c, problems, err := s.build(applied, pinned)
	if err != nil {
		return nil, err
	}
	if err := infeasible(problems); err != nil {
		return nil, err
	}
	return c, nil
}

// withFlags adds at's dev, optional, devOptional and peer flags to a
// release entry.
func withFlags(raw json.RawMessage, at *entry) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	for k, on := range map[string]bool{"dev": at.Dev, "optional": at.Optional, "devOptional": at.DevOptional, "peer": at.Peer} {
		if on {
			m[k] = json.RawMessage("true")
		}
	}
	return json.Marshal(m)
}

// indent formats an entry as it sits in a lock (under "packages", four
// spaces deep).
func indent(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Indent(&b, raw, "    ", "  ") != nil {
		return raw
	}
	return b.Bytes()
}
