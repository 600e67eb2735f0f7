package gomod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"

	"github.com/lockbisect/lockbisect/internal/goenv"
	"github.com/lockbisect/lockbisect/manifests"
)

// Pair is an opened pair of go.mod/go.sum snapshots.
type Pair struct {
	old, new *lock
	changes  []change
	diff     *manifests.Diff
	env      []string
	tmp      string // manifests.Options.TempDir: where the go commands' scratch directories go
	log      *slog.Logger

	// goenv is the go command's download settings, read on first use.
	goenvMu sync.Mutex
	goenv   *goenv.Env
}

var (
	_ manifests.Pair         = (*Pair)(nil)
	_ manifests.Pinner       = (*Pair)(nil)
	_ manifests.Reproducer   = (*Pair)(nil)
	_ manifests.Releaser     = (*Pair)(nil)
	_ manifests.Upstreamer   = (*Pair)(nil)
	_ manifests.CommitPinner = (*Pair)(nil)
	_ manifests.Rollbacker   = (*Pair)(nil)
	_ manifests.Sourcer      = (*Pair)(nil)
)

// Diff returns the changes, units and closure edges.
func (s *Pair) Diff() *manifests.Diff { return s.diff }

// Candidate writes go.mod and go.sum with exactly the applied units at their
// new state. go.mod keeps the old file's layout and comments; the applied
// changes take the new file's requirement (version and // indirect),
// replace, exclude, go or toolchain line. go.sum is the sorted union of the
// old and new go.sum, which holds the hashes of every version any candidate
// can name. A set that is not closed under the edges fails with
// manifests.ErrInfeasible before anything is written.
func (s *Pair) Candidate(applied []string) (*manifests.Candidate, error) {
	ids := append([]string(nil), applied...)
	sort.Strings(ids)
	on := map[string]bool{}
	for _, id := range ids {
		u := s.diff.Unit(id)
		if u == nil {
			return nil, fmt.Errorf("candidate: unknown unit %q", id)
		}
		for _, p := range u.Packages {
			on[p] = true
		}
	}
	if ok, e := manifests.Closed(ids, s.diff.Edges); !ok {
		return nil, fmt.Errorf("%w: applying %s needs %s: %s", manifests.ErrInfeasible, e.From, e.To, e.Reason)
	}
	return s.write(ids, on)
}

// write renders the candidate of the applied packages (on), closed or not.
func (s *Pair) write(ids []string, on map[string]bool) (*manifests.Candidate, error) {

	// A fresh parse: the old lock's tree stays untouched for the next call.
	f, err := modfile.Parse(s.old.ref, s.old.data, nil)
	if err != nil {
		return nil, fmt.Errorf("candidate: %w", err)
	}
	reqs := map[string]*modfile.Require{}
	for _, r := range f.Require {
		reqs[r.Mod.Path] = &modfile.Require{Mod: r.Mod, Indirect: r.Indirect}
	}
	for _, c := range s.changes {
		if !on[c.Package] {
			continue
		}
		if err := apply(f, reqs, c); err != nil {
			return nil, fmt.Errorf("candidate: apply %s: %w", c.Package, err)
		}
	}
	paths := make([]string, 0, len(reqs))
	for p := range reqs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	list := make([]*modfile.Require, 0, len(paths))
	for _, p := range paths {
		list = append(list, reqs[p])
	}
	f.SetRequireSeparateIndirect(list)
	// The candidate is built in a copy of the project: a directory
	// replacement that leaves it must still reach the original.
	if err := absReplaces(f, s.new.dir, s.new.lockDir); err != nil {
		return nil, fmt.Errorf("candidate: %w", err)
	}
	f.SortBlocks()
	f.Cleanup()
	files := map[string][]byte{"go.mod": modfile.Format(f.Syntax), "go.sum": unionSum(s.old.sum, s.new.sum)}
	for _, c := range s.changes {
		if c.what == inTreeChange {
			side := c.inTree[0]
			if on[c.Package] {
				side = c.inTree[1]
			}
			files[side.rel+"/go.mod"] = side.data
		}
	}
	return &manifests.Candidate{Applied: ids, Files: files}, nil
}

// apply moves one change of f (and of the requirement list reqs) to its new
// state.
func apply(f *modfile.File, reqs map[string]*modfile.Require, c change) error {
	switch c.what {
	case requireChange:
		if c.newReq == nil {
			delete(reqs, c.path)
			return nil
		}
		reqs[c.path] = &modfile.Require{Mod: c.newReq.Mod, Indirect: c.newReq.Indirect}
	case replaceChange:
		if c.oldRepl != nil {
			if err := f.DropReplace(c.oldRepl.Old.Path, c.oldRepl.Old.Version); err != nil {
				return err
			}
		}
		if c.newRepl != nil {
			return f.AddReplace(c.newRepl.Old.Path, c.newRepl.Old.Version, c.newRepl.New.Path, c.newRepl.New.Version)
		}
	case excludeChange:
		if c.To != "" {
			return f.AddExclude(c.path, c.To)
		}
		return f.DropExclude(c.path, c.From)
	case goChange:
		if c.To == "" {
			f.DropGoStmt()
			return nil
		}
		return f.AddGoStmt(c.To)
	case toolchainChange:
		if c.To == "" {
			f.DropToolchainStmt()
			return nil
		}
		return f.AddToolchainStmt(c.To)
	}
	return nil
}

// unionSum merges go.sum lines, sorted and without duplicates.
func unionSum(a, b []string) []byte {
	seen := map[string]bool{}
	var lines []string
	for _, l := range append(append([]string(nil), a...), b...) {
		if !seen[l] {
			seen[l] = true
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// Validate asks the go command which versions the candidate in dir really
// selects. Minimal version selection would silently raise a rolled-back
// module under -mod=mod, so `go list -m -json all` runs with -mod=readonly
// and the environment of the options; the candidate is valid only if every
// changed module is selected at exactly its intended version (the new one
// when applied, the old one otherwise; a module intended to be absent is
// not checked, since an unchanged module may still name it).
//
// When the read-only listing refuses because go.mod would need updating,
// the listing is repeated with -mod=mod against a temporary copy of go.mod
// (-modfile; dir is never written) to name the versions the go command
// would have moved to.
func (s *Pair) Validate(ctx context.Context, dir string, c *manifests.Candidate) error {
	intended := s.intended(c)
	selected, err := s.list(ctx, dir, "-mod=readonly", "")
	if errors.Is(err, errNeedsUpdate) {
		return s.explain(ctx, dir, intended, err)
	}
	if err != nil {
		return err
	}
	if msgs := mismatches(intended, selected); len(msgs) > 0 {
		return fmt.Errorf("%w: %s", manifests.ErrInfeasible, strings.Join(s.why(ctx, dir, "", intended, selected, msgs), "; "))
	}
	return nil
}

// why adds to each mismatch the modules whose go.mod requires the version
// the go command selects instead (from `go mod graph`, read-only or
// against the temporary go.mod), which is what a user has to look at.
func (s *Pair) why(ctx context.Context, dir, modfileFlag string, intended, selected map[string]string, msgs []string) []string {
	args := []string{"mod", "graph"}
	if modfileFlag != "" {
		args = append(args, "-modfile="+modfileFlag)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = s.goEnv()
	out, err := cmd.Output()
	if err != nil {
		return msgs
	}
	by := map[string][]string{} // "path@version" → requirers
	for _, line := range strings.Split(string(out), "\n") {
		from, to, ok := strings.Cut(strings.TrimSpace(line), " ")
		// The main module is left out: under -mod=mod its go.mod already
		// holds what the go command moved.
		if ok && from != s.new.file.Module.Mod.Path {
			by[to] = append(by[to], from)
		}
	}
	var paths []string
	for p := range intended {
		if v, ok := selected[p]; ok && v != intended[p] {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	out2 := append([]string(nil), msgs...)
	for i, m := range out2 {
		for _, p := range paths {
			if !strings.HasPrefix(m, p+": ") {
				continue
			}
			req := by[p+"@"+selected[p]]
			sort.Strings(req)
			switch {
			case len(req) == 1:
				out2[i] += " (required by " + req[0] + ")"
			case len(req) > 1:
				out2[i] += fmt.Sprintf(" (required by %s and %d more)", req[0], len(req)-1)
			}
		}
	}
	return out2
}

// goEnv is the environment of the go commands the set runs in a
// candidate: the process's, GOWORK=off (a go.work beside go.mod would put
// the listing in workspace mode, where the workspace's other modules move
// the selection), then the options' environment, whose GOWORK wins.
func (s *Pair) goEnv() []string {
	return append(append(os.Environ(), "GOWORK=off"), s.env...)
}

// explain turns the read-only refusal into a verdict that names what the go
// command would move, by listing with -mod=mod against a temporary copy of
// go.mod and go.sum.
func (s *Pair) explain(ctx context.Context, dir string, intended map[string]string, refusal error) error {
	tmp, err := os.MkdirTemp(s.tmp, "bisect-gomod-")
	if err != nil {
		return fmt.Errorf("validate candidate: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, name := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("validate candidate: %w", err)
		}
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return fmt.Errorf("validate candidate: %w", err)
		}
	}
	var msgs []string
	if msg := toolchainBelowGo(filepath.Join(dir, "go.mod")); msg != "" {
		msgs = append(msgs, msg)
	}
	selected, err := s.list(ctx, dir, "-mod=mod", filepath.Join(tmp, "go.mod"))
	if err == nil {
		msgs = append(s.why(ctx, dir, filepath.Join(tmp, "go.mod"), intended, selected, mismatches(intended, selected)), msgs...)
		msgs = append(msgs, linesMoved(filepath.Join(dir, "go.mod"), filepath.Join(tmp, "go.mod"))...)
	}
	if len(msgs) == 0 {
		return fmt.Errorf("%w: %v", manifests.ErrInfeasible, refusal)
	}
	return fmt.Errorf("%w: %s", manifests.ErrInfeasible, strings.Join(msgs, "; "))
}

// intended maps each changed module to the version the candidate names.
func (s *Pair) intended(c *manifests.Candidate) map[string]string {
	on := map[string]bool{}
	for _, id := range c.Applied {
		if u := s.diff.Unit(id); u != nil {
			for _, p := range u.Packages {
				on[p] = true
			}
		}
	}
	want := map[string]string{}
	for _, ch := range s.changes {
		if ch.what != requireChange {
			continue
		}
		v := ch.From
		if on[ch.Package] {
			v = ch.To
		}
		if v != "" {
			want[ch.path] = v
		}
	}
	return want
}

// mismatches names every module selected at another version than intended,
// in path order.
func mismatches(intended, selected map[string]string) []string {
	var paths []string
	for p := range intended {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var msgs []string
	for _, p := range paths {
		got, ok := selected[p]
		switch {
		case !ok:
			msgs = append(msgs, fmt.Sprintf("%s: intended %s, the go command selects none", p, intended[p]))
		case got != intended[p]:
			msgs = append(msgs, fmt.Sprintf("%s: intended %s, the go command selects %s", p, intended[p], got))
		}
	}
	return msgs
}

var errNeedsUpdate = errors.New("go.mod needs updates")

// list runs `go list -m -json all` in dir and returns module path →
// selected version.
func (s *Pair) list(ctx context.Context, dir, mode, modfileFlag string) (map[string]string, error) {
	args := []string{"list", mode}
	if modfileFlag != "" {
		args = append(args, "-modfile="+modfileFlag)
	}
	args = append(args, "-m", "-json", "all")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = s.goEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "updates to go.mod needed") || strings.Contains(msg, "missing go.sum entry") {
			return nil, fmt.Errorf("go %s in %s: %w: %s", strings.Join(args, " "), dir, errNeedsUpdate, msg)
		}
		return nil, fmt.Errorf("go %s in %s: %w: %s", strings.Join(args, " "), dir, err, msg)
	}
	selected := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var m struct {
			Path    string
			Version string
			Main    bool
		}
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go %s in %s: decode its output: %w", strings.Join(args, " "), dir, err)
		}
		if !m.Main {
			selected[m.Path] = m.Version
		}
	}
	s.log.Debug("go list selected", "dir", dir, "mode", mode, "modules", len(selected))
	return selected, nil
}

// linesMoved compares the go and toolchain directives of the candidate's
// go.mod with the ones the go command wrote under -mod=mod: a dependency
// that needs a newer language version raises the go line, and a toolchain
// line not above the go line is dropped.
func linesMoved(candidate, updated string) []string {
	read := func(name string) *modfile.File {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil
		}
		f, err := modfile.Parse(name, data, nil)
		if err != nil {
			return nil
		}
		return f
	}
	a, b := read(candidate), read(updated)
	if a == nil || b == nil {
		return nil
	}
	var msgs []string
	if ga, gb := (&lock{file: a}).goVersion(), (&lock{file: b}).goVersion(); ga != gb && gb != "" {
		msgs = append(msgs, fmt.Sprintf("go directive: intended %s, the go command needs %s", ga, gb))
	}
	return msgs
}

// toolchainBelowGo names a toolchain line the go command refuses because
// it is not above the go line ("" when there is none). go.mod is parsed
// strictly: modfile's lax parser skips the toolchain line.
func toolchainBelowGo(name string) string {
	data, err := os.ReadFile(name)
	if err != nil {
		return ""
	}
	f, err := modfile.Parse(name, data, nil)
	if err != nil {
		return ""
	}
	l := &lock{file: f}
	if tc, g := l.toolchain(), l.goVersion(); tc != "" && g != "" && strings.HasPrefix(tc, "go") && compareVersions(tc, g) <= 0 {
		return fmt.Sprintf("toolchain %s: the go command refuses a toolchain line that is not above the go line (go %s)", tc, g)
	}
	return ""
}
