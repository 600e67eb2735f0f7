package gomod

import (
	"bufio"
	"bytes"
	"fmt"
	"go/version"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/lockbisect/lockbisect/manifests"
)

// lock is one parsed side: go.mod and go.sum.
type lock struct {
	ref     string // go.mod's reference, for messages
	dir     string // directory on disk; "" for REV:PATH
	lockDir string // the lock's directory within the project ("" = its root)
	data    []byte // go.mod bytes
	file    *modfile.File
	sum     []string // go.sum lines, as read (without newline)

	req  map[string]*modfile.Require // module path → requirement
	repl map[string]*modfile.Replace // replaceKey → replacement
	excl map[string]bool             // "path@version" → excluded

	// inTree holds the modules of the project itself: directory
	// replacements that stay inside the project, by module path,
	// read from the same state (work tree or revision) as go.mod. Their
	// go.mod files are part of the module graph like any dependency's.
	inTree map[string]*inTreeMod
	unread []string // in-tree go.mod files that could not be read, with why
}

// inTreeMod is a module of the project behind a directory replace.
type inTreeMod struct {
	rel  string // slash-separated directory relative to the lock's, such as "internal/tools"
	data []byte // its go.mod
	file *modfile.File
}

// load parses the snapshot's go.mod and, when present, its go.sum;
// lockDir is the lock's directory within the project.
func load(s *manifests.Snapshot, lockDir string) (*lock, error) {
	data, ok := s.Files["go.mod"]
	if !ok {
		return nil, fmt.Errorf("%s: no go.mod in the snapshot", s.Ref)
	}
	l, err := parseGoMod(s.Ref, data)
	if err != nil {
		return nil, err
	}
	l.dir, l.lockDir = s.Dir, lockDir
	l.inTree, l.unread = inTree(l, s)
	if sum, ok := s.Files["go.sum"]; ok {
		if l.sum, err = parseGoSum(sumName(s.Ref), sum); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// parseGoMod parses go.mod strictly; modfile's errors already read
// "name:line: problem".
func parseGoMod(name string, data []byte) (*lock, error) {
	f, err := modfile.Parse(name, data, nil)
	if err != nil {
		return nil, fmt.Errorf("parse go.mod: %w", err)
	}
	if f.Module == nil {
		return nil, fmt.Errorf("parse go.mod: %s: no module directive", name)
	}
	l := &lock{ref: name, data: data, file: f,
		req: map[string]*modfile.Require{}, repl: map[string]*modfile.Replace{}, excl: map[string]bool{}}
	replaced := map[string]bool{}
	for _, r := range f.Replace {
		replaced[r.Old.Path] = true
	}
	for _, r := range f.Require {
		// A replaced module is never downloaded by its path, and the go
		// command accepts any import path there (require localmod v0.0.0
		// beside replace localmod => ./x); the others must be fetchable.
		check := module.CheckPath
		if replaced[r.Mod.Path] {
			check = module.CheckImportPath
		}
		if err := check(r.Mod.Path); err != nil {
			return nil, fmt.Errorf("parse go.mod: %s:%d: %w", name, r.Syntax.Start.Line, err)
		}
		if prev, dup := l.req[r.Mod.Path]; dup && prev.Mod.Version != r.Mod.Version {
			return nil, fmt.Errorf("parse go.mod: %s:%d: %s required twice (%s and %s)", name, r.Syntax.Start.Line, r.Mod.Path, prev.Mod.Version, r.Mod.Version)
		}
		l.req[r.Mod.Path] = r
	}
	for _, r := range f.Replace {
		if err := module.CheckImportPath(r.Old.Path); err != nil {
			return nil, fmt.Errorf("parse go.mod: %s:%d: %w", name, r.Syntax.Start.Line, err)
		}
		if r.New.Version != "" {
			if err := module.Check(r.New.Path, r.New.Version); err != nil {
				return nil, fmt.Errorf("parse go.mod: %s:%d: %w", name, r.Syntax.Start.Line, err)
			}
		}
		l.repl[replaceKey(r.Old)] = r
	}
	for _, e := range f.Exclude {
		if err := module.Check(e.Mod.Path, e.Mod.Version); err != nil {
			return nil, fmt.Errorf("parse go.mod: %s:%d: %w", name, e.Syntax.Start.Line, err)
		}
		l.excl[e.Mod.String()] = true
	}
	return l, nil
}

// inTree reads the go.mod of every directory replacement inside the lock's
// directory from the snapshot's own state. One that cannot be read is left
// out: the candidate then uses the project's copy, and validation names
// what that moves.
func inTree(l *lock, s *manifests.Snapshot) (map[string]*inTreeMod, []string) {
	out := map[string]*inTreeMod{}
	var unread []string
	if s.ReadFile == nil {
		return out, nil
	}
	for _, r := range l.file.Replace {
		rel, ok := inTreeDir(r, l.lockDir)
		if !ok {
			continue
		}
		data, err := s.ReadFile(path.Join(rel, "go.mod"))
		if err != nil {
			unread = append(unread, fmt.Sprintf("%s: %s/go.mod: %v", s.Ref, rel, err))
			continue
		}
		f, err := modfile.ParseLax(s.Ref+": "+path.Join(rel, "go.mod"), data, nil)
		if err != nil {
			unread = append(unread, err.Error())
			continue
		}
		out[r.Old.Path] = &inTreeMod{rel: rel, data: data, file: f}
	}
	return out, unread
}

// inTreeDir returns the directory of a directory replacement relative to
// the lock's, when it stays inside the project (lockDir is the lock's
// directory within it): a sibling module of a monorepo (../lib) is in the
// tree as much as a subdirectory (./tools).
func inTreeDir(r *modfile.Replace, lockDir string) (string, bool) {
	if r.New.Version != "" || !modfile.IsDirectoryPath(r.New.Path) || filepath.IsAbs(r.New.Path) {
		return "", false
	}
	rel := path.Clean(filepath.ToSlash(r.New.Path))
	inProject := path.Join(lockDir, rel)
	if inProject == "." || inProject == ".." || strings.HasPrefix(inProject, "../") {
		return "", false
	}
	return rel, true
}

// parseGoSum checks every line's shape ("module version[/go.mod] hash") so
// that a truncated or hand-edited go.sum is reported where it is broken
// instead of surfacing later as a go command failure.
func parseGoSum(name string, data []byte) ([]string, error) {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("parse go.sum: %s:%d: want \"module version hash\", got %d fields", name, n, len(f))
		}
		v := strings.TrimSuffix(f[1], "/go.mod")
		if err := module.Check(f[0], v); err != nil {
			return nil, fmt.Errorf("parse go.sum: %s:%d: %w", name, n, err)
		}
		if !strings.Contains(f[2], ":") {
			return nil, fmt.Errorf("parse go.sum: %s:%d: hash %q has no algorithm prefix (such as \"h1:\")", name, n, f[2])
		}
		lines = append(lines, strings.Join(f, " "))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse go.sum: %s: %w", name, err)
	}
	return lines, nil
}

// sumName is the go.sum beside the go.mod reference, for messages.
func sumName(ref string) string {
	if strings.HasSuffix(ref, "go.mod") {
		return strings.TrimSuffix(ref, "go.mod") + "go.sum"
	}
	return ref + " (go.sum)"
}

// replaceKey identifies a replace directive by its left-hand side:
// "path" for every version, "path@version" for one version.
func replaceKey(m module.Version) string {
	if m.Version == "" {
		return m.Path
	}
	return m.Path + "@" + m.Version
}

// replacement returns the replace directive that applies to path@version
// in l (a versioned one wins over a path-wide one), or nil.
func (l *lock) replacement(path, version string) *modfile.Replace {
	if r, ok := l.repl[path+"@"+version]; ok {
		return r
	}
	return l.repl[path]
}

// goVersion is the go directive, "" when absent.
func (l *lock) goVersion() string {
	if l.file.Go == nil {
		return ""
	}
	return l.file.Go.Version
}

// toolchain is the toolchain directive, "" when absent.
func (l *lock) toolchain() string {
	if l.file.Toolchain == nil {
		return ""
	}
	return l.file.Toolchain.Name
}

// kind orders two versions; "" means absent.
func kind(from, to string) manifests.Kind {
	switch {
	case from == "":
		return manifests.Added
	case to == "":
		return manifests.Removed
	case compareVersions(to, from) < 0:
		return manifests.Downgrade
	default:
		return manifests.Upgrade
	}
}

// compareVersions compares module versions by semver, and go/toolchain
// versions ("1.22.3", "go1.22.3") by their numeric parts.
func compareVersions(a, b string) int {
	if semver.IsValid(a) && semver.IsValid(b) {
		return semver.Compare(a, b)
	}
	return version.Compare("go"+strings.TrimPrefix(a, "go"), "go"+strings.TrimPrefix(b, "go"))
}
