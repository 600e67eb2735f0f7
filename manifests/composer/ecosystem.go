package composer

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/composer/constraint"
)

// Ecosystem is composer: composer.lock, with composer.json beside it.
type Ecosystem struct{}

var (
	_ manifests.Ecosystem    = Ecosystem{}
	_ manifests.Environ      = Ecosystem{}
	_ manifests.Pinner       = (*set)(nil)
	_ manifests.Releaser     = (*set)(nil)
	_ manifests.Upstreamer   = (*set)(nil)
	_ manifests.CommitPinner = (*set)(nil)
	_ manifests.Rollbacker   = (*set)(nil)
)

// Name implements [manifests.Ecosystem].
func (Ecosystem) Name() string { return "composer" }

// Lock implements [manifests.Ecosystem].
func (Ecosystem) Lock() string { return "composer.lock" }

// Siblings implements [manifests.Ecosystem].
func (Ecosystem) Siblings() []string { return []string{"composer.json"} }

// PublicEnv implements [manifests.Environ]: composer's settings.
func (Ecosystem) PublicEnv() []string { return []string{"COMPOSER_*"} }

// SecretEnv implements [manifests.Environ]: composer's credentials.
func (Ecosystem) SecretEnv() []string { return []string{"COMPOSER_AUTH"} }

// Open parses both snapshots, diffs them per package and couples the
// changes. composer.json is optional on either side: without it no change
// counts as direct, and candidates leave the project's composer.json alone.
func (Ecosystem) Open(ctx context.Context, old, new *manifests.Snapshot, opts manifests.Options) (manifests.Pair, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &set{log: log, project: opts.Project, lockDir: opts.LockDir, repo: opts.ReleaseRepo, cons: map[string]*constraint.Constraint{}, checks: map[checkKey]bool{}, meets: map[[2]*constraint.Constraint]bool{}}
	var err error
	if s.old, s.oldRoot, err = parseSnapshot(old); err != nil {
		return nil, err
	}
	if s.new, s.newRoot, err = parseSnapshot(new); err != nil {
		return nil, err
	}
	if s.newRoot == nil {
		log.Warn("no composer.json beside the new lock: candidates keep the project's own composer.json", "lock", new.Ref)
	}
	if err := s.anchorPaths(new.Dir); err != nil {
		return nil, err
	}
	s.oldRootEntry, s.newRootEntry = s.oldRoot.entry(), s.newRoot.entry()
	s.rootDiff = rootDiff(s.oldRoot, s.newRoot)
	if len(s.rootDiff) > 0 {
		var names []string
		for _, rl := range s.rootDiff {
			names = append(names, rl.section+" "+rl.key)
		}
		log.Info("the root's replace/provide differs between the two composer.json: each candidate takes the old or the new link per name, as its packages need", "links", strings.Join(names, ", "))
	}
	s.diff()
	s.oldIdx = s.index(func(p *pkgState) *entry { return p.old })
	s.newIdx = s.index(func(p *pkgState) *entry { return p.new })
	units, edges := manifests.Couple(s.d.Changes, s.forces())
	// Empty lists stay [] in `bisect diff --json`, which scripts read.
	s.d.Units, s.d.Edges = append([]manifests.Unit{}, units...), append([]manifests.Edge{}, edges...)
	s.unitOf = map[string][]string{}
	for _, u := range units {
		s.unitOf[u.ID] = u.Packages
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

func parseSnapshot(snap *manifests.Snapshot) (*lockFile, *rootFile, error) {
	data, ok := snap.Files["composer.lock"]
	if !ok {
		return nil, nil, fmt.Errorf("%s: no composer.lock in the snapshot", snap.Ref)
	}
	lf, err := parseLock(snap.Ref, data)
	if err != nil {
		return nil, nil, err
	}
	var rf *rootFile
	if js, ok := snap.Files["composer.json"]; ok {
		if rf, err = parseRoot("composer.json beside "+snap.Ref, js); err != nil {
			return nil, nil, err
		}
	}
	return lf, rf, nil
}

// set is an opened pair of composer snapshots.
type set struct {
	log              *slog.Logger
	project, lockDir string // where the project's composer.json names its repositories
	repo             string // search.composer_repo
	old, new         *lockFile
	oldRoot, newRoot *rootFile
	// The root package of each side: what it replaces and provides.
	oldRootEntry, newRootEntry *entry
	rootDiff                   []rootLink  // the links they differ in
	pathEdits                  []edit      // path repository urls made absolute in every candidate's composer.json
	pkgs                       []*pkgState // every locked package of either side, by name
	byName                     map[string]*pkgState
	oldIdx, newIdx             providers
	d                          manifests.Diff
	unitOf                     map[string][]string // unit id → packages

	// Candidate may run from parallel probes; mu guards the two memos,
	// which keep the evaluator's normalizing out of the hot loops.
	mu     sync.Mutex
	cons   map[string]*constraint.Constraint
	checks map[checkKey]bool
	meets  map[[2]*constraint.Constraint]bool
}

type checkKey struct {
	c       *constraint.Constraint
	version string
}

var _ manifests.Pair = (*set)(nil)

// pkgState is one package on both sides; old or new is nil when the
// package is absent there.
type pkgState struct {
	key      string // lower-case name
	old, new *entry
	changed  bool
}

func (p *pkgState) name() string {
	if p.new != nil {
		return p.new.Name
	}
	return p.old.Name
}

func (s *set) Diff() *manifests.Diff { return &s.d }

// Validate implements [manifests.Pair]. Candidate already made the check
// composer install makes, and composer needs nothing else before install.
func (s *set) Validate(ctx context.Context, dir string, c *manifests.Candidate) error {
	return nil
}

// diff fills pkgs and the changes, sorted by name.
func (s *set) diff() {
	s.byName = map[string]*pkgState{}
	for k, e := range s.old.pkgs {
		s.byName[k] = &pkgState{key: k, old: e}
	}
	for k, e := range s.new.pkgs {
		if p, ok := s.byName[k]; ok {
			p.new = e
		} else {
			s.byName[k] = &pkgState{key: k, new: e}
		}
	}
	for _, p := range s.byName {
		s.pkgs = append(s.pkgs, p)
	}
	sort.Slice(s.pkgs, func(i, j int) bool { return s.pkgs[i].key < s.pkgs[j].key })
	s.d = manifests.Diff{Ecosystem: "composer", Changes: []manifests.Change{}}
	for _, p := range s.pkgs {
		o, n := p.old, p.new
		if o != nil && n != nil && o.Version == n.Version && o.Reference == n.Reference {
			continue
		}
		p.changed = true
		c := manifests.Change{Package: p.name(), Direct: s.oldRoot.names(p.key) || s.newRoot.names(p.key)}
		switch {
		case o == nil:
			c.To, c.Kind, c.Dev = n.Version, manifests.Added, n.Dev
		case n == nil:
			c.From, c.Kind, c.Dev = o.Version, manifests.Removed, o.Dev
		default:
			c.From, c.To, c.Dev = o.Version, n.Version, n.Dev
			cmp := constraint.Compare(o.Version, n.Version)
			if o.Version == n.Version {
				// One branch built from two commits: name the commits,
				// as composer does, and order them by release time.
				c.From, c.To = o.Version+" "+short(o.Reference), n.Version+" "+short(n.Reference)
				cmp = strings.Compare(o.Time, n.Time)
			}
			c.Kind = manifests.Upgrade
			if cmp > 0 {
				c.Kind = manifests.Downgrade
			}
		}
		s.d.Changes = append(s.d.Changes, c)
	}
}

func short(ref string) string {
	if len(ref) > 7 {
		return ref[:7]
	}
	return ref
}

// anchorPaths points path repositories that lie outside the project's
// lock directory at the original location: the runner builds a copy of
// the project elsewhere, where "../lib" would name nothing (or something
// else). Both the composer.json's repository urls and the path dist urls
// of the lock entries, which composer install reads, become absolute,
// resolved against the directory of the new lock (where candidates are
// installed); the content-hash follows the rewritten composer.json, as
// composer hashes repositories. Paths inside the directory stay as they
// are: the copy holds them. Without a directory on disk (REV:PATH) they
// stay relative.
func (s *set) anchorPaths(dir string) error {
	var urls []*member
	if s.newRoot != nil {
		for i := range s.newRoot.paths {
			if outside(s.newRoot.paths[i].Constraint) {
				urls = append(urls, &s.newRoot.paths[i])
			}
		}
	}
	var entries []*entry
	for _, lf := range []*lockFile{s.old, s.new} {
		for _, e := range lf.pkgs {
			if outside(e.PathURL) {
				entries = append(entries, e)
			}
		}
	}
	if len(urls)+len(entries) == 0 {
		return nil
	}
	if dir == "" {
		s.log.Warn("path repositories outside the lock's directory stay relative: the lock was read from git, not from a directory", "urls", len(urls), "packages", len(entries))
		return nil
	}
	base, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("path repositories: %w", err)
	}
	for _, m := range urls {
		s.pathEdits = append(s.pathEdits, edit{m.valStart, m.valEnd, jsonString(filepath.Join(base, m.Constraint))})
	}
	for _, e := range entries {
		abs := filepath.Join(base, e.PathURL)
		raw := append([]byte(nil), e.Raw[:e.pathAt[0]]...)
		raw = append(raw, jsonString(abs)...)
		e.Raw = append(raw, e.Raw[e.pathAt[1]:]...)
		e.PathURL = abs
	}
	return nil
}

// outside reports whether a relative path leaves the directory it is
// relative to.
func outside(p string) bool {
	if p == "" || filepath.IsAbs(p) {
		return false
	}
	c := filepath.ToSlash(filepath.Clean(p))
	return c == ".." || strings.HasPrefix(c, "../")
}

// isPlatform reports whether a requirement names the platform (php,
// ext-*, lib-*, composer-plugin-api, composer-runtime-api …): those have no
// vendor prefix, and no candidate changes them.
func isPlatform(name string) bool { return !strings.Contains(name, "/") }

// constraint parses c once per set. A constraint our evaluator cannot
// parse yields nil, which every version satisfies: composer wrote it, so
// it holds in the lock it came from, and composer has the last word.
func (s *set) constraint(c string) *constraint.Constraint {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.cons[c]; ok {
		return k
	}
	k, err := constraint.Parse(c)
	if err != nil {
		s.log.Warn("composer constraint not understood; treated as satisfied", "constraint", c, "err", err)
		k = nil
	}
	s.cons[c] = k
	return k
}

// conflict is the constraint of a conflict that entry e declares, with
// "self.version" standing for e's own version. nil when it cannot be
// evaluated: an unknown constraint must not make every version conflict
// (for a requirement, nil is the opposite and harmless: satisfied).
func (s *set) conflict(e *entry, c string) *constraint.Constraint {
	if c == "self.version" {
		c = e.Version
	}
	return s.constraint(c)
}

// required returns the constraints a requirement of e puts on its target.
// "self.version" is e's own version, and each alias of e (a branch alias,
// an inline alias) requires the target at the alias's version too, as
// composer installs the alias beside e; so monorepo splits such as
// scheb/2fa-totp requiring scheb/2fa-bundle at self.version must move
// together.
func (s *set) required(e *entry, l link) []*constraint.Constraint {
	if l.Constraint != "self.version" {
		return []*constraint.Constraint{s.constraint(l.Constraint)}
	}
	cs := []*constraint.Constraint{s.constraint(e.Version)}
	for _, a := range e.Aliases {
		cs = append(cs, s.constraint(a))
	}
	return cs
}

// requiredText is how messages show a requirement: self.version with the
// version it stands for.
func requiredText(e *entry, l link) string {
	if l.Constraint == "self.version" {
		return "self.version (" + e.Version + ")"
	}
	return l.Constraint
}

// intersects is c.Intersects(o), memoized.
func (s *set) intersects(c, o *constraint.Constraint) bool {
	return memo(&s.mu, s.meets, [2]*constraint.Constraint{c, o}, func() bool { return c.Intersects(o) })
}

// check is c.Check(version), memoized.
func (s *set) check(c *constraint.Constraint, version string) bool {
	return memo(&s.mu, s.checks, checkKey{c, version}, func() bool { return c.Check(version) })
}

// memo returns m[k], computing it with f (outside the lock) the first time.
func memo[K comparable](mu *sync.Mutex, m map[K]bool, k K, f func() bool) bool {
	mu.Lock()
	v, ok := m[k]
	mu.Unlock()
	if ok {
		return v
	}
	v = f()
	mu.Lock()
	m[k] = v
	mu.Unlock()
	return v
}
