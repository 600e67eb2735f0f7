package gomod

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"
)

// selection is the version of every module minimal version selection
// picks for one lock, as the go command reports it read-only: module path
// → version.
type selection map[string]string

// selected asks the go command which versions l selects: `go list
// -mod=readonly -m -json all` in a scratch module holding l's go.mod,
// go.sum and in-tree go.mod files (directory replacements outside the tree
// made absolute against l's directory), so that a lock read from a
// revision is listed as it was committed. tmp holds the scratch module
// ("" = the system's temporary directory).
func selected(ctx context.Context, l *lock, env []string, tmp string) (selection, error) {
	sel, err := (&Pair{env: env, tmp: tmp}).scratch(ctx, l, l.data, unionSum(l.sum, nil), nil)
	if err != nil {
		return nil, fmt.Errorf("list the modules %s selects: %w", l.ref, err)
	}
	return sel, nil
}

// scratch writes gomod, go.sum and l's in-tree go.mod files into a scratch
// project laid out as l's (the module at l's directory within it, so that
// a sibling module ../lib lands inside; directory replacements that leave
// the project made absolute), runs edit there (if not nil), and lists what
// the go command selects read-only.
func (s *Pair) scratch(ctx context.Context, l *lock, gomod, sum []byte, edit func(dir string) error) (selection, error) {
	root, err := os.MkdirTemp(s.tmp, "bisect-scratch-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(root)
	tmp := filepath.Join(root, filepath.FromSlash(l.lockDir))
	f, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		return nil, err
	}
	if err := absReplaces(f, l.dir, l.lockDir); err != nil {
		return nil, err
	}
	files := map[string][]byte{"go.mod": modfile.Format(f.Syntax), "go.sum": sum}
	for _, it := range l.inTree {
		files[filepath.Join(filepath.FromSlash(it.rel), "go.mod")] = it.data
	}
	for name, data := range files {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, err
		}
	}
	if edit != nil {
		if err := edit(tmp); err != nil {
			return nil, err
		}
	}
	mods, err := s.goList(ctx, tmp, "-mod=readonly", "-m", "-json", "all")
	if err != nil {
		return nil, err
	}
	sel := selection{}
	for _, m := range mods {
		if !m.Main {
			sel[m.Path] = m.Version
		}
	}
	return sel, nil
}

// absReplaces makes every relative directory replacement that leaves the
// project absolute, joined to the lock's directory dir (lockDir is that
// directory within the project), so that a copy of the project elsewhere
// (a candidate's work directory, a scratch module) still reaches it. An
// absolute one, and one inside the project, stay as they are; dir "" (a
// lock read from a revision) leaves them all alone.
func absReplaces(f *modfile.File, dir, lockDir string) error {
	if dir == "" {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for _, r := range append([]*modfile.Replace(nil), f.Replace...) {
		if r.New.Version != "" || filepath.IsAbs(r.New.Path) || !modfile.IsDirectoryPath(r.New.Path) {
			continue
		}
		if _, inside := inTreeDir(r, lockDir); inside {
			continue
		}
		if err := f.AddReplace(r.Old.Path, r.Old.Version, filepath.Join(abs, filepath.FromSlash(r.New.Path)), ""); err != nil {
			return fmt.Errorf("replace %s => %s: %w", r.Old.Path, r.New.Path, err)
		}
	}
	return nil
}
