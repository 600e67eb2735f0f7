package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"

	"github.com/lockbisect/lockbisect/manifests"
)

// maxProblems bounds how many violations an infeasible candidate's error
// lists.
const maxProblems = 3

// Candidate implements [manifests.Pair]. Every path of a name in an
// applied unit takes its new entry, every path of another changed name its
// old one, and everything else (unchanged names, the root, workspace
// folders and links) its new one; entries are copied whole, byte for
// byte, so the full set reproduces the new lock. Before the candidate is
// returned, every installed entry's dependencies, optional dependencies
// and peers, and the root's ranges, are resolved through node_modules as
// require() would and checked with npm's semver; a violation, or a
// nested path whose parent package is not installed, is an error
// wrapping [manifests.ErrInfeasible].
func (s *set) Candidate(applied []string) (*manifests.Candidate, error) {
	c, problems, err := s.build(applied, nil)
	if err != nil {
		return nil, err
	}
	if err := infeasible(problems); err != nil {
		return nil, err
	}
	return c, nil
}

func infeasible(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	more := ""
	if len(problems) > maxProblems {
		more = fmt.Sprintf(" (and %d more)", len(problems)-maxProblems)
		problems = problems[:maxProblems]
	}
	return fmt.Errorf("%w: %s%s", manifests.ErrInfeasible, strings.Join(problems, "; "), more)
}

// build writes the candidate's files whether or not it is feasible, and
// returns the violations beside them. pinned, when given, replaces the
// entries of one name (drill-down).
func (s *set) build(applied []string, pinned *pkgState) (*manifests.Candidate, []string, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(applied)))
	take := map[string]bool{}
	for _, id := range ids {
		pkgs, ok := s.unitOf[id]
		if !ok {
			return nil, nil, fmt.Errorf("npm candidate: unknown unit %q", id)
		}
		for _, p := range pkgs {
			take[p] = true
		}
	}
	chosen := map[string]*entry{}
	for _, p := range s.new.order {
		if e := s.new.entries[p]; !e.installs() {
			chosen[p] = e
		}
	}
	rolledBack := false
	for _, st := range s.pkgs {
		side := st.new
		if st.changed && !take[st.name] {
			side, rolledBack = st.old, true
		}
		if pinned != nil && st.name == pinned.name {
			side, rolledBack = pinned.new, true
		}
		for p, e := range side {
			chosen[p] = e
		}
	}
	var problems []string
	files := map[string][]byte{}
	rootEntry := chosen[""]
	if s.newRoot != nil {
		deps, rootProblems := s.rootFor(chosen)
		problems = append(problems, rootProblems...)
		pj, err := s.newRoot.with(deps)
		if err != nil {
			return nil, nil, fmt.Errorf("npm candidate: package.json: %w", err)
		}
		files["package.json"] = pj
		if !bytes.Equal(pj, s.newRoot.data) {
			if rootEntry, err = withSections(rootEntry, deps); err != nil {
				return nil, nil, fmt.Errorf("npm candidate: root entry: %w", err)
			}
			chosen[""] = rootEntry
		}
	} else {
		problems = append(problems, s.checkEntry(chosen, rootEntry, true)...)
	}
	for _, p := range sortedPaths(chosen) {
		e := chosen[p]
		if p == "" {
			continue
		}
		if par := parent(p); par != "" && chosen[par] == nil {
			problems = append(problems, fmt.Sprintf("%s %s sits at %s, but the candidate installs nothing at %s", folder(p), e.Version, p, par))
		}
		problems = append(problems, s.checkEntry(chosen, e, false)...)
	}
	lock, err := s.writeLock(chosen, rolledBack)
	if err != nil {
		return nil, nil, err
	}
	files["package-lock.json"] = lock
	return &manifests.Candidate{Applied: ids, Files: files}, problems, nil
}

// checkEntry resolves each requirement of e in chosen.
func (s *set) checkEntry(chosen map[string]*entry, e *entry, root bool) []string {
	if e.Link {
		return nil
	}
	var out []string
	who := "the root"
	if !root {
		who = fmt.Sprintf("%s %s", folder(e.Path), e.Version)
		if folder(e.Path) == "" {
			who = e.Path
		}
	}
	for _, r := range e.requirements(root) {
		got := resolve(chosen, e.Path, r.name)
		switch {
		case got == nil && r.optional:
		case got == nil:
			out = append(out, fmt.Sprintf("%s requires %s %s, but the candidate installs no %s", who, r.name, r.spec, r.name))
		case !s.satisfies(r.spec, got):
			out = append(out, fmt.Sprintf("%s requires %s %s, but the candidate has %s %s at %s", who, r.name, r.spec, r.name, got.Version, got.Path))
		}
	}
	return out
}

// rootFor returns the candidate's package.json dependency sections. A
// name the new package.json names keeps its new range when the candidate's
// top-level copy satisfies it, takes its old range when that does, and is
// dropped when the candidate installs it nowhere and the old package.json
// did not name it (a rolled-back addition). A name only the old
// package.json names comes back with its old range when the candidate
// installs it (a rolled-back removal: npm ci prunes what package.json
// does not ask for). Anything else is a problem.
func (s *set) rootFor(chosen map[string]*entry) (map[string]map[string]string, []string) {
	deps := map[string]map[string]string{}
	var problems []string
	set := func(sec, name, spec string) {
		if deps[sec] == nil {
			deps[sec] = map[string]string{}
		}
		deps[sec][name] = spec
	}
	for _, sec := range sections {
		for _, name := range sortedKeys(s.newRoot.deps[sec]) {
			spec := s.newRoot.deps[sec][name]
			got := resolve(chosen, "", name)
			oldSec, oldSpec := s.oldRoot.section(name)
			optional := sec == "optionalDependencies" || sec == "peerDependencies"
			switch {
			case got != nil && s.satisfies(spec, got), got == nil && optional && oldSec == "":
				set(sec, name, spec)
			case got != nil && oldSec != "" && s.satisfies(oldSpec, got):
				set(oldSec, name, oldSpec)
			case got == nil && oldSec == "":
			case got == nil:
				problems = append(problems, fmt.Sprintf("package.json requires %s %s, but the candidate installs no %s", name, spec, name))
			default:
				problems = append(problems, fmt.Sprintf("package.json requires %s %s, but the candidate has %s %s", name, spec, name, got.Version))
			}
		}
	}
	if s.oldRoot != nil {
		for _, sec := range sections {
			for _, name := range sortedKeys(s.oldRoot.deps[sec]) {
				if s.newRoot.names(name) {
					continue
				}
				if got := resolve(chosen, "", name); got != nil && s.satisfies(s.oldRoot.deps[sec][name], got) {
					set(sec, name, s.oldRoot.deps[sec][name])
				}
			}
		}
	}
	return deps, problems
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// withSections returns a copy of the root entry whose dependency sections
// are deps, as npm keeps the lock's root entry equal to package.json.
func withSections(e *entry, deps map[string]map[string]string) (*entry, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(e.Raw, &top); err != nil {
		return nil, err
	}
	for _, sec := range sections {
		delete(top, sec)
		if len(deps[sec]) > 0 {
			b, err := json.Marshal(deps[sec])
			if err != nil {
				return nil, err
			}
			top[sec] = b
		}
	}
	b, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "    ", "  "); err != nil {
		return nil, err
	}
	n := *e
	n.Raw = out.Bytes()
	n.Dependencies, n.DevDependencies, n.OptionalDependencies, n.PeerDependencies = deps["dependencies"], deps["devDependencies"], deps["optionalDependencies"], deps["peerDependencies"]
	return &n, nil
}

// writeLock writes the lock as npm does (two-space JSON, a final newline):
// the new lock's top-level keys and values, with "packages" holding the
// chosen entries in the new lock's order and the old-only paths merged in
// by name. A version 2 lock's legacy "dependencies" tree (for npm 6) is
// dropped from a candidate that rolls anything back: it would describe
// the new tree, and npm 7 and later read "packages" only.
func (s *set) writeLock(chosen map[string]*entry, rolledBack bool) ([]byte, error) {
	var extra []string
	for p := range chosen {
		if _, ok := s.new.entries[p]; !ok {
			extra = append(extra, p)
		}
	}
	sort.Strings(extra)
	var paths []string
	for _, p := range s.new.order {
		for len(extra) > 0 && extra[0] < p {
			paths, extra = append(paths, extra[0]), extra[1:]
		}
		if chosen[p] != nil {
			paths = append(paths, p)
		}
	}
	paths = append(paths, extra...)
	var b bytes.Buffer
	b.WriteString("{")
	first := true
	for _, k := range s.new.keys {
		if k == "dependencies" && rolledBack {
			continue
		}
		if !first {
			b.WriteString(",")
		}
		first = false
		b.WriteString("\n  ")
		writeString(&b, k)
		b.WriteString(": ")
		if k != "packages" {
			b.Write(s.new.top[k])
			continue
		}
		b.WriteString("{")
		for i, p := range paths {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n    ")
			writeString(&b, p)
			b.WriteString(": ")
			b.Write(chosen[p].Raw)
		}
		b.WriteString("\n  }")
	}
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

func writeString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s)
	b.Write(enc)
}

// Validate implements [manifests.Pair]: npm ci --dry-run --offline, with a
// cache of its own, in the candidate's directory. npm ci loads the lock,
// builds the tree package.json asks for from it and refuses when the two
// differ; offline with an empty cache, any edge the lock does not satisfy
// makes npm reach for a packument and fail, so the dry run passes exactly
// when npm ci would install the lock as written. It reads the lock and
// package.json and writes nothing into the project; the cache lives in
// manifests.Options.TempDir, the run's own directory.
func (s *set) Validate(ctx context.Context, dir string, c *manifests.Candidate) error {
	if _, err := exec.LookPath("npm"); err != nil {
		s.log.Warn("npm not found: the candidate is not validated by npm ci --dry-run", "err", err)
		return nil
	}
	cache, err := os.MkdirTemp(s.tmp, "bisect-npm-cache-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cache)
	cmd := exec.CommandContext(ctx, "npm", "ci", "--dry-run", "--ignore-scripts", "--offline", "--no-audit", "--no-fund", "--cache", cache)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), s.env...), "npm_config_update_notifier=false")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("%w: npm ci --dry-run refuses the candidate: %s", manifests.ErrInfeasible, npmError(out))
		}
		return fmt.Errorf("npm ci --dry-run: %w", err)
	}
	return nil
}

// npmError is the part of npm's output that says why: its "npm error"
// lines without the log-file notice, at most a few.
func npmError(out []byte) string {
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "npm error") && !strings.HasPrefix(l, "npm ERR!") {
			continue
		}
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(l, "npm error"), "npm ERR!"))
		if l == "" || strings.Contains(l, "A complete log of this run") {
			continue
		}
		lines = append(lines, l)
		if len(lines) == 4 {
			break
		}
	}
	if len(lines) == 0 {
		return strings.TrimSpace(string(out))
	}
	return strings.Join(lines, " ")
}
