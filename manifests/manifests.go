package manifests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Kind says which way a package moved between the old and the new snapshot.
type Kind string

// The kinds of change.
const (
	Upgrade   Kind = "upgrade"
	Downgrade Kind = "downgrade"
	Added     Kind = "added"
	Removed   Kind = "removed"
)

// Change is one package whose locked version differs between old and new.
// From is empty for an added package, To for a removed one.
type Change struct {
	Package string `json:"package"`
	From    string `json:"from"`
	To      string `json:"to"`
	Kind    Kind   `json:"kind"`
	Direct  bool   `json:"direct"` // named in the root manifest (composer.json require, go.mod without // indirect)
	Dev     bool   `json:"dev"`    // composer packages-dev
	// Source is the package's repository URL where the lock records it
	// (composer source.url); "" when unknown. Reports link to it.
	Source string `json:"source,omitempty"`
	// Inert says why a change is listed but never searched: it changes
	// nothing the build sees (a Go exclude of a version nothing requires).
	// Candidates keep it at its old state; "" for every searched change.
	Inert string `json:"inert,omitempty"`
	// Retracted is its author's notice when a version of this change (from
	// or to) is withdrawn: "v1.1.0 is retracted: …" (a Go module's
	// retraction), "1.1.0 is deprecated: …" (an npm deprecation); "" when
	// none is.
	Retracted string `json:"retracted,omitempty"`
	// Toolchain marks a change of the language or toolchain version the
	// manifest asks for (go.mod's go and toolchain lines), not of a
	// package: it is searched like one, but reports count it apart.
	Toolchain bool `json:"toolchain,omitempty"`
}

// Unit is a group of changes that can only be applied together.
// Reason is empty for a unit of one package.
type Unit struct {
	ID       string   `json:"id"`
	Packages []string `json:"packages"`
	Reason   string   `json:"reason"`
}

// BriefReason is the unit's reason cut to its first n rules (Reason joins
// them with "; "), saying how many more there are: what a terminal or a
// pasted report shows of a unit of dozens of packages, whose rules the
// JSON report keeps whole.
func (u Unit) BriefReason(n int) string {
	rules := strings.Split(u.Reason, "; ")
	if len(rules) <= n {
		return u.Reason
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(rules[:n], "; "), len(rules)-n)
}

// Edge is a closure rule between units: applying From needs To applied.
type Edge struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

// Diff is what two snapshots differ by; its JSON is the contract of
// `bisect diff --json`.
type Diff struct {
	Ecosystem string   `json:"ecosystem"`
	Changes   []Change `json:"changes"`
	Units     []Unit   `json:"units"`
	Edges     []Edge   `json:"edges"`
}

// MarshalJSON writes the diff with every list present, never null: the
// contract of `bisect diff --json` that scripts iterate over.
func (d Diff) MarshalJSON() ([]byte, error) {
	type plain Diff
	p := plain(d)
	if p.Changes == nil {
		p.Changes = []Change{}
	}
	if p.Units == nil {
		p.Units = []Unit{}
	}
	if p.Edges == nil {
		p.Edges = []Edge{}
	}
	return json.Marshal(p)
}

// Change returns the change of the named package, or nil.
func (d *Diff) Change(pkg string) *Change {
	for i := range d.Changes {
		if d.Changes[i].Package == pkg {
			return &d.Changes[i]
		}
	}
	return nil
}

// Unit returns the unit with the given id, or nil.
func (d *Diff) Unit(id string) *Unit {
	for i := range d.Units {
		if d.Units[i].ID == id {
			return &d.Units[i]
		}
	}
	return nil
}

// Requires returns the closure rules as a map from unit id to the unit ids
// that applying it needs.
func (d *Diff) Requires() map[string][]string {
	m := map[string][]string{}
	for _, e := range d.Edges {
		m[e.From] = append(m[e.From], e.To)
	}
	return m
}

// ErrInfeasible marks a candidate that cannot be installed as asked (a
// requirement of a locked package does not hold, or the go command would
// select other versions than the intended ones). Such a candidate is never
// built; the error text says why.
var ErrInfeasible = errors.New("infeasible candidate")

// Candidate is the dependency state in which exactly the Applied units are
// taken at their new version and every other package stays at the old one.
type Candidate struct {
	Applied []string          // unit ids, sorted
	Files   map[string][]byte // path relative to the project root → content
}

// Hash is the candidate's identity: a hex SHA-256 over its file names and
// bytes. The same applied set always gives the same hash.
func (c *Candidate) Hash() string {
	h := sha256.New()
	for _, name := range c.names() {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(c.Files[name]))
		h.Write(c.Files[name])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Write writes the candidate's files below dir, and nowhere else.
func (c *Candidate) Write(dir string) error {
	for _, name := range c.names() {
		if !filepath.IsLocal(filepath.FromSlash(name)) {
			return fmt.Errorf("write candidate %s: the path leaves the directory it is written into", name)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, c.Files[name], 0o644); err != nil {
			return fmt.Errorf("write candidate %s: %w", name, err)
		}
	}
	return nil
}

func (c *Candidate) names() []string {
	names := make([]string, 0, len(c.Files))
	for n := range c.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Snapshot is one side of the comparison: the lock file and its siblings as
// read from a reference.
type Snapshot struct {
	Ref   string            // as the user gave it
	Dir   string            // directory of the lock file on disk; empty for REV:PATH
	Path  string            // path of the lock file within the project (for REV:PATH the PATH part)
	Files map[string][]byte // base name → content (e.g. "composer.lock", "composer.json")
	// ReadFile reads another file of the same state of the project, by a
	// slash-separated path relative to the lock's directory: from disk for
	// a file reference, from the same revision for REV:PATH (an ecosystem
	// whose lock points at files in the tree, such as Go's in-tree modules
	// behind directory replaces). Nil when nothing else can be read; the
	// error wraps fs.ErrNotExist when the file is absent.
	ReadFile func(rel string) ([]byte, error)
}

// Lock returns the lock file's base name.
func (s *Snapshot) Lock() string { return filepath.Base(s.Path) }

// Options are what an ecosystem may need to read versions it does not find
// in the snapshots.
type Options struct {
	Env    []string     // environment for the go, composer and npm commands the tool runs itself
	Logger *slog.Logger // never nil when passed by Load
	// LockDir is the new lock's directory within the project (the build
	// context the runner copies), slash-separated; "" = the project root.
	// A path a lock names beyond the project leaves what candidates carry.
	LockDir string
	// Project is the project directory on disk (absolute); "" when there
	// is none. An ecosystem reads its registry settings there.
	Project string
	// NewDir is the directory of the new lock in the tree candidates are
	// built from (absolute), when that tree is not where the lock was
	// read: a lock read from a revision whose tree was checked out, or
	// from one revision while the project comes from another or from the
	// work tree. The new snapshot then reads its other files there
	// (Snapshot.Dir, Snapshot.ReadFile: Go's in-tree modules, paths a lock
	// names beyond the project), so that what the ecosystem reads agrees
	// with what is built. "" = beside the lock as read.
	NewDir string
	// TempDir holds the temporary files of the tools an ecosystem runs
	// (npm's empty cache): the run's own directory, which a sweep removes
	// should the run be killed. "" = the system's temporary directory.
	TempDir string
	// ReleaseRepo is where the drill-down lists releases when the project
	// does not say (search.composer_repo: a URL, or a directory relative
	// to Project); "" = what the project's own files name.
	ReleaseRepo string
}

// Ecosystem is one kind of lock file.
type Ecosystem interface {
	// Name is "composer", "gomod" or "npm".
	Name() string
	// Lock is the lock file's base name ("composer.lock", "go.mod");
	// Siblings are the optional files read beside it ("composer.json", "go.sum").
	Lock() string
	Siblings() []string
	// Open parses both snapshots, diffs and couples them.
	Open(ctx context.Context, old, new *Snapshot, opts Options) (Pair, error)
}

// Environ is an Ecosystem whose tools take settings from the environment:
// PublicEnv names the variables that hold settings, not credentials (a
// trailing * matches a prefix), SecretEnv the exceptions among them that
// do hold credentials. Output is redacted by these lists.
type Environ interface {
	PublicEnv() []string
	SecretEnv() []string
}

// Pair is an opened pair of snapshots: their diff, and a writer of candidates.
type Pair interface {
	Diff() *Diff
	// Candidate returns the files of the candidate with exactly these units
	// applied. It fails with ErrInfeasible when a static check shows that
	// the candidate cannot be installed.
	Candidate(applied []string) (*Candidate, error)
	// Validate checks, with the real tools where the ecosystem needs them,
	// a candidate already written into dir. It fails with ErrInfeasible
	// when the candidate would not be built as intended.
	Validate(ctx context.Context, dir string, c *Candidate) error
}

// Pin is one package at a version found in neither lock: a release from
// its repository's metadata, or an upstream commit (drill-down).
type Pin struct {
	Package string
	Version string          // the release; for a commit, the release it stands in for
	Entry   json.RawMessage // composer: the complete lock entry to install
	Dir     string          // gomod: a directory holding the module at a commit (replace M => Dir); "" = Version from the proxy
	Sums    []string        // gomod: go.sum lines the pin needs beyond both locks' (from the go command, gomod.Pair.PinSums)
}

// Release is one version of a package as its registry lists it.
type Release struct {
	Version   string
	Retracted string          // the author's rationale when the version is withdrawn; "" otherwise
	Entry     json.RawMessage // composer: the metadata entry that installs it (becomes [Pin.Entry])
}

// Releaser is a Set that can list a package's releases from its registry
// (the drill-down's first level) and order versions as its resolver does.
type Releaser interface {
	// Releases lists the package's releases, in any order. An error of
	// type [NoReleases] says the package has none to list at all.
	Releases(ctx context.Context, pkg string) ([]Release, error)
	Compare(a, b string) int
}

// NoReleases is the error of a changed entry that is not a released
// package (Go's go and toolchain directives); its text says why.
type NoReleases string

func (e NoReleases) Error() string { return string(e) }

// Upstream is where a package's source lives.
type Upstream struct {
	URL    string
	Subdir string // the package's directory within the repository ("" = root); its release tags carry it as a prefix
}

// Upstreamer is a Set that can find a changed package's repository.
type Upstreamer interface {
	// Upstream names the repository of ch; an error says why none is
	// known (the caller may still have one from --repo-map).
	Upstream(ctx context.Context, ch Change) (Upstream, error)
}

// Commit is one upstream commit of a package, as the drill-down offers it
// to be pinned.
type Commit struct {
	Package string
	Version string // the release it stands in for
	Hash    string
	Clone   string // where the package manager can fetch the repository from (the drill-down's local clone)
	Subdir  string // as in [Upstream]
	// ReadFile reads a file of the commit's tree (slash-separated, from
	// the repository's root).
	ReadFile func(name string) ([]byte, error)
	// Checkout writes the commit's tree into a directory named by the
	// commit alone, and returns it.
	Checkout func() (string, error)
}

// CommitPinner is a Pinner that can pin a package to an upstream commit.
type CommitPinner interface {
	PinCommit(ctx context.Context, c Commit) (Pin, error)
}

// Rollbacker is a Set that names the commands (each an argv) a user runs
// to take the given changes back to their From versions: the ecosystem's
// usual way, not checked.
type Rollbacker interface {
	Rollback(changes []Change) [][]string
}

// Sourcer is a Set that can derive a package's repository from its name
// alone where the lock records none (a Go module path names its host);
// "" when it cannot.
type Sourcer interface {
	Source(pkg string) string
}

// Reproducer is a Set that can name the command that takes the new lock
// back to good by rolling back exactly the given units and nothing else,
// checked with the ecosystem's own tool to give what the search's
// candidate gave. An error says why there is no such command.
type Reproducer interface {
	Reproduce(ctx context.Context, units []string) ([]string, error)
}

// Pinner is a Set that can write a candidate with one package pinned to a
// version in neither lock, every other package as in applied.
type Pinner interface {
	Pin(applied []string, p Pin) (*Candidate, error)
}

// Load reads both references, picks the ecosystem whose lock file name
// matches, and opens the pair.
func Load(ctx context.Context, ecosystems []Ecosystem, oldRef, newRef, repo string, opts Options) (Pair, error) {
	eo, err := detect(ecosystems, oldRef)
	if err != nil {
		return nil, err
	}
	en, err := detect(ecosystems, newRef)
	if err != nil {
		return nil, err
	}
	if eo != en {
		return nil, fmt.Errorf("--lock-old %s is a %s lock but --lock-new %s is a %s lock: compare two locks of one ecosystem", oldRef, eo.Name(), newRef, en.Name())
	}
	old, err := Read(ctx, oldRef, repo, eo.Siblings())
	if err != nil {
		return nil, err
	}
	new, err := Read(ctx, newRef, repo, eo.Siblings())
	if err != nil {
		return nil, err
	}
	if opts.NewDir != "" {
		new.readFrom(opts.NewDir)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return eo.Open(ctx, old, new, opts)
}

func detect(ecosystems []Ecosystem, ref string) (Ecosystem, error) {
	_, path := SplitRef(ref)
	base := filepath.Base(path)
	var names []string
	for _, e := range ecosystems {
		if e.Lock() == base {
			return e, nil
		}
		names = append(names, e.Lock())
	}
	return nil, fmt.Errorf("%s: unknown lock file %q (expected one of %s)", ref, base, strings.Join(names, ", "))
}
