package gomod

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/lockbisect/lockbisect/manifests"
)

// Ecosystem is Go modules: go.mod is the lock, go.sum its sibling.
type Ecosystem struct{}

var _ manifests.Ecosystem = Ecosystem{}

// Name is "gomod".
func (Ecosystem) Name() string { return "gomod" }

// Lock is "go.mod".
func (Ecosystem) Lock() string { return "go.mod" }

// Siblings is go.sum, whose union over old and new every candidate gets.
func (Ecosystem) Siblings() []string { return []string{"go.sum"} }

// PublicEnv implements [manifests.Environ]: the go command's settings.
func (Ecosystem) PublicEnv() []string { return []string{"GO*", "CGO_*"} }

// SecretEnv implements [manifests.Environ]: the go command's credentials.
func (Ecosystem) SecretEnv() []string { return []string{"GOAUTH"} }

// Open parses both snapshots, diffs them and couples the changes through
// the go.mod files of the changed modules' old and new versions.
func (Ecosystem) Open(ctx context.Context, old, new *manifests.Snapshot, opts manifests.Options) (manifests.Pair, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	o, err := load(old, opts.LockDir)
	if err != nil {
		return nil, err
	}
	n, err := load(new, opts.LockDir)
	if err != nil {
		return nil, err
	}
	if o.file.Module.Mod.Path != n.file.Module.Mod.Path {
		return nil, fmt.Errorf("%s is module %s but %s is module %s: compare two versions of one module",
			old.Ref, o.file.Module.Mod.Path, new.Ref, n.file.Module.Mod.Path)
	}
	if new.ReadFile != nil && !hasKey(opts.Env, "GOWORK") {
		if _, err := new.ReadFile("go.work"); err == nil {
			opts.Logger.Warn("go.work beside go.mod: validation lists each candidate's module alone (GOWORK=off); set runner.env GOWORK=off for the builds too, or GOWORK to validate in workspace mode", "lock", new.Ref)
		}
	}
	for _, u := range append(o.unread, n.unread...) {
		opts.Logger.Warn("go.mod of an in-tree module is unreadable; the candidate keeps the project's copy, and validation names what that moves", "err", u)
	}
	changes := diff(o, n)
	reader := newModReader(opts.Env, opts.TempDir, opts.Logger)
	var sel [2]selection
	for i, l := range []*lock{o, n} {
		// In process first (the go.mod files are mostly read already
		// for the coupling); the go command where that falls short.
		if sel[i], err = mvs(ctx, l, reader); err == nil {
			continue
		}
		opts.Logger.Debug("in-process selection falls short; asking the go command", "lock", l.ref, "err", err)
		if sel[i], err = selected(ctx, l, opts.Env, opts.TempDir); err != nil {
			opts.Logger.Warn("the go command cannot list the selection; every requirement on an added or removed module is taken as forcing", "err", err)
		}
	}
	fs, inert := forces(ctx, o, n, changes, reader, sel)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	retracted, err := retractions(ctx, opts.Env, opts.TempDir, changes)
	if err != nil {
		opts.Logger.Warn("the go command cannot say which versions are retracted; none is flagged", "err", err)
	}
	plain := make([]manifests.Change, len(changes))
	var searched []manifests.Change
	for i, c := range changes {
		plain[i] = c.Change
		plain[i].Inert = inert[c.Package]
		plain[i].Retracted = retractedNote(c.Change, retracted)
		changes[i].Change = plain[i]
		if plain[i].Inert == "" {
			searched = append(searched, plain[i])
		}
	}
	units, edges := manifests.Couple(searched, fs)
	return &Pair{
		old: o, new: n, changes: changes, env: opts.Env, tmp: opts.TempDir, log: opts.Logger,
		diff: &manifests.Diff{Ecosystem: "gomod", Changes: plain, Units: units, Edges: edges},
	}, nil
}

// hasKey reports whether the environment list sets key.
func hasKey(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}
