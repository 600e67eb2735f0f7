package gomod

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/lockbisect/lockbisect/internal/goenv"
	"github.com/lockbisect/lockbisect/internal/urlread"
	"github.com/lockbisect/lockbisect/manifests"
)

// proxyClient bounds one proxy request: a proxy that never answers leaves
// the drill-down at the package level instead of hanging.
var proxyClient = &http.Client{Timeout: time.Minute}

// Releases implements [manifests.Releaser]: the module's versions from
// the proxy the go command would ask, with the retractions of the newest
// version's go.mod marked.
func (s *Pair) Releases(ctx context.Context, mod string) ([]manifests.Release, error) {
	if !strings.Contains(mod, ".") {
		return nil, manifests.NoReleases("the " + mod + " directive is not a module")
	}
	base, err := s.proxy(ctx, mod)
	if err != nil {
		return nil, err
	}
	esc, err := module.EscapePath(mod)
	if err != nil {
		return nil, fmt.Errorf("module path %s: %w", mod, err)
	}
	data, err := urlread.Read(ctx, proxyClient, base+"/"+esc+"/@v/list")
	if err != nil {
		return nil, err
	}
	var versions []string
	for _, v := range strings.Fields(string(data)) {
		if semver.IsValid(v) {
			versions = append(versions, v)
		}
	}
	semver.Sort(versions)
	out := make([]manifests.Release, len(versions))
	for i, v := range versions {
		out[i].Version = v
	}
	if len(versions) == 0 {
		return out, nil
	}
	latest := versions[len(versions)-1]
	escV, err := module.EscapeVersion(latest)
	if err != nil {
		return nil, err
	}
	modData, err := urlread.Read(ctx, proxyClient, base+"/"+esc+"/@v/"+escV+".mod")
	if err != nil {
		return nil, err
	}
	mf, err := modfile.ParseLax(mod+"@"+latest+"/go.mod", modData, nil)
	if err != nil {
		return nil, fmt.Errorf("go.mod of %s@%s: %w", mod, latest, err)
	}
	for i := range out {
		for _, r := range mf.Retract {
			if semver.Compare(out[i].Version, r.Low) >= 0 && semver.Compare(out[i].Version, r.High) <= 0 {
				out[i].Retracted = r.Rationale
				if out[i].Retracted == "" {
					out[i].Retracted = "retracted"
				}
			}
		}
	}
	return out, nil
}

// Compare implements [manifests.Releaser] with semantic version order.
func (s *Pair) Compare(a, b string) int { return semver.Compare(a, b) }

// proxy is the proxy the go command would ask for mod, as `go env`
// reports it with the tool environment (runner.env rendered for the
// project); an error says why none is asked (a GOPRIVATE/GONOPROXY module,
// GOPROXY=off or direct), and the drill-down then stays at the package.
func (s *Pair) proxy(ctx context.Context, mod string) (string, error) {
	s.goenvMu.Lock()
	defer s.goenvMu.Unlock()
	if s.goenv == nil {
		e, err := goenv.Read(ctx, s.env)
		if err != nil {
			return "", err
		}
		s.goenv = &e
	}
	return s.goenv.Proxy(mod)
}

// Upstream implements [manifests.Upstreamer]: the Origin the proxy records
// for the new version, else the github.com/owner/repo convention.
func (s *Pair) Upstream(ctx context.Context, ch manifests.Change) (manifests.Upstream, error) {
	if o, err := s.origin(ctx, ch.Package, ch.To); err == nil && o.URL != "" {
		return manifests.Upstream{URL: o.URL, Subdir: o.Subdir}, nil
	}
	repo, subdir := hostConvention(ch.Package)
	if repo == "" {
		return manifests.Upstream{}, fmt.Errorf("no repository known for %s (the proxy records no Origin): pass --repo-map %s=URL", ch.Package, ch.Package)
	}
	return manifests.Upstream{URL: repo, Subdir: subdir}, nil
}

// origin is the provenance block of a proxy's .info file.
type origin struct {
	VCS, URL, Subdir, Ref, Hash string
}

// origin reads $GOPROXY/<module>/@v/<version>.info and returns its Origin.
func (s *Pair) origin(ctx context.Context, mod, version string) (origin, error) {
	proxy, err := s.proxy(ctx, mod)
	if err != nil {
		return origin{}, err
	}
	esc, err := module.EscapePath(mod)
	if err != nil {
		return origin{}, err
	}
	escV, err := module.EscapeVersion(version)
	if err != nil {
		return origin{}, err
	}
	raw := proxy + "/" + esc + "/@v/" + escV + ".info"
	data, err := urlread.Read(ctx, proxyClient, raw)
	if err != nil {
		return origin{}, err
	}
	var info struct{ Origin *origin }
	if err := json.Unmarshal(data, &info); err != nil {
		return origin{}, fmt.Errorf("%s: %w", raw, err)
	}
	if info.Origin == nil {
		return origin{}, fmt.Errorf("%s records no Origin", raw)
	}
	return *info.Origin, nil
}

// hostConvention derives the repository of a module on a well-known host:
// github.com/o/r/sub/v2 lives in https://github.com/o/r, directory sub.
func hostConvention(mod string) (repo, subdir string) {
	if module.CheckPath(mod) != nil {
		return "", ""
	}
	parts := strings.Split(mod, "/")
	switch parts[0] {
	case "github.com", "gitlab.com", "bitbucket.org":
	default:
		return "", ""
	}
	if len(parts) < 3 {
		return "", ""
	}
	rest := parts[3:]
	if n := len(rest); n > 0 && semver.IsValid(rest[n-1]+".0.0") && strings.HasPrefix(rest[n-1], "v") {
		rest = rest[:n-1]
	}
	return "https://" + strings.Join(parts[:3], "/"), strings.Join(rest, "/")
}

// PinCommit implements [manifests.CommitPinner]: the module is replaced by
// a work tree of the commit (replace M => Dir).
func (s *Pair) PinCommit(_ context.Context, c manifests.Commit) (manifests.Pin, error) {
	dir, err := c.Checkout()
	if err != nil {
		return manifests.Pin{}, err
	}
	return manifests.Pin{Package: c.Package, Version: c.Version, Dir: filepath.Join(dir, filepath.FromSlash(c.Subdir))}, nil
}

// Rollback implements [manifests.Rollbacker]: one go get of every module
// at its old version (none for an added one).
func (s *Pair) Rollback(cs []manifests.Change) [][]string {
	args := []string{"go", "get"}
	for _, c := range cs {
		v := c.From
		if c.Kind == manifests.Added {
			v = "none"
		}
		args = append(args, c.Package+"@"+v)
	}
	return [][]string{args}
}

// Source implements [manifests.Sourcer]: a module path starts with its
// repository's host.
func (s *Pair) Source(mod string) string { return "https://" + mod }
