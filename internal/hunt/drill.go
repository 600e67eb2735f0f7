package hunt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/lockbisect/lockbisect/bisect"
	"github.com/lockbisect/lockbisect/drill"
	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/internal/quote"
	"github.com/lockbisect/lockbisect/internal/redact"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/reports"
)

// cloneTimeout bounds cloning or fetching an upstream repository (a full
// clone of a large project takes minutes): a host that never answers must
// leave the answer at the release level, not hang the run.
const cloneTimeout = 10 * time.Minute

// pinChecker is a set whose pins need the real tools before and after the
// candidate is written (Go: the pinned version's go.sum lines, and the
// selection of the replacement).
type pinChecker interface {
	PinSums(ctx context.Context, applied []string, p manifests.Pin) ([]string, error)
	ValidatePin(ctx context.Context, dir string, c *manifests.Candidate, p manifests.Pin) error
}

// driller goes from a single-package culprit to the first bad release and
// the first bad upstream commit, probing through the same runner, oracle
// and journal as the package-level search.
type driller struct {
	p       *prober
	o       Options
	log     *slog.Logger
	journal io.Writer
	replay  []bisect.Record

	// What the set can do past its two locks, found by type assertion.
	pinner     manifests.Pinner
	releaser   manifests.Releaser
	upstreamer manifests.Upstreamer

	base   []string // units applied in every drill probe: the last good candidate's
	probes int      // drill probes run (not replayed)
}

// run drills every culprit it can and returns the report section.
func (dr *driller) run(ctx context.Context, rep *reports.Report, res *bisect.Result) *reports.Drill {
	mode := dr.o.Config.Search.Drill
	if mode == "" {
		mode = config.DrillCommit
	}
	out := &reports.Drill{Mode: string(mode), Packages: []reports.DrillPackage{}}
	var pins, lists bool
	dr.pinner, pins = dr.p.set.(manifests.Pinner)
	dr.releaser, lists = dr.p.set.(manifests.Releaser)
	dr.upstreamer, _ = dr.p.set.(manifests.Upstreamer)
	d := dr.p.diff
	for _, cu := range res.Culprits {
		pkgs := packagesOf(d, cu.Units)
		why := ""
		switch {
		case !pins:
			why = "the " + d.Ecosystem + " lock cannot pin versions found in neither lock"
		case !lists:
			why = "the " + d.Ecosystem + " lock cannot list the releases of a package"
		case len(cu.Units) > 1:
			why = fmt.Sprintf("an interaction of %d units: no single package to pin", len(cu.Units))
		case len(pkgs) != 1:
			why = fmt.Sprintf("a coupled unit of %d packages (%s): no single package to pin", len(pkgs), d.Unit(cu.Units[0]).Reason)
		case len(cu.Untestable) > 0:
			why = "the culprit is only narrowed to a group with untestable units"
		}
		if why == "" {
			ch := d.Change(pkgs[0])
			switch {
			case ch == nil:
				why = "not a package change"
			case ch.Kind != manifests.Upgrade && ch.Kind != manifests.Downgrade:
				why = fmt.Sprintf("%s, so no releases lie between two versions", ch.Kind)
			}
		}
		if why != "" {
			out.NotDrilled = append(out.NotDrilled, reports.NotDrilled{Packages: pkgs, Why: why})
			continue
		}
		dr.base = lastGood(res, cu.Units[0])
		ch := *d.Change(pkgs[0])
		rels, err := dr.releases(ctx, ch)
		var none manifests.NoReleases
		if errors.As(err, &none) {
			out.NotDrilled = append(out.NotDrilled, reports.NotDrilled{Packages: pkgs, Why: none.Error()})
			continue
		}
		if err != nil {
			dr.log.Warn("drill: releases not listed", "package", ch.Package, "err", err)
			out.NotDrilled = append(out.NotDrilled, reports.NotDrilled{Packages: pkgs,
				Why: fmt.Sprintf("the releases between %s and %s could not be listed: %v", ch.From, ch.To, err)})
			continue
		}
		out.Packages = append(out.Packages, dr.drillPackage(ctx, ch, rels, mode))
	}
	rep.Summary.Probes += dr.probes
	return out
}

// lastGood is the applied set of the largest good probe, without the
// culprit unit: every other package stays as it was there.
func lastGood(res *bisect.Result, culprit string) []string {
	var best []string
	for _, r := range res.Probes {
		if r.Outcome == bisect.Good && len(r.Applied) > len(best) {
			best = r.Applied
		}
	}
	var out []string
	for _, id := range best {
		if id != culprit {
			out = append(out, id)
		}
	}
	return out
}

// drillPackage bisects the releases rels of the change, then (unless mode
// is "release") the commits between the last good and the first bad one.
func (dr *driller) drillPackage(ctx context.Context, ch manifests.Change, rels []manifests.Release, mode config.DrillMode) reports.DrillPackage {
	dp := reports.DrillPackage{Package: ch.Package, From: ch.From, To: ch.To, Releases: []reports.Release{}, LastGood: ch.From, FirstBad: ch.To}
	for _, r := range rels {
		dp.Releases = append(dp.Releases, reports.Release{Version: r.Version, Outcome: "untested", Retracted: r.Retracted})
	}
	line, err := drill.Linear(ctx, len(rels), func(ctx context.Context, i int) bisect.Outcome {
		o, detail := dr.judge(ctx, manifests.Pin{Package: ch.Package, Version: rels[i].Version, Entry: rels[i].Entry}, "drill-release", rels[i].Version)
		dp.Releases[i].Outcome, dp.Releases[i].Detail = string(o), detail
		return o
	})
	if err != nil {
		dp.Answer = "interrupted: " + err.Error()
		return dp
	}
	name := func(i int, end string) string {
		if i < 0 || i >= len(rels) {
			return end
		}
		return rels[i].Version
	}
	dp.LastGood, dp.FirstBad = name(line.LastGood, ch.From), name(line.FirstBad, ch.To)
	dp.Exact = line.Exact()
	dp.Answer = answer(dp.LastGood, dp.FirstBad, dp.Exact, skippedBetween(line, func(i int) string { return rels[i].Version }))
	dp.Workaround = dr.workaround(ch.Package, dp.LastGood)
	up, err := dr.upstream(ctx, ch)
	if err != nil {
		dp.CommitNote = err.Error()
		return dp
	}
	if web := drill.WebURL(up.URL); web != "" {
		// Until a clone shows the real tag names, the version names them.
		dp.Compare = web + "/compare/" + tag(up, dp.LastGood) + "..." + tag(up, dp.FirstBad)
	}
	if mode == config.DrillRelease {
		return dp
	}
	dr.commits(ctx, ch, up, &dp)
	return dp
}

// answer is the finding as a sentence, honest about skips.
func answer(lastGood, firstBad string, exact bool, skipped []string) string {
	if exact {
		return fmt.Sprintf("the first bad one is %s (%s is the last good one)", firstBad, lastGood)
	}
	return fmt.Sprintf("after %s (known good), no later than %s (first known bad): %s could not be tested", lastGood, firstBad, strings.Join(skipped, ", "))
}

// skippedBetween names the skipped items between the line's two ends.
func skippedBetween(l drill.Line, name func(int) string) []string {
	var out []string
	for _, i := range l.Skipped {
		if i > l.LastGood && i < l.FirstBad {
			out = append(out, name(i))
		}
	}
	return out
}

// workaround is the ecosystem's command that holds the package at the
// last good release; "" when the ecosystem names none.
func (dr *driller) workaround(pkg, version string) string {
	rb, ok := dr.p.set.(manifests.Rollbacker)
	if !ok {
		return ""
	}
	var lines []string
	for _, argv := range rb.Rollback([]manifests.Change{{Package: pkg, From: version, Kind: manifests.Downgrade}}) {
		lines = append(lines, quote.Shell(argv...))
	}
	return strings.Join(lines, "\n")
}

// releases lists the versions strictly between the change's two, ordered
// from the good end (From) toward the bad one (To).
func (dr *driller) releases(ctx context.Context, ch manifests.Change) ([]manifests.Release, error) {
	all, err := dr.releaser.Releases(ctx, ch.Package)
	if err != nil {
		return nil, err
	}
	lo, hi := ch.From, ch.To
	if ch.Kind == manifests.Downgrade {
		lo, hi = hi, lo
	}
	byVersion := map[string]manifests.Release{}
	versions := make([]string, 0, len(all))
	for _, r := range all {
		byVersion[r.Version] = r
		versions = append(versions, r.Version)
	}
	between := drill.Between(versions, lo, hi, dr.releaser.Compare)
	if ch.Kind == manifests.Downgrade {
		for i, j := 0, len(between)-1; i < j; i, j = i+1, j-1 {
			between[i], between[j] = between[j], between[i]
		}
	}
	out := make([]manifests.Release, len(between))
	for i, v := range between {
		out[i] = byVersion[v]
	}
	return out, nil
}

// judge builds and judges the base candidate with one package pinned, or
// replays its outcome from the journal; what names the release or commit
// in progress lines. Anything but good or bad is a skip.
func (dr *driller) judge(ctx context.Context, pin manifests.Pin, purpose, what string) (bisect.Outcome, string) {
	label := []string{pin.Package + "@" + what}
	// A pin the tools refuse before anything is built is a skip, shown in
	// the progress but neither numbered nor counted as a probe.
	refused := func(err error) (bisect.Outcome, string) {
		dr.p.progress(Event{Phase: PhaseDone, Applied: label, Outcome: bisect.Untestable, Refused: true})
		return bisect.Untestable, detail("", dr.p.redact.String(err.Error()))
	}
	checker, checks := dr.p.set.(pinChecker)
	if checks {
		sums, err := checker.PinSums(ctx, dr.base, pin)
		if err != nil {
			return refused(err)
		}
		pin.Sums = sums
	}
	c, err := dr.pinner.Pin(dr.base, pin)
	if err != nil {
		return refused(err)
	}
	c = dr.p.place(c)
	key := c.Hash() + "-" + dr.p.settings
	for _, r := range dr.replay {
		if r.Key == key {
			dr.p.progress(Event{Phase: PhaseDone, Applied: label, Outcome: r.Outcome, Check: r.FailedCheck, Replayed: true})
			return r.Outcome, detail(r.FailedCheck, r.Detail)
		}
	}
	validate := func(ctx context.Context, dir string) error {
		dir = filepath.Join(dir, dr.p.prefix)
		if checks {
			return checker.ValidatePin(ctx, dir, c, pin)
		}
		return dr.p.set.Validate(ctx, dir, c)
	}
	cfg := dr.o.Config.Search
	repeat, retries := max(cfg.Repeat, 1), cfg.Retries
	var rec bisect.Record
	t0 := time.Now()
	for len(rec.Trials) < repeat {
		dr.p.progress(Event{Phase: PhaseBuild, Applied: label})
		tr := dr.p.judge(ctx, c, validate, label)
		if tr.Err != nil {
			// The drill-down comes after the verdict: what the tool could
			// not do there skips this release instead of losing the verdict.
			tr.Outcome, tr.Detail = bisect.Error, tr.Err.Error()
		}
		if tr.Outcome == bisect.Error && retries > 0 && ctx.Err() == nil {
			retries--
			continue
		}
		rec.Trials = append(rec.Trials, tr.Outcome)
		if tr.Outcome == bisect.Error || tr.Outcome == bisect.Untestable {
			// One trial that could not judge makes the probe a skip.
			rec.Outcome, rec.FailedCheck, rec.Detail, rec.Data = tr.Outcome, "", tr.Detail, tr.Data
			break
		}
		if len(rec.Trials) == 1 || tr.Outcome == bisect.Bad {
			rec.Outcome, rec.FailedCheck, rec.Detail, rec.Data = tr.Outcome, tr.FailedCheck, tr.Detail, tr.Data
		}
		if tr.Outcome != rec.Trials[0] {
			// The oracle disagrees with itself: a skip, never a verdict.
			rec.Mixed = true
		}
	}
	rec.Seconds = time.Since(t0).Seconds()
	dr.probes++
	o := rec.Outcome
	if rec.Mixed || o == bisect.Error {
		o = bisect.Untestable
	}
	dr.p.progress(Event{Phase: PhaseDone, Applied: label, Outcome: o, Check: rec.FailedCheck, Seconds: rec.Seconds})
	if rec.Outcome == bisect.Error || ctx.Err() != nil {
		// Infrastructure failures are not remembered: a resume tries again.
		return o, rec.Detail
	}
	rec.Key, rec.Applied, rec.Purpose, rec.Outcome = key, dr.base, purpose, o
	if line, err := json.Marshal(rec); err == nil {
		if _, err := dr.journal.Write(append(line, '\n')); err != nil {
			dr.log.Warn("drill: journal not written", "err", err)
		}
	}
	return o, detail(rec.FailedCheck, rec.Detail)
}

// detail is what a release or commit table shows of a probe: the failing
// check, or the end of the reason it was skipped (where tools put the
// cause).
func detail(check, text string) string {
	if check != "" {
		return check
	}
	const keep = 300
	if r := []rune(text); len(r) > keep {
		text = "…" + string(r[len(r)-keep:])
	}
	return text
}

// tag is the conventional tag of a release: the version, below the
// package's directory.
func tag(u manifests.Upstream, version string) string {
	if u.Subdir == "" {
		return version
	}
	return u.Subdir + "/" + version
}

// commits runs the commit level in up between dp's last good and first bad
// release, filling dp.Commits or, when it cannot run, dp.CommitNote.
func (dr *driller) commits(ctx context.Context, ch manifests.Change, up manifests.Upstream, dp *reports.DrillPackage) {
	shown := redact.String(up.URL)
	note := func(err error) string { return strings.ReplaceAll(err.Error(), up.URL, shown) }
	cctx, cancel := context.WithTimeout(ctx, cloneTimeout)
	repo, err := drill.Open(cctx, up.URL, filepath.Join(dr.cacheDir(), "git"))
	cancel()
	if err != nil {
		dp.CommitNote = fmt.Sprintf("the repository %s could not be cloned: %s", shown, note(err))
		return
	}
	prefix := ""
	if up.Subdir != "" {
		prefix = up.Subdir + "/"
	}
	web := drill.WebURL(up.URL)
	good, err := drill.ResolveTag(repo, prefix, dp.LastGood)
	if err != nil {
		dp.CommitNote = fmt.Sprintf("%s: %v", shown, err)
		return
	}
	bad, err := drill.ResolveTag(repo, prefix, dp.FirstBad)
	if err != nil {
		dp.CommitNote = fmt.Sprintf("%s: %v", shown, err)
		return
	}
	if web != "" {
		dp.Compare = web + "/compare/" + drill.TagName(repo, prefix, dp.LastGood) + "..." + drill.TagName(repo, prefix, dp.FirstBad)
	}
	dp.Changelog = drill.Changelog(bad, dp.FirstBad)
	chain, err := drill.FirstParent(good, bad)
	if err != nil {
		dp.CommitNote = err.Error()
		return
	}
	cd := &reports.CommitDrill{Repository: shown, FromTag: drill.TagName(repo, prefix, dp.LastGood), ToTag: drill.TagName(repo, prefix, dp.FirstBad), Searched: len(chain), Tested: []reports.CommitProbe{}}
	// Work trees live at a path named by the commit alone, so that a
	// commit's candidate (whose go.mod names the path) hashes the same in a
	// resumed run; they are removed when the drill-down ends.
	work := filepath.Join(dr.cacheDir(), "worktrees")
	defer func() {
		for _, t := range cd.Tested {
			os.RemoveAll(filepath.Join(work, t.Commit.Hash))
		}
	}()
	probe := func(c *object.Commit) bisect.Outcome {
		o, why := dr.judgeCommit(ctx, ch.Package, dp.FirstBad, up, c, work)
		cd.Tested = append(cd.Tested, reports.CommitProbe{Commit: drill.Describe(c, web), Outcome: string(o), Detail: why})
		return o
	}
	// The first bad release's own commit is known bad: the chain's last
	// item is the known bad end of the line.
	items := chain[:max(len(chain)-1, 0)]
	line, err := drill.Linear(ctx, len(items), func(ctx context.Context, i int) bisect.Outcome { return probe(items[i]) })
	if err != nil {
		dp.CommitNote = "interrupted: " + err.Error()
		return
	}
	at := func(i int, end *object.Commit) *object.Commit {
		if i < 0 || i >= len(items) {
			return end
		}
		return items[i]
	}
	lastGood, firstBad := at(line.LastGood, good), at(line.FirstBad, bad)
	lg, fb := drill.Describe(lastGood, web), drill.Describe(firstBad, web)
	cd.LastGood, cd.FirstBad, cd.Exact = &lg, &fb, line.Exact()
	cd.Answer = answer(shortCommit(lastGood), shortCommit(firstBad)+" “"+fb.Subject+"”", cd.Exact,
		skippedBetween(line, func(i int) string { return shortCommit(items[i]) }))
	if fb.PR != "" {
		cd.PRs = append(cd.PRs, fb.PR)
	}
	if fb.Merge && cd.Exact {
		dr.mergedBranch(ctx, firstBad, web, cd, probe)
	}
	dp.Commits = cd
}

// mergedBranch bisects what a first bad merge brought in: its second
// parent's first-parent chain, with the merge as the known bad end.
func (dr *driller) mergedBranch(ctx context.Context, merge *object.Commit, web string, cd *reports.CommitDrill, probe func(*object.Commit) bisect.Outcome) {
	side, err := drill.Merged(merge)
	if err != nil || len(side) == 0 {
		return
	}
	for _, c := range side {
		d := drill.Describe(c, web)
		cd.Merged = append(cd.Merged, d)
		if d.PR != "" && !contains(cd.PRs, d.PR) {
			cd.PRs = append(cd.PRs, d.PR)
		}
	}
	line, err := drill.Linear(ctx, len(side), func(ctx context.Context, i int) bisect.Outcome { return probe(side[i]) })
	if err != nil || line.FirstBad >= len(side) || !line.Exact() {
		return
	}
	fb := drill.Describe(side[line.FirstBad], web)
	cd.MergedFirstBad = &fb
	cd.Answer += fmt.Sprintf("; on the merged branch, the first bad one is %s “%s”", shortCommit(side[line.FirstBad]), fb.Subject)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// judgeCommit pins the package to an upstream commit the way its
// ecosystem installs one (composer from source, Go from a work tree below
// work).
func (dr *driller) judgeCommit(ctx context.Context, pkg, standsFor string, up manifests.Upstream, c *object.Commit, work string) (bisect.Outcome, string) {
	cp, ok := dr.p.set.(manifests.CommitPinner)
	if !ok {
		return bisect.Untestable, "the " + dr.p.diff.Ecosystem + " lock cannot pin a commit"
	}
	pin, err := cp.PinCommit(ctx, manifests.Commit{
		Package: pkg, Version: standsFor, Hash: c.Hash.String(), Subdir: up.Subdir,
		Clone:    drill.Source(up.URL, filepath.Join(dr.cacheDir(), "git")),
		ReadFile: func(name string) ([]byte, error) { return fileAt(c, name) },
		Checkout: func() (string, error) {
			dir := filepath.Join(work, c.Hash.String())
			return dir, checkout(c, dir)
		},
	})
	if err != nil {
		return bisect.Untestable, fmt.Sprintf("commit %s: %v", shortCommit(c), err)
	}
	return dr.judge(ctx, pin, "drill-commit", shortCommit(c))
}

// checkout writes the tree of c into dir, replacing what a crashed run
// left there (regular and executable files; symlinks and submodules are
// left out, as a module zip does).
func checkout(c *object.Commit, dir string) error {
	tree, err := c.Tree()
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return tree.Files().ForEach(func(f *object.File) error {
		perm := os.FileMode(0o644)
		switch f.Mode {
		case filemode.Executable:
			perm = 0o755
		case filemode.Regular, filemode.Deprecated:
		default:
			return nil
		}
		body, err := f.Contents()
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(body), perm)
	})
}

func fileAt(c *object.Commit, name string) ([]byte, error) {
	f, err := c.File(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s, err := f.Contents()
	return []byte(s), err
}

// upstream maps the package to its repository: --repo-map first (below
// the directory the ecosystem knows, if any), then what the ecosystem
// knows (composer's source.url; Go's proxy Origin or host convention).
func (dr *driller) upstream(ctx context.Context, ch manifests.Change) (manifests.Upstream, error) {
	var up manifests.Upstream
	err := fmt.Errorf("the %s lock names no repositories: pass --repo-map %s=URL", dr.p.diff.Ecosystem, ch.Package)
	if dr.upstreamer != nil {
		up, err = dr.upstreamer.Upstream(ctx, ch)
	}
	if u, ok := dr.o.RepoMap[ch.Package]; ok {
		return manifests.Upstream{URL: u, Subdir: up.Subdir}, nil
	}
	return up, err
}

func shortCommit(c *object.Commit) string { return c.Hash.String()[:10] }

// cacheDir holds clones and work trees.
func (dr *driller) cacheDir() string {
	if dr.o.CacheDir != "" {
		return dr.o.CacheDir
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "lockbisect")
}
