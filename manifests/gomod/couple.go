package gomod

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/lockbisect/lockbisect/internal/urlread"
	"github.com/lockbisect/lockbisect/manifests"
)

// forces derives the coupling between changes from the go.mod files of the
// old and new versions of every changed module, the way minimal version
// selection (MVS) would see a candidate.
//
// In a candidate each changed module m sits at v(m), its old or its new
// version, and MVS selects max over every requirement on m. The candidate
// is what it claims to be only if no module's go.mod requires m above v(m).
// Modules that did not change require the same versions in old and new, and
// both locks are consistent, so only changed modules r matter:
//
//   - new r requires p above old p: applying r (taking r new) needs p
//     applied, or MVS would bump p past its old version;
//   - old r requires p above new p (p was downgraded or removed): rolling r
//     back needs p rolled back, which is the edge "applying p needs r
//     applied".
//
// An added p (no old version) is needed by any new requirement on it; a
// removed p (no new version) by any old requirement on it. Requirements on
// the go version work the same way with the go directive as p. Excludes
// couple with the requirement they exclude. Replacements are followed when
// reading a module's go.mod; changes of replace directives themselves are
// left to Validate, which asks the go command.
func forces(ctx context.Context, old, new *lock, changes []change, r *modReader) []manifests.Force {
	byPath := map[string]*change{}
	var goDir *change
	for i := range changes {
		switch changes[i].what {
		case requireChange:
			byPath[changes[i].path] = &changes[i]
		case goChange:
			goDir = &changes[i]
		}
	}
	var out []manifests.Force
	for _, c := range changes {
		if c.what != requireChange {
			continue
		}
		if c.To != "" {
			if mf := r.goModOf(ctx, new, c.path, c.To); mf != nil {
				for _, req := range mf.Require {
					p := byPath[req.Mod.Path]
					if p == nil || p.path == c.path {
						continue
					}
					if p.From == "" || compareVersions(req.Mod.Version, p.From) > 0 {
						out = append(out, manifests.Force{From: c.Package, To: p.Package,
							Reason: fmt.Sprintf("%s %s requires %s %s", c.path, c.To, req.Mod.Path, req.Mod.Version)})
					}
				}
				if goDir != nil && mf.Go != nil && goDir.To != "" && (goDir.From == "" || compareVersions(mf.Go.Version, goDir.From) > 0) {
					out = append(out, manifests.Force{From: c.Package, To: goPackage,
						Reason: fmt.Sprintf("%s %s requires go %s", c.path, c.To, mf.Go.Version)})
				}
			}
		}
		if c.From != "" {
			if mf := r.goModOf(ctx, old, c.path, c.From); mf != nil {
				for _, req := range mf.Require {
					p := byPath[req.Mod.Path]
					if p == nil || p.path == c.path {
						continue
					}
					if p.To == "" || compareVersions(req.Mod.Version, p.To) > 0 {
						out = append(out, manifests.Force{From: p.Package, To: c.Package,
							Reason: fmt.Sprintf("%s %s requires %s %s", c.path, c.From, req.Mod.Path, req.Mod.Version)})
					}
				}
				if goDir != nil && mf.Go != nil && goDir.From != "" && (goDir.To == "" || compareVersions(mf.Go.Version, goDir.To) > 0) {
					out = append(out, manifests.Force{From: goPackage, To: c.Package,
						Reason: fmt.Sprintf("%s %s requires go %s", c.path, c.From, mf.Go.Version)})
				}
			}
		}
	}
	for _, c := range changes {
		if c.what != excludeChange {
			continue
		}
		p := byPath[c.path]
		if p == nil {
			continue
		}
		// Excluding the version the candidate requires makes the go
		// command pick another one; the exclude moves with the requirement
		// that leaves (or reaches) the excluded version.
		if c.To != "" && p.From == c.To {
			out = append(out, manifests.Force{From: c.Package, To: p.Package,
				Reason: fmt.Sprintf("exclude %s@%s excludes the old requirement %s %s", c.path, c.To, p.path, p.From)})
		}
		if c.From != "" && p.To == c.From {
			out = append(out, manifests.Force{From: p.Package, To: c.Package,
				Reason: fmt.Sprintf("old exclude %s@%s excludes the new requirement %s %s", c.path, c.From, p.path, p.To)})
		}
	}
	return out
}

// modReader fetches go.mod files of module versions: through the GOPROXY
// of the environment (file:// and http(s):// entries), else from the module
// cache, else with `go mod download`. What it cannot read is logged and
// skipped: Validate still catches a candidate whose coupling was missed.
type modReader struct {
	env    []string // os.Environ() with the options' environment appended
	log    *slog.Logger
	client *http.Client
	memo   map[module.Version]*modfile.File
}

func newModReader(env []string, log *slog.Logger) *modReader {
	return &modReader{env: append(os.Environ(), env...), log: log, client: &http.Client{}, memo: map[module.Version]*modfile.File{}}
}

// getenv returns the last value of key in the environment, as exec does.
func (r *modReader) getenv(key string) string {
	for i := len(r.env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(r.env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// goModOf returns the go.mod that governs path@version under l's
// replacements, or nil when it cannot be read.
func (r *modReader) goModOf(ctx context.Context, l *lock, path, version string) *modfile.File {
	if rep := l.replacement(path, version); rep != nil {
		if rep.New.Version != "" {
			return r.goMod(ctx, rep.New)
		}
		if l.dir == "" {
			r.log.Warn("go.mod of a directory replacement is not readable from a git revision; coupling through it is left to validation", "module", path, "dir", rep.New.Path)
			return nil
		}
		name := filepath.Join(l.dir, filepath.FromSlash(rep.New.Path), "go.mod")
		data, err := os.ReadFile(name)
		if err != nil {
			r.log.Warn("read go.mod of a directory replacement", "module", path, "err", err)
			return nil
		}
		f, err := modfile.ParseLax(name, data, nil)
		if err != nil {
			r.log.Warn("parse go.mod of a directory replacement", "module", path, "err", err)
			return nil
		}
		return f
	}
	return r.goMod(ctx, module.Version{Path: path, Version: version})
}

func (r *modReader) goMod(ctx context.Context, m module.Version) *modfile.File {
	if f, ok := r.memo[m]; ok {
		return f
	}
	data, err := r.fetch(ctx, m)
	var f *modfile.File
	if err == nil {
		f, err = modfile.ParseLax(m.String()+".mod", data, nil)
	}
	if err != nil {
		r.log.Warn("go.mod of a changed module is unavailable; coupling through it is left to validation", "module", m.String(), "err", err)
	}
	r.memo[m] = f
	return f
}

func (r *modReader) fetch(ctx context.Context, m module.Version) ([]byte, error) {
	escPath, err := module.EscapePath(m.Path)
	if err != nil {
		return nil, err
	}
	escVersion, err := module.EscapeVersion(m.Version)
	if err != nil {
		return nil, err
	}
	rel := escPath + "/@v/" + escVersion + ".mod"
	var tried []string
	for _, proxy := range strings.FieldsFunc(r.getenv("GOPROXY"), func(c rune) bool { return c == ',' || c == '|' }) {
		data, err := r.fromProxy(ctx, proxy, rel)
		if err == nil {
			return data, nil
		}
		tried = append(tried, err.Error())
	}
	if cache := r.modCache(ctx); cache != "" {
		data, err := os.ReadFile(filepath.Join(cache, "cache", "download", filepath.FromSlash(rel)))
		if err == nil {
			return data, nil
		}
		tried = append(tried, fmt.Sprintf("module cache: %v", err))
	}
	data, err := r.download(ctx, m)
	if err == nil {
		return data, nil
	}
	tried = append(tried, err.Error())
	return nil, fmt.Errorf("%s: %s", m, strings.Join(tried, "; "))
}

func (r *modReader) fromProxy(ctx context.Context, proxy, rel string) ([]byte, error) {
	switch proxy {
	case "direct", "off":
		// The go command's business; the download fallback covers direct.
		return nil, fmt.Errorf("GOPROXY entry %s is not a proxy", proxy)
	}
	if !strings.Contains(proxy, "://") {
		// As the go command does: an entry without a scheme is https.
		proxy = "https://" + proxy
	}
	return urlread.Read(ctx, r.client, strings.TrimSuffix(proxy, "/")+"/"+rel)
}

func (r *modReader) modCache(ctx context.Context) string {
	if c := r.getenv("GOMODCACHE"); c != "" {
		return c
	}
	cmd := exec.CommandContext(ctx, "go", "env", "GOMODCACHE")
	cmd.Env = r.env
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func (r *modReader) download(ctx context.Context, m module.Version) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "bisect-gomod-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// Outside any module, so that no project's go.mod or -mod setting
	// interferes; GOFLAGS may carry -mod=mod, which go mod download rejects.
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", m.String())
	cmd.Dir = tmp
	cmd.Env = append(append([]string{}, r.env...), "GOFLAGS=-modcacherw", "GO111MODULE=on", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var res struct{ GoMod, Error string }
	if jerr := json.Unmarshal(out, &res); jerr == nil && res.Error != "" {
		return nil, fmt.Errorf("go mod download %s: %s", m, res.Error)
	}
	if err != nil {
		return nil, fmt.Errorf("go mod download %s: %w: %s", m, err, strings.TrimSpace(stderr.String()))
	}
	if res.GoMod == "" {
		return nil, fmt.Errorf("go mod download %s: no GoMod in its output", m)
	}
	return os.ReadFile(res.GoMod)
}
