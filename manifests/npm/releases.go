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
	"sort"
	"strings"
	"time"

	"github.com/lockbisect/lockbisect/internal/urlread"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/npm/semver"
)

// defaultRegistry is where npm looks when nothing configures a registry.
const defaultRegistry = "https://registry.npmjs.org/"

// Release is one published version of a package, from its packument.
type Release struct {
	Version string
	Time    time.Time       // zero when the packument's time has none
	Entry   json.RawMessage // the lock entry that installs it (see ReleaseEntry)
}

// packument is the part of a registry document the drill-down reads.
type packument struct {
	Versions   map[string]json.RawMessage `json:"versions"`
	Time       map[string]string          `json:"time"`
	Repository json.RawMessage            `json:"repository"`
}

// registry is the registry npm would use with the run's environment
// (npm_config_registry, as runner.env or the user's shell sets it); an
// .npmrc is npm's own business and not read here.
func (s *set) registry() string {
	for i := len(s.env) - 1; i >= 0; i-- {
		k, v, _ := strings.Cut(s.env[i], "=")
		if strings.EqualFold(k, "npm_config_registry") && v != "" {
			return strings.TrimSuffix(v, "/") + "/"
		}
	}
	return defaultRegistry
}

func (s *set) packument(ctx context.Context, client *http.Client, name string) (*packument, error) {
	u := s.registry() + strings.Replace(url.PathEscape(name), "%40", "@", 1)
	b, err := urlread.Read(ctx, client, u)
	if err != nil {
		return nil, err
	}
	var p packument
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("packument of %s: %w", name, err)
	}
	return &p, nil
}

// Releases lists the versions of name strictly between from and to, in
// semver order, from the registry's packument, with their publication
// times and lock entries. Prereleases are left out unless an end of the
// range is one (as npm's ranges leave them out).
func (s *set) Releases(ctx context.Context, client *http.Client, name, from, to string) ([]Release, error) {
	lo, err := semver.Parse(oldVersion(from))
	if err != nil {
		return nil, fmt.Errorf("releases of %s: %w", name, err)
	}
	hi, err := semver.Parse(oldVersion(to))
	if err != nil {
		return nil, fmt.Errorf("releases of %s: %w", name, err)
	}
	if semver.Compare(lo, hi) > 0 {
		lo, hi = hi, lo
	}
	p, err := s.packument(ctx, client, name)
	if err != nil {
		return nil, err
	}
	pre := len(lo.Pre) > 0 || len(hi.Pre) > 0
	var out []Release
	for v, raw := range p.Versions {
		sv, err := semver.Parse(v)
		if err != nil || len(sv.Pre) > 0 && !pre || semver.Compare(sv, lo) <= 0 || semver.Compare(sv, hi) >= 0 {
			continue
		}
		entry, err := ReleaseEntry(raw)
		if err != nil {
			return nil, fmt.Errorf("%s@%s: %w", name, v, err)
		}
		at, _ := time.Parse(time.RFC3339, p.Time[v])
		out = append(out, Release{Version: v, Time: at, Entry: entry})
	}
	sort.Slice(out, func(i, j int) bool { return semver.CompareStrings(out[i].Version, out[j].Version) < 0 })
	return out, nil
}

// Repository is the package's source repository from its packument's
// repository field (a string or {"url": …}), as a URL git can clone:
// "git+https://host/x.git" becomes "https://host/x.git", and the
// "github:user/repo" and "user/repo" shorthands name GitHub. "" when the
// packument names none.
func (s *set) Repository(ctx context.Context, client *http.Client, name string) (string, error) {
	p, err := s.packument(ctx, client, name)
	if err != nil {
		return "", err
	}
	return repositoryURL(p.Repository), nil
}

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
