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

	"github.com/lockbisect/lockbisect/internal/goenv"
	"github.com/lockbisect/lockbisect/internal/urlread"
	"github.com/lockbisect/lockbisect/manifests"
)

// forces derives the coupling between changes from the go.mod files of the
// old and new versions of every changed module, the way minimal version
// selection (MVS) would see a candidate, and from the rules the go command
// applies to go.mod itself. It also returns the changes that change no
// selection at all (package → why), which are listed but not searched.
//
// In a candidate each changed module m sits at v(m), its old or its new
// version, and MVS selects max over every requirement on m. The candidate
// is what it claims to be only if no module's go.mod requires m above v(m).
// Modules that did not change require the same versions in old and new, and
// both locks are consistent, so only the go.mod files that move matter (a
// changed module's, an in-tree module's, a replacement's):
//
//   - new r requires p above old p: applying r (taking r new) needs p
//     applied, or MVS would bump p past its old version;
//   - old r requires p above new p (p was downgraded or removed): rolling r
//     back needs p rolled back, which is the edge "applying p needs r
//     applied".
//
// An added p (no old version) is needed by any new requirement on it; a
// removed p (no new version) by any old requirement on it. A go line of
// 1.21 or later above the candidate's go line raises it (older go lines
// are advisory, and the go command leaves the main module's alone), so it
// couples with the go directive the same way. The toolchain line must stay
// above the go line. A version-pinned replace moves with the requirement
// it replaces, a directory replace with the requirement on its module, and
// an exclude with the requirement it excludes; an exclude of a version no
// go.mod here requires changes nothing.
//
// A force is claimed only when it changes the selection. sel holds what
// the go command selects for the old and the new lock (nil when unknown):
// an added p that the old lock already selects at its new version or
// above (through another path), or a removed p that the new lock still
// selects at its old version or above, is selected the same whether its
// line moves or not, so nothing forces it.
func forces(ctx context.Context, old, new *lock, changes []change, r *modReader, sel [2]selection) ([]manifests.Force, map[string]string) {
	stays := func(s selection, path, version string) bool {
		v, ok := s[path]
		return ok && compareVersions(v, version) >= 0
	}
	byPath := map[string]*change{}
	var goDir, tcDir *change
	for i := range changes {
		switch changes[i].what {
		case requireChange:
			byPath[changes[i].path] = &changes[i]
		case goChange:
			goDir = &changes[i]
		case toolchainChange:
			tcDir = &changes[i]
		}
	}
	var out []manifests.Force
	required := map[string]bool{} // "path@version" required by a go.mod that moves
	for i := range changes {
		c := &changes[i]
		m := r.mover(ctx, old, new, c, sel)
		if m == nil {
			continue
		}
		if m.new != nil {
			for _, req := range m.new.Require {
				required[req.Mod.String()] = true
				if p := byPath[req.Mod.Path]; p != nil && p.path != m.path && (p.From == "" && !stays(sel[0], p.path, p.To) || p.From != "" && compareVersions(req.Mod.Version, p.From) > 0) {
					out = append(out, manifests.Force{From: c.Package, To: p.Package,
						Reason: fmt.Sprintf("%s requires %s %s", m.newName, req.Mod.Path, req.Mod.Version)})
				}
			}
			if goDir != nil && m.new.Go != nil && goDir.To != "" && raisesGo(m.new.Go.Version, goDir.From) {
				out = append(out, manifests.Force{From: c.Package, To: goPackage,
					Reason: fmt.Sprintf("%s requires go %s", m.newName, m.new.Go.Version)})
			}
		}
		if m.old != nil {
			for _, req := range m.old.Require {
				required[req.Mod.String()] = true
				if p := byPath[req.Mod.Path]; p != nil && p.path != m.path && (p.To == "" && !stays(sel[1], p.path, p.From) || p.To != "" && compareVersions(req.Mod.Version, p.To) > 0) {
					out = append(out, manifests.Force{From: p.Package, To: c.Package,
						Reason: fmt.Sprintf("%s requires %s %s", m.oldName, req.Mod.Path, req.Mod.Version)})
				}
			}
			if goDir != nil && m.old.Go != nil && goDir.From != "" && raisesGo(m.old.Go.Version, goDir.To) {
				out = append(out, manifests.Force{From: goPackage, To: c.Package,
					Reason: fmt.Sprintf("%s requires go %s", m.oldName, m.old.Go.Version)})
			}
		}
	}
	if goDir != nil && tcDir != nil {
		// The go command refuses (and go mod tidy drops) a toolchain line
		// that is not above the go line.
		if tcDir.From != "" && goDir.To != "" && compareVersions(tcDir.From, goDir.To) <= 0 {
			out = append(out, manifests.Force{From: goPackage, To: toolchainPackage,
				Reason: fmt.Sprintf("go %s needs a toolchain line above it, not toolchain %s", goDir.To, tcDir.From)})
		}
		if tcDir.To != "" && goDir.From != "" && compareVersions(tcDir.To, goDir.From) <= 0 {
			out = append(out, manifests.Force{From: toolchainPackage, To: goPackage,
				Reason: fmt.Sprintf("toolchain %s must be above the go line, not go %s", tcDir.To, goDir.From)})
		}
	}
	for _, c := range changes {
		if c.what != replaceChange {
			continue
		}
		mod, version, _ := strings.Cut(c.path, "@")
		p := byPath[mod]
		if p == nil {
			continue
		}
		reason := ""
		switch {
		case version != "" && (p.From == version || p.To == version):
			reason = fmt.Sprintf("replace %s %s applies only to the requirement %s %s", mod, version, mod, version)
			if r := c.newRepl; r != nil && p.To == version && r.New.Path == mod && r.New.Version == p.From {
				// A report naming this unit must not suggest new code.
				reason += fmt.Sprintf(" (together they keep the code of %s %s: no code change)", mod, p.From)
			}
		case version == "" && (isDir(c.oldRepl) || isDir(c.newRepl)):
			reason = fmt.Sprintf("%s is the module in directory %s: its requirement and its replace go together", mod, c.From+c.To)
			if c.From != "" && c.To != "" {
				reason = fmt.Sprintf("%s is the module in a directory (%s, then %s): its requirement and its replace go together", mod, c.From, c.To)
			}
		default:
			continue
		}
		out = append(out, manifests.Force{From: c.Package, To: p.Package, Reason: reason},
			manifests.Force{From: p.Package, To: c.Package, Reason: reason})
	}
	inert := map[string]string{}
	for _, c := range changes {
		if c.what != excludeChange {
			continue
		}
		v := c.From + c.To
		p := byPath[c.path]
		switch {
		case p != nil && c.To != "" && p.From == c.To:
			// Excluding the version the candidate requires makes the go
			// command pick another one; the exclude moves with the
			// requirement that leaves (or reaches) the excluded version.
			out = append(out, manifests.Force{From: c.Package, To: p.Package,
				Reason: fmt.Sprintf("exclude %s@%s excludes the old requirement %s %s", c.path, c.To, p.path, p.From)})
		case p != nil && c.From != "" && p.To == c.From:
			out = append(out, manifests.Force{From: p.Package, To: c.Package,
				Reason: fmt.Sprintf("old exclude %s@%s excludes the new requirement %s %s", c.path, c.From, p.path, p.To)})
		case !required[c.path+"@"+v] && requiredIn(old, c.path) != v && requiredIn(new, c.path) != v:
			inert[c.Package] = fmt.Sprintf("no go.mod of either lock or of a changed module requires %s %s: the exclude changes no selection", c.path, v)
		}
	}
	return out, inert
}

// raisesGo reports whether a go.mod's go line forces the main module's go
// line (below) up: from go 1.21 on the go line is a minimum requirement.
func raisesGo(dep, main string) bool {
	return compareVersions(dep, "1.21") >= 0 && (main == "" || compareVersions(dep, main) > 0)
}

func isDir(r *modfile.Replace) bool { return r != nil && r.New.Version == "" }

func requiredIn(l *lock, path string) string {
	if r := l.req[path]; r != nil {
		return r.Mod.Version
	}
	return ""
}

// mover is a change that moves a go.mod within the module graph: a
// required module's old and new version, an in-tree module's old and new
// go.mod, the module a replace directive redirects. Its names say which
// go.mod in reasons.
type mover struct {
	path             string // the module it is
	old, new         *modfile.File
	oldName, newName string
}

// mover returns what c moves in the module graph, nil for a change that
// moves no go.mod.
func (r *modReader) mover(ctx context.Context, old, new *lock, c *change, sel [2]selection) *mover {
	switch c.what {
	case requireChange:
		m := &mover{path: c.path, oldName: c.path + " " + c.From, newName: c.path + " " + c.To}
		if c.From != "" {
			m.old = r.goModOf(ctx, old, c.path, c.From)
		}
		if c.To != "" {
			m.new = r.goModOf(ctx, new, c.path, c.To)
		}
		return m
	case inTreeChange:
		name := inTreeName(c.inTree[1].rel)
		return &mover{path: c.path, old: c.inTree[0].file, new: c.inTree[1].file,
			oldName: name + " of " + old.ref, newName: name + " of " + new.ref}
	case replaceChange:
		// The replacement's go.mod stands for the module's wherever the
		// graph holds it (any version for a path-wide replace, required
		// by main or not), so it moves in and out with the directive.
		mod, version, _ := strings.Cut(c.path, "@")
		m := &mover{path: mod, oldName: c.Package + " => " + c.From, newName: c.Package + " => " + c.To}
		used := func(l *lock, s selection) bool {
			if version != "" {
				return requiredIn(l, mod) == version || s[mod] == version
			}
			_, selected := s[mod]
			return requiredIn(l, mod) != "" || selected || s == nil
		}
		if c.oldRepl != nil && used(old, sel[0]) {
			m.old = r.replaced(ctx, old, mod, c.oldRepl)
		}
		if c.newRepl != nil && used(new, sel[1]) {
			m.new = r.replaced(ctx, new, mod, c.newRepl)
		}
		return m
	}
	return nil
}

// modReader fetches go.mod files of module versions: from the proxy the go
// command would ask (GOPROXY, GONOPROXY and GOPRIVATE as `go env` reports
// them with the options' environment; never a proxy for a private module),
// else from the module cache, else with `go mod download`. What it cannot read is logged and
// skipped: Validate still catches a candidate whose coupling was missed.
type modReader struct {
	env    []string // os.Environ() with the options' environment appended
	extra  []string // the options' environment alone
	tmp    string   // manifests.Options.TempDir
	log    *slog.Logger
	client *http.Client
	memo   map[module.Version]*modfile.File

	goenvRead bool
	goenv     goenv.Env
	goenvErr  error
}

func newModReader(env []string, tmp string, log *slog.Logger) *modReader {
	return &modReader{env: append(os.Environ(), env...), extra: env, tmp: tmp, log: log, client: &http.Client{}, memo: map[module.Version]*modfile.File{}}
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
		return r.replaced(ctx, l, path, rep)
	}
	return r.goMod(ctx, module.Version{Path: path, Version: version})
}

// replaced returns the go.mod of rep's right-hand side, which stands for
// path's: a module version's, an in-tree module's, or a directory's on
// disk; nil when it cannot be read.
func (r *modReader) replaced(ctx context.Context, l *lock, path string, rep *modfile.Replace) *modfile.File {
	if rep.New.Version != "" {
		return r.goMod(ctx, rep.New)
	}
	if it := l.inTree[path]; it != nil {
		return it.file
	}
	name := filepath.Join(filepath.FromSlash(rep.New.Path), "go.mod")
	if !filepath.IsAbs(name) {
		if l.dir == "" {
			r.log.Warn("go.mod of a directory replacement outside the project is not readable from a git revision; coupling through it is left to validation", "module", path, "dir", rep.New.Path)
			return nil
		}
		name = filepath.Join(l.dir, name)
	}
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
	proxies, err := r.proxies(ctx, m.Path)
	if err != nil {
		tried = append(tried, err.Error())
	}
	for _, base := range proxies {
		data, err := urlread.Read(ctx, r.client, base+"/"+rel)
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

// proxies are the proxies the go command would ask for path, from `go
// env` with the reader's environment (read once); an error says why none
// is asked (a private module, GOPROXY=off or direct).
func (r *modReader) proxies(ctx context.Context, path string) ([]string, error) {
	if !r.goenvRead {
		r.goenv, r.goenvErr = goenv.Read(ctx, r.extra)
		r.goenvRead = true
	}
	if r.goenvErr != nil {
		return nil, r.goenvErr
	}
	return r.goenv.Proxies(path)
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
	tmp, err := os.MkdirTemp(r.tmp, "bisect-gomod-")
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
