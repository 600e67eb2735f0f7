package gomod

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"

	"github.com/lockbisect/lockbisect/manifests"
)

var _ manifests.Reproducer = (*Pair)(nil)

// Reproduce implements [manifests.Reproducer]: a `go mod edit` that moves
// only the lines of the units' changes back to the old lock (-require,
// -droprequire, -replace, -dropreplace, -exclude, -dropexclude, -go,
// -toolchain), unlike `go get`, which also moves other modules and the go
// line. It is checked: run on a copy of the new go.mod, the go command must
// accept the result read-only and select what the candidate of every other
// unit applied selects.
func (s *Pair) Reproduce(ctx context.Context, units []string) ([]string, error) {
	drop := map[string]bool{}
	for _, id := range units {
		u := s.diff.Unit(id)
		if u == nil {
			return nil, fmt.Errorf("reproduce: unknown unit %q", id)
		}
		for _, p := range u.Packages {
			drop[p] = true
		}
	}
	var args []string
	for _, c := range s.changes {
		if !drop[c.Package] {
			continue
		}
		a, err := rollbackFlag(c)
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	var rest []string
	for _, u := range s.diff.Units {
		if !slices.Contains(units, u.ID) {
			rest = append(rest, u.ID)
		}
	}
	want, err := s.Candidate(rest)
	if err != nil {
		return nil, fmt.Errorf("rolling back %s alone: %w", strings.Join(units, ", "), err)
	}
	sum := unionSum(s.old.sum, s.new.sum)
	edited, err := s.scratch(ctx, s.new, s.new.data, sum, func(dir string) error {
		cmd := exec.CommandContext(ctx, "go", append([]string{"mod", "edit"}, args...)...)
		cmd.Dir = dir
		cmd.Env = s.goEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go mod edit %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	intended, err := s.scratch(ctx, s.new, want.Files["go.mod"], sum, nil)
	if err != nil {
		return nil, err
	}
	if !maps.Equal(edited, intended) {
		return nil, fmt.Errorf("go mod edit %s selects other versions than the candidate without %s", strings.Join(args, " "), strings.Join(units, ", "))
	}
	return append([]string{"go", "mod", "edit"}, args...), nil
}

// rollbackFlag is the go mod edit flag that moves c's line back to the old
// lock.
func rollbackFlag(c change) (string, error) {
	switch c.what {
	case requireChange:
		if c.From == "" {
			return "-droprequire=" + c.path, nil
		}
		return "-require=" + c.path + "@" + c.From, nil
	case replaceChange:
		if c.oldRepl == nil {
			return "-dropreplace=" + c.path, nil
		}
		target := c.oldRepl.New.Path
		if c.oldRepl.New.Version != "" {
			target += "@" + c.oldRepl.New.Version
		}
		return "-replace=" + c.path + "=" + target, nil
	case excludeChange:
		if c.From != "" {
			return "-exclude=" + c.path + "@" + c.From, nil
		}
		return "-dropexclude=" + c.path + "@" + c.To, nil
	case goChange:
		if c.From == "" {
			return "", errors.New("go mod edit cannot drop the go line")
		}
		return "-go=" + c.From, nil
	case toolchainChange:
		if c.From == "" {
			return "-toolchain=none", nil
		}
		return "-toolchain=" + c.From, nil
	}
	return "", fmt.Errorf("%s is not a line of go.mod: no go mod edit rolls it back", c.Package)
}
