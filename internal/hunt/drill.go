package hunt

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/lockbisect/lockbisect/bisect"
	"github.com/lockbisect/lockbisect/drill"
	"github.com/lockbisect/lockbisect/internal/goenv"
	"github.com/lockbisect/lockbisect/internal/quote"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/composer"
	"github.com/lockbisect/lockbisect/manifests/composer/constraint"
	"github.com/lockbisect/lockbisect/oracles"
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
	env     []string // the tool environment (runner.env rendered for the project)
	project string
	journal io.Writer
	replay  []bisect.Record
	client  *http.Client

	goenv  *goenv.Env // the go command's download settings, read on first use
	base   []string   // units applied in every drill probe: the last good candidate's
	probes int        // drill probes run (not replayed)
}

// run drills every culprit it can and returns the report section.
func (dr *driller) run(ctx context.Context, rep *reports.Report, res *bisect.Result) *reports.Drill {
	dr.client = &http.Client{Timeout: time.Minute}
	mode := dr.o.Config.Search.Drill
	out := &reports.Drill{Mode: mode, Packages: []reports.DrillPackage{}}
	if mode == "" {
		out.Mode = "commit"
	}
	pinner, ok := dr.p.set.(manifests.Pinner)
	d := dr.p.diff
	for _, cu := range res.Culprits {
		pkgs := packagesOf(d, cu.Units)
		why := ""
		switch {
		case !ok:
			why = "the " + d.Ecosystem + " lock cannot pin versions found in neither lock"
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
			case d.Ecosystem == "gomod" && !strings.Contains(ch.Package, "."):
				why = "the " + ch.Package + " directive is not a module"
			}
		}
		if why != "" {
			out.NotDrilled = append(out.NotDrilled, reports.NotDrilled{Packages: pkgs, Why: why})
			continue
		}
		dr.base = lastGood(res, cu.Units[0])
		ch := *d.Change(pkgs[0])
		rels, err := dr.releases(ctx, ch)
		if err != nil {
			dr.log.Warn("drill: releases not listed", "package", ch.Package, "err", err)
			out.NotDrilled = append(out.NotDrilled, reports.NotDrilled{Packages: pkgs,
				Why: fmt.Sprintf("the releases between %s and %s could not be listed: %v", ch.From, ch.To, err)})
			continue
		}
		out.Packages = append(out.Packages, dr.drillPackage(ctx, pinner, ch, rels, mode))
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

// release is one version between the culprit's two, oldest change first.
type release struct {
	version   string
	entry     json.RawMessage // composer: the lock entry from the repository's metadata
	retracted string
}

// drillPackage bisects the releases rels of the change, then (unless mode
// is "release") the commits between the last good and the first bad one.
func (dr *driller) drillPackage(ctx context.Context, pinner manifests.Pinner, ch manifests.Change, rels []release, mode string) reports.DrillPackage {
	dp := reports.DrillPackage{Package: ch.Package, From: ch.From, To: ch.To, Releases: []reports.Release{}, LastGood: ch.From, FirstBad: ch.To}
	for _, r := range rels {
		dp.Releases = append(dp.Releases, reports.Release{Version: r.version, Outcome: "untested", Retracted: r.retracted})
	}
	line, err := drill.Linear(ctx, len(rels), func(ctx context.Context, i int) bisect.Outcome {
		o, detail := dr.judge(ctx, pinner, manifests.Pin{Package: ch.Package, Version: rels[i].version, Entry: rels[i].entry}, "drill-release", rels[i].version)
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
		return rels[i].version
	}
	dp.LastGood, dp.FirstBad = name(line.LastGood, ch.From), name(line.FirstBad, ch.To)
	dp.Exact = line.Exact()
	dp.Answer = answer(dp.LastGood, dp.FirstBad, dp.Exact, skippedBetween(line, func(i int) string { return rels[i].version }))
	dp.Workaround = workaround(dr.p.diff.Ecosystem, ch.Package, dp.LastGood)
	up, err := dr.upstream(ctx, ch)
	if err != nil {
		dp.CommitNote = err.Error()
		return dp
	}
	if web := drill.WebURL(up.url); web != "" {
		// Until a clone shows the real tag names, the version names them.
		dp.Compare = web + "/compare/" + up.tag(dp.LastGood) + "..." + up.tag(dp.FirstBad)
	}
	if mode == "release" {
		return dp
	}
	dr.commits(ctx, pinner, ch, up, &dp)
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

func workaround(eco, pkg, version string) string {
	if eco == "gomod" {
		return quote.Shell("go", "get", pkg+"@"+version)
	}
	return quote.Shell("composer", "update", pkg, "--with", pkg+":"+version)
}

// releases lists the versions strictly between the change's two, ordered
// from the good end (From) toward the bad one (To).
func (dr *driller) releases(ctx context.Context, ch manifests.Change) ([]release, error) {
	var all []release
	var cmp func(a, b string) int
	switch dr.p.diff.Ecosystem {
	case "gomod":
		proxy, err := dr.goproxy(ctx, ch.Package)
		if err != nil {
			return nil, err
		}
		list, err := drill.GoReleases(ctx, dr.client, proxy, ch.Package)
		if err != nil {
			return nil, err
		}
		for _, r := range list {
			all = append(all, release{version: r.Version, retracted: r.Retracted})
		}
		cmp = semver.Compare
	default:
		repo, err := dr.composerRepo()
		if err != nil {
			return nil, err
		}
		list, err := drill.ComposerReleases(ctx, dr.client, repo, ch.Package)
		if err != nil {
			return nil, err
		}
		for _, r := range list {
			all = append(all, release{version: r.Version, entry: r.Entry})
		}
		cmp = constraint.Compare
	}
	lo, hi := ch.From, ch.To
	if ch.Kind == manifests.Downgrade {
		lo, hi = hi, lo
	}
	byVersion := map[string]release{}
	versions := make([]string, 0, len(all))
	for _, r := range all {
		if strings.HasPrefix(r.version, "dev-") {
			continue
		}
		byVersion[r.version] = r
		versions = append(versions, r.version)
	}
	between := drill.Between(versions, lo, hi, cmp)
	if ch.Kind == manifests.Downgrade {
		for i, j := 0, len(between)-1; i < j; i, j = i+1, j-1 {
			between[i], between[j] = between[j], between[i]
		}
	}
	out := make([]release, len(between))
	for i, v := range between {
		out[i] = byVersion[v]
	}
	return out, nil
}

// goproxy is the proxy the go command would ask for mod, as `go env`
// reports it with the tool environment (runner.env rendered for the
// project); an error says why none is asked (a GOPRIVATE/GONOPROXY module,
// GOPROXY=off or direct), and the drill-down then stays at the package.
func (dr *driller) goproxy(ctx context.Context, mod string) (string, error) {
	if dr.goenv == nil {
		e, err := goenv.Read(ctx, dr.env)
		if err != nil {
			return "", err
		}
		dr.goenv = &e
	}
	return dr.goenv.Proxy(mod)
}

// composerRepo is search.composer_repo (a URL, or a directory relative to
// the project), else the first repository of type composer in the
// project's composer.json.
func (dr *driller) composerRepo() (string, error) {
	if r := dr.o.Config.Search.ComposerRepo; r != "" {
		if u, err := url.Parse(r); err == nil && u.Scheme != "" {
			return r, nil
		}
		// A path names a directory holding p2/<vendor>/<name>.json,
		// relative to the project.
		if !filepath.IsAbs(r) {
			r = filepath.Join(dr.project, r)
		}
		return "file://" + filepath.ToSlash(r), nil
	}
	name := filepath.Join(dr.project, filepath.FromSlash(dr.p.prefix), "composer.json")
	data, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("no search.composer_repo and no composer.json to read repositories from: %w", err)
	}
	var root struct {
		Repositories json.RawMessage `json:"repositories"`
	}
	if err := json.Unmarshal(data, &root); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	// repositories is a list, or an object keyed by name.
	var list []json.RawMessage
	if json.Unmarshal(root.Repositories, &list) != nil {
		var byName map[string]json.RawMessage
		_ = json.Unmarshal(root.Repositories, &byName)
		for _, r := range byName {
			list = append(list, r)
		}
	}
	for _, raw := range list {
		var r struct{ Type, URL string }
		if json.Unmarshal(raw, &r) == nil && r.Type == "composer" && r.URL != "" {
			return r.URL, nil
		}
	}
	return "", fmt.Errorf("%s names no repository of type composer: set search.composer_repo to the repository that lists the releases", name)
}

// judge builds and judges the base candidate with one package pinned, or
// replays its outcome from the journal; what names the release or commit
// in progress lines. Anything but good or bad is a skip.
func (dr *driller) judge(ctx context.Context, pinner manifests.Pinner, pin manifests.Pin, purpose, what string) (bisect.Outcome, string) {
	label := []string{pin.Package + "@" + what}
	// A pin the tools refuse before anything is built is a skip, shown in
	// the progress like any probe.
	refused := func(err error) (bisect.Outcome, string) {
		dr.p.progress(Event{Phase: "done", Applied: label, Outcome: string(bisect.Untestable)})
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
	c, err := pinner.Pin(dr.base, pin)
	if err != nil {
		return refused(err)
	}
	c = dr.p.place(c)
	key := c.Hash() + "-" + dr.p.settings
	for _, r := range dr.replay {
		if r.Key == key {
			dr.p.progress(Event{Phase: "done", Applied: label, Outcome: string(r.Outcome), Check: r.FailedCheck, Replayed: true})
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
		dr.p.progress(Event{Phase: "build", Applied: label})
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
	dr.p.progress(Event{Phase: "done", Applied: label, Outcome: string(o), Check: rec.FailedCheck, Seconds: rec.Seconds})
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

// upstream is where a package's source lives.
type upstream struct {
	url    string
	subdir string // the module's directory within the repository ("" = root); release tags carry it as a prefix
}

// tag is the conventional tag of a release: the version, below the
// module's directory.
func (u upstream) tag(version string) string {
	if u.subdir == "" {
		return version
	}
	return u.subdir + "/" + version
}

// commits runs the commit level in up between dp's last good and first bad
// release, filling dp.Commits or, when it cannot run, dp.CommitNote.
func (dr *driller) commits(ctx context.Context, pinner manifests.Pinner, ch manifests.Change, up upstream, dp *reports.DrillPackage) {
	shown := oracles.Redact(up.url)
	note := func(err error) string { return strings.ReplaceAll(err.Error(), up.url, shown) }
	cctx, cancel := context.WithTimeout(ctx, cloneTimeout)
	repo, err := drill.Open(cctx, up.url, filepath.Join(dr.cacheDir(), "git"))
	cancel()
	if err != nil {
		dp.CommitNote = fmt.Sprintf("the repository %s could not be cloned: %s", shown, note(err))
		return
	}
	prefix := ""
	if up.subdir != "" {
		prefix = up.subdir + "/"
	}
	web := drill.WebURL(up.url)
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
		dp.Compare = web + "/compare/" + tagName(repo, prefix, dp.LastGood) + "..." + tagName(repo, prefix, dp.FirstBad)
	}
	dp.Changelog = drill.Changelog(bad, dp.FirstBad)
	chain, err := drill.FirstParent(good, bad)
	if err != nil {
		dp.CommitNote = err.Error()
		return
	}
	cd := &reports.CommitDrill{Repository: shown, FromTag: tagName(repo, prefix, dp.LastGood), ToTag: tagName(repo, prefix, dp.FirstBad), Searched: len(chain), Tested: []reports.CommitProbe{}}
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
		o, why := dr.judgeCommit(ctx, pinner, ch.Package, dp.FirstBad, up, c, work)
		cd.Tested = append(cd.Tested, reports.CommitProbe{Commit: describe(c, web), Outcome: string(o), Detail: why})
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
	lg, fb := describe(lastGood, web), describe(firstBad, web)
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
		d := describe(c, web)
		cd.Merged = append(cd.Merged, d)
		if d.PR != "" && !contains(cd.PRs, d.PR) {
			cd.PRs = append(cd.PRs, d.PR)
		}
	}
	line, err := drill.Linear(ctx, len(side), func(ctx context.Context, i int) bisect.Outcome { return probe(side[i]) })
	if err != nil || line.FirstBad >= len(side) || !line.Exact() {
		return
	}
	fb := describe(side[line.FirstBad], web)
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

// judgeCommit pins the package to an upstream commit: composer installs it
// from source at that commit, Go replaces the module with a work tree of
// it below work.
func (dr *driller) judgeCommit(ctx context.Context, pinner manifests.Pinner, pkg, standsFor string, up upstream, c *object.Commit, work string) (bisect.Outcome, string) {
	pin := manifests.Pin{Package: pkg, Version: standsFor}
	switch dr.p.diff.Ecosystem {
	case "gomod":
		dir := filepath.Join(work, c.Hash.String())
		if err := checkout(c, dir); err != nil {
			return bisect.Untestable, fmt.Sprintf("commit %s: %v", shortCommit(c), err)
		}
		pin.Dir = filepath.Join(dir, filepath.FromSlash(up.subdir))
	default:
		data, err := fileAt(c, "composer.json")
		if err != nil {
			return bisect.Untestable, fmt.Sprintf("commit %s: %v", shortCommit(c), err)
		}
		src := drill.Source(up.url, filepath.Join(dr.cacheDir(), "git"))
		entry, err := composer.CommitEntry(data, standsFor, src, c.Hash.String())
		if err != nil {
			return bisect.Untestable, err.Error()
		}
		pin.Entry = entry
	}
	return dr.judge(ctx, pinner, pin, "drill-commit", shortCommit(c))
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

// upstream maps the package to its repository: --repo-map first, then
// composer's source.url, or for Go the Origin the proxy records for the
// new version, else the github.com/owner/repo convention.
func (dr *driller) upstream(ctx context.Context, ch manifests.Change) (upstream, error) {
	if dr.p.diff.Ecosystem == "gomod" {
		if o, err := dr.origin(ctx, ch.Package, ch.To); err == nil && o.URL != "" {
			if u, ok := dr.o.RepoMap[ch.Package]; ok {
				return upstream{url: u, subdir: o.Subdir}, nil
			}
			return upstream{url: o.URL, subdir: o.Subdir}, nil
		}
		conv, convSub := hostConvention(ch.Package)
		if u, ok := dr.o.RepoMap[ch.Package]; ok {
			return upstream{url: u, subdir: convSub}, nil
		}
		if conv == "" {
			return upstream{}, fmt.Errorf("no repository known for %s (the proxy records no Origin): pass --repo-map %s=URL", ch.Package, ch.Package)
		}
		return upstream{url: conv, subdir: convSub}, nil
	}
	if u, ok := dr.o.RepoMap[ch.Package]; ok {
		return upstream{url: u}, nil
	}
	if ch.Source == "" {
		return upstream{}, fmt.Errorf("the lock records no source.url for %s: pass --repo-map %s=URL", ch.Package, ch.Package)
	}
	return upstream{url: ch.Source}, nil
}

// goOrigin is the provenance block of a proxy's .info file.
type goOrigin struct {
	VCS, URL, Subdir, Ref, Hash string
}

// origin reads $GOPROXY/<module>/@v/<version>.info and returns its Origin.
func (dr *driller) origin(ctx context.Context, mod, version string) (goOrigin, error) {
	proxy, err := dr.goproxy(ctx, mod)
	if err != nil {
		return goOrigin{}, err
	}
	esc, err := module.EscapePath(mod)
	if err != nil {
		return goOrigin{}, err
	}
	escV, err := module.EscapeVersion(version)
	if err != nil {
		return goOrigin{}, err
	}
	raw := proxy + "/" + esc + "/@v/" + escV + ".info"
	var data []byte
	if path, ok := strings.CutPrefix(raw, "file://"); ok {
		data, err = os.ReadFile(path)
	} else {
		data, err = httpGet(ctx, dr.client, raw)
	}
	if err != nil {
		return goOrigin{}, err
	}
	var info struct{ Origin *goOrigin }
	if err := json.Unmarshal(data, &info); err != nil {
		return goOrigin{}, fmt.Errorf("%s: %w", raw, err)
	}
	if info.Origin == nil {
		return goOrigin{}, fmt.Errorf("%s records no Origin", raw)
	}
	return *info.Origin, nil
}

func httpGet(ctx context.Context, client *http.Client, raw string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", raw, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

// hostConvention derives the repository of a module on a well-known host:
// github.com/o/r/sub/v2 lives in https://github.com/o/r, directory sub.
func hostConvention(mod string) (repo, subdir string) {
	if module.CheckPath(mod) != nil {
		return "", ""
	}
	parts := strings.Split(mod, "/")
	switch parts[0] {
	case "github.com", "gitlab.com", "bitbucket.org":
	default:
		return "", ""
	}
	if len(parts) < 3 {
		return "", ""
	}
	rest := parts[3:]
	if n := len(rest); n > 0 && semver.IsValid(rest[n-1]+".0.0") && strings.HasPrefix(rest[n-1], "v") {
		rest = rest[:n-1]
	}
	return "https://" + strings.Join(parts[:3], "/"), strings.Join(rest, "/")
}

// tagName is the tag a release resolves through, for links and the report.
func tagName(r *git.Repository, prefix, version string) string {
	bare := strings.TrimPrefix(version, "v")
	for _, name := range []string{prefix + version, prefix + "v" + bare, prefix + bare} {
		if _, err := r.Tag(name); err == nil {
			return name
		}
	}
	return prefix + version
}

func describe(c *object.Commit, web string) reports.Commit {
	d := drill.Describe(c, web)
	return reports.Commit{Hash: d.Hash, Subject: d.Subject, Author: d.Author, Date: d.Date, URL: d.URL, PR: d.PR, Merge: d.Merge}
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
