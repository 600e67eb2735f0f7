package gomod

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/lockbisect/lockbisect/manifests"
)

var _ manifests.Pinner = (*Pair)(nil)

// Pin implements [manifests.Pinner]: the go.mod of the applied candidate
// with `replace M => M vX` (a release from the proxy) or `replace M => DIR`
// (p.Dir, a work tree of an upstream commit). A replace without a version
// on its left side holds whatever version minimal version selection picks
// for M, where lowering M's requirement could be undone by any module that
// requires more. go.sum is the candidate's plus p.Sums, the hashes the
// pinned version needs ([Pair.PinSums]), so that the candidate's files
// alone build read-only, in a container as on this host.
func (s *Pair) Pin(applied []string, p manifests.Pin) (*manifests.Candidate, error) {
	if s.diff.Change(p.Package) == nil {
		return nil, fmt.Errorf("go pin: module %s does not change between the locks", p.Package)
	}
	if p.Dir == "" && p.Version == "" {
		return nil, fmt.Errorf("go pin %s: neither a version nor a directory", p.Package)
	}
	c, err := s.Candidate(applied)
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse("go.mod", c.Files["go.mod"], nil)
	if err != nil {
		return nil, fmt.Errorf("go pin %s: %w", p.Package, err)
	}
	for _, r := range append([]*modfile.Replace(nil), f.Replace...) {
		if r.Old.Path == p.Package {
			if err := f.DropReplace(r.Old.Path, r.Old.Version); err != nil {
				return nil, fmt.Errorf("go pin %s: %w", p.Package, err)
			}
		}
	}
	if p.Dir != "" {
		err = f.AddReplace(p.Package, "", p.Dir, "")
	} else {
		err = f.AddReplace(p.Package, "", p.Package, p.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("go pin %s: %w", p.Package, err)
	}
	f.Cleanup()
	return &manifests.Candidate{
		Applied: c.Applied,
		Files:   map[string][]byte{"go.mod": modfile.Format(f.Syntax), "go.sum": addSumLines(c.Files["go.sum"], p.Sums)},
	}, nil
}

// listed is one module of `go list -m -json all`.
type listed struct {
	Path    string
	Version string
	Main    bool
	Replace *struct{ Path, Version string }
}

// PinSums asks the go command for the go.sum lines a pin needs beyond the
// union of the locks' go.sum: the pinned version's own hashes (`go mod
// download -json M@vX`) and those of the go.mod files it adds to the module
// graph (a listing with -mod=mod of the pinned go.mod in a scratch module;
// no project file is read or written). The pin is refused with
// [manifests.ErrInfeasible] and the go command's reason when that listing
// fails (another go version, a module the proxy does not have), when it
// would change the requirements (minimal version selection undoing the
// pin or moving another module), when the replacement is not the one
// intended, or when a commit's directory declares another module.
func (s *Pair) PinSums(ctx context.Context, applied []string, p manifests.Pin) ([]string, error) {
	p.Sums = nil
	c, err := s.Pin(applied, p)
	if err != nil {
		return nil, err
	}
	sum := c.Files["go.sum"]
	if p.Dir != "" {
		if err := checkModuleDir(p); err != nil {
			return nil, err
		}
	} else {
		lines, err := s.download(ctx, p.Package+"@"+p.Version)
		if err != nil {
			return nil, err
		}
		sum = addSumLines(sum, lines)
	}
	tmp, err := os.MkdirTemp(s.tmp, "bisect-pin-")
	if err != nil {
		return nil, fmt.Errorf("go pin %s: %w", p.Package, err)
	}
	defer os.RemoveAll(tmp)
	for name, data := range map[string][]byte{"go.mod": c.Files["go.mod"], "go.sum": sum} {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return nil, fmt.Errorf("go pin %s: %w", p.Package, err)
		}
	}
	mods, err := s.goList(ctx, tmp, "-mod=mod", "-m", "-json", "all")
	if err != nil {
		return nil, fmt.Errorf("%w: %s at %s: %v", manifests.ErrInfeasible, p.Package, pinName(p), err)
	}
	var msgs []string
	if moved := requirementsMoved(c.Files["go.mod"], filepath.Join(tmp, "go.mod")); moved != "" {
		msgs = append(msgs, moved)
	}
	msgs = append(msgs, s.selection(c, p, mods)...)
	if len(msgs) > 0 {
		return nil, fmt.Errorf("%w: %s at %s: %s", manifests.ErrInfeasible, p.Package, pinName(p), strings.Join(msgs, "; "))
	}
	filled, err := os.ReadFile(filepath.Join(tmp, "go.sum"))
	if err != nil {
		return nil, fmt.Errorf("go pin %s: %w", p.Package, err)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(c.Files["go.sum"]), "\n") {
		have[l] = true
	}
	var extra []string
	for _, l := range strings.Split(strings.TrimSpace(string(filled)), "\n") {
		if l != "" && !have[l] {
			extra = append(extra, l)
		}
	}
	return extra, nil
}

// ValidatePin checks a pinned candidate written into dir the way [Pair.Validate]
// checks a rollback: `go list -mod=readonly -m -json all` must succeed (so
// go.sum holds every hash it needs), replace M with exactly the pinned
// version or directory, and select every other changed module at its
// intended version.
func (s *Pair) ValidatePin(ctx context.Context, dir string, c *manifests.Candidate, p manifests.Pin) error {
	mods, err := s.goList(ctx, dir, "-mod=readonly", "-m", "-json", "all")
	if err != nil {
		return fmt.Errorf("%w: %s at %s: %v", manifests.ErrInfeasible, p.Package, pinName(p), err)
	}
	if msgs := s.selection(c, p, mods); len(msgs) > 0 {
		return fmt.Errorf("%w: %s at %s: %s", manifests.ErrInfeasible, p.Package, pinName(p), strings.Join(msgs, "; "))
	}
	return nil
}

// selection names what the go command's listing gets wrong about a pin:
// the pinned module not replaced as intended, another changed module at
// another version than the candidate names.
func (s *Pair) selection(c *manifests.Candidate, p manifests.Pin, mods []listed) []string {
	var msgs []string
	selected := map[string]string{}
	var pinned *listed
	for i := range mods {
		m := &mods[i]
		if m.Main {
			continue
		}
		selected[m.Path] = m.Version
		if m.Path == p.Package {
			pinned = m
		}
	}
	switch {
	case pinned == nil:
		msgs = append(msgs, fmt.Sprintf("%s: the go command selects no version of it", p.Package))
	case pinned.Replace == nil:
		msgs = append(msgs, fmt.Sprintf("%s: the go command does not apply the replace to %s", p.Package, pinName(p)))
	case p.Dir != "" && filepath.Clean(pinned.Replace.Path) != filepath.Clean(p.Dir),
		p.Dir == "" && (pinned.Replace.Path != p.Package || pinned.Replace.Version != p.Version):
		msgs = append(msgs, fmt.Sprintf("%s: intended %s, the go command uses %s %s", p.Package, pinName(p), pinned.Replace.Path, pinned.Replace.Version))
	}
	intended := s.intended(c)
	delete(intended, p.Package)
	return append(msgs, mismatches(intended, selected)...)
}

// checkModuleDir refuses a directory whose go.mod is missing or declares
// another module: the go command accepts such a replacement when listing
// and fails only when building.
func checkModuleDir(p manifests.Pin) error {
	name := filepath.Join(p.Dir, "go.mod")
	data, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("%w: %s at %s: no go.mod: %v", manifests.ErrInfeasible, p.Package, p.Dir, err)
	}
	f, err := modfile.ParseLax(name, data, nil)
	if err != nil {
		return fmt.Errorf("%w: %s at %s: %v", manifests.ErrInfeasible, p.Package, p.Dir, err)
	}
	if f.Module == nil || f.Module.Mod.Path != p.Package {
		declared := "no module"
		if f.Module != nil {
			declared = "module " + f.Module.Mod.Path
		}
		return fmt.Errorf("%w: %s at %s: its go.mod declares %s", manifests.ErrInfeasible, p.Package, p.Dir, declared)
	}
	return nil
}

func pinName(p manifests.Pin) string {
	if p.Dir != "" {
		return p.Dir
	}
	return p.Version
}

// download runs `go mod download -json MOD@V` outside any module (so the
// candidate's replace does not redirect it) and returns the go.sum lines
// of that version.
func (s *Pair) download(ctx context.Context, query string) ([]string, error) {
	tmp, err := os.MkdirTemp(s.tmp, "bisect-download-")
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", query, err)
	}
	defer os.RemoveAll(tmp)
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", query)
	cmd.Dir = tmp
	cmd.Env = append(append(os.Environ(), s.env...), "GOWORK=off", "GO111MODULE=on")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var d struct {
		Path, Version, Sum, GoModSum, Error string
	}
	if jerr := json.Unmarshal(out, &d); jerr == nil && d.Error != "" {
		return nil, fmt.Errorf("%w: go mod download %s: %s", manifests.ErrInfeasible, query, d.Error)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: go mod download %s: %v: %s", manifests.ErrInfeasible, query, err, strings.TrimSpace(stderr.String()))
	}
	var lines []string
	if d.Sum != "" {
		lines = append(lines, d.Path+" "+d.Version+" "+d.Sum)
	}
	if d.GoModSum != "" {
		lines = append(lines, d.Path+" "+d.Version+"/go.mod "+d.GoModSum)
	}
	return lines, nil
}

// goList runs `go list args...` in dir and decodes the stream of modules.
func (s *Pair) goList(ctx context.Context, dir string, args ...string) ([]listed, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", append([]string{"list"}, args...)...)
	cmd.Dir = dir
	cmd.Env = s.goEnv()
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	var mods []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var m listed
		if err := dec.Decode(&m); err == io.EOF {
			return mods, nil
		} else if err != nil {
			return nil, fmt.Errorf("go list %s: decode its output: %w", strings.Join(args, " "), err)
		}
		mods = append(mods, m)
	}
}

// addSumLines adds lines to a go.sum, sorted and without duplicates.
func addSumLines(sum []byte, add []string) []byte {
	lines := strings.Split(strings.TrimSpace(string(sum)), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	return unionSum(lines, add)
}

// requirementsMoved compares the require lists of the candidate's go.mod
// and of the copy the go command updated; "" when they agree.
func requirementsMoved(candidate []byte, updatedPath string) string {
	updated, err := os.ReadFile(updatedPath)
	if err != nil {
		return "the go command's go.mod cannot be read: " + err.Error()
	}
	reqs := func(data []byte) map[string]string {
		f, err := modfile.ParseLax("go.mod", data, nil)
		if err != nil {
			return nil
		}
		m := map[string]string{}
		for _, r := range f.Require {
			m[r.Mod.Path] = r.Mod.Version
		}
		return m
	}
	a, b := reqs(candidate), reqs(updated)
	var moved []string
	for p, v := range b {
		if a[p] != v {
			if a[p] == "" {
				moved = append(moved, fmt.Sprintf("%s %s added", p, v))
			} else {
				moved = append(moved, fmt.Sprintf("%s %s → %s", p, a[p], v))
			}
		}
	}
	sort.Strings(moved)
	if len(moved) == 0 {
		return ""
	}
	return "the go command would change the requirements: " + strings.Join(moved, ", ")
}
