package hunt

import (
	"bytes"
	"context"
	"crypto/rand"
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
	"sync"
	"sync/atomic"
	"time"

	"github.com/lockbisect/lockbisect/bisect"
	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/reports"
	"github.com/lockbisect/lockbisect/runners"
)

// Options are the inputs of one run.
type Options struct {
	LockOld, LockNew string // lock references (path or REV:PATH)
	Repo             string // git repository for REV:PATH references
	Config           *config.Config
	Ecosystems       []manifests.Ecosystem
	Resume           string // journal of an interrupted run: replayed, then appended to; "" = a new journal
	Keep             bool   // keep work directories (and, for docker, containers' images are kept anyway)
	DryRun           bool   // load, diff and couple only
	RunDir           string // journal and logs; "" = <user cache dir>/lockbisect/runs/<run id>
	Command          string // the command line, for the report
	Logger           *slog.Logger
	// Progress, if set, is told about every probe as it starts and ends.
	Progress func(Event)
	// RepoMap maps a package to its upstream repository URL for the
	// drill-down (--repo-map), overriding what the lock or the proxy says.
	RepoMap map[string]string
	// CacheDir holds the drill-down's clones and work trees; "" = <user
	// cache dir>/lockbisect.
	CacheDir string
}

// Event is a progress notice about one probe.
type Event struct {
	Phase    string   // build (building and starting the candidate), oracle, done
	Round    int      // 0 when not known (oracle phase)
	Applied  []string // packages
	Total    int      // packages in the diff
	Expected int      // probes a single-culprit search needs (an estimate)
	Outcome  string   // done: good, bad, untestable, error
	Check    string   // done: the first failing fatal check
	Seconds  float64
	Replayed bool // done: taken from the journal
}

// ExpectedProbes estimates the probes of a search over n units with one
// culprit: 2 baselines, ceil(log2 n) splits, a confirmation and a check of
// the remainder.
func ExpectedProbes(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	return 4 + k
}

// Run performs the whole job and returns the report. Verdicts are in the
// report; an error means the run itself could not be carried out.
func Run(ctx context.Context, o Options) (*reports.Report, error) {
	cfg := o.Config
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	project, _, err := projectDir(o)
	if err != nil {
		return nil, err
	}
	if err := preflight(ctx, o, project); err != nil {
		return nil, err
	}
	l, err := Load(ctx, o)
	if err != nil {
		return nil, err
	}
	set, lockDir := l.Set, l.LockDir
	d := set.Diff()
	rep := &reports.Report{
		Question: reports.Question{
			LockOld: o.LockOld, LockNew: o.LockNew, Runner: cfg.Runner.Kind,
			Oracle: cfg.Oracle.Kind, Profile: profile(cfg), Command: o.Command,
		},
		Ecosystem: d.Ecosystem,
		Changes:   d.Changes,
		Units:     d.Units,
		Edges:     d.Edges,
	}
	if len(d.Changes) == 0 {
		rep.Verdict = string(bisect.NoChanges)
		return rep, nil
	}
	if o.DryRun {
		return rep, nil
	}

	runDir := o.RunDir
	if runDir == "" {
		runDir, err = defaultRunDir()
		if err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(runDir, "logs"), 0o755); err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	journalPath := filepath.Join(runDir, "journal.jsonl")
	var replay []bisect.Record
	if o.Resume != "" {
		journalPath = o.Resume
		replay, err = readJournal(o.Resume)
		if err != nil {
			return nil, err
		}
		log.Info("resuming", "journal", o.Resume, "known probes", len(replay))
	}
	journal, err := os.OpenFile(journalPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer journal.Close()
	log.Info("run", "journal", journalPath, "logs", filepath.Join(runDir, "logs"))

	runner, closeRunner, err := newRunner(ctx, cfg, project, filepath.Base(runDir), o, log)
	if err != nil {
		return nil, err
	}
	defer closeRunner()
	oracle, err := oracles.New(cfg.Oracle, log)
	if err != nil {
		return nil, err
	}

	progress := func(e Event) {
		if o.Progress != nil {
			e.Total, e.Expected = len(d.Changes), ExpectedProbes(len(d.Units))
			o.Progress(e)
		}
	}
	p := &prober{
		set: set, runner: runner, oracle: oracle, cfg: cfg, log: log, progress: progress, diff: d,
		prefix: lockDir, logDir: filepath.Join(runDir, "logs"),
		settings: settingsHash(cfg), cands: map[string]*manifests.Candidate{},
	}
	units := make([]string, len(d.Units))
	for i, u := range d.Units {
		units[i] = u.ID
	}
	start := time.Now()
	res, err := bisect.Run(ctx, bisect.Config{
		Units:    units,
		Requires: d.Requires(),
		Probe:    p.probe,
		Key:      p.key,
		Repeat:   cfg.Search.Repeat,
		Workers:  cfg.Search.Parallel,
		Retries:  engineRetries(cfg.Search.Retries),
		Journal:  journal,
		Replay:   replay,
		OnStart: func(round int, applied []string) {
			progress(Event{Phase: "build", Round: round, Applied: packagesOf(d, applied)})
		},
		OnProbe: func(r bisect.Record) {
			progress(Event{Phase: "done", Round: r.Round, Applied: packagesOf(d, r.Applied),
				Outcome: string(r.Outcome), Check: r.FailedCheck, Seconds: r.Seconds, Replayed: r.Replayed})
		},
	})
	if err != nil {
		return nil, err
	}
	fill(rep, d, res, time.Since(start))
	if res.Verdict == bisect.Culprit && cfg.Search.Drill != "none" {
		dr := &driller{p: p, o: o, log: log, env: l.Env, project: project, journal: journal, replay: replay}
		rep.Drill = dr.run(ctx, rep, res)
		if err := ctx.Err(); err != nil {
			// Interrupted while drilling: the journal holds every probe so
			// far, and --resume replays them.
			return nil, err
		}
	}
	rep.Summary.Builds = int(p.builds.Load())
	rep.Summary.Retried = int(p.retried.Load())
	rep.Summary.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// Loaded is an opened pair of locks and where their project lives.
type Loaded struct {
	Set     manifests.Set
	Project string   // absolute project directory
	LockDir string   // directory of the new lock within the project ("" at its root)
	Env     []string // runner.env rendered for the project: what the tool's own go and composer commands see
}

// Load resolves the project, renders runner.env for the go and composer
// commands the tool runs itself (with {{.Dir}} the project directory), and
// loads, diffs and couples the two locks.
func Load(ctx context.Context, o Options) (*Loaded, error) {
	project, lockDir, err := projectDir(o)
	if err != nil {
		return nil, err
	}
	env, err := runners.Environ(o.Config.Runner.Env, runners.Vars{Host: "127.0.0.1", Dir: project})
	if err != nil {
		return nil, fmt.Errorf("runner.env: %w", err)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	set, err := manifests.Load(ctx, o.Ecosystems, o.LockOld, o.LockNew, o.Repo, manifests.Options{Env: env, Logger: log})
	if err != nil {
		return nil, err
	}
	return &Loaded{Set: set, Project: project, LockDir: lockDir, Env: env}, nil
}

// projectDir resolves the project directory (config, else the directory of
// the new lock) and the directory of the lock within it ("" at its root).
func projectDir(o Options) (project, lockDir string, err error) {
	rev, p := manifests.SplitRef(o.LockNew)
	dir := filepath.Dir(p)
	if rev != "" {
		dir = filepath.Join(o.Repo, dir)
	}
	project = o.Config.Project
	if project == "" {
		project = dir
	}
	if project, err = filepath.Abs(project); err != nil {
		return "", "", err
	}
	if fi, err := os.Stat(project); err != nil || !fi.IsDir() {
		return "", "", fmt.Errorf("project %s: not a directory (set project: in the config)", project)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	rel, err := filepath.Rel(project, absDir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", "", fmt.Errorf("the new lock %s lies outside the project %s: candidates are written into the project (set project: to a directory that contains it)", o.LockNew, project)
	}
	if rel == "." {
		rel = ""
	}
	return project, filepath.ToSlash(rel), nil
}

func defaultRunDir() (string, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return filepath.Join(runsParent(), time.Now().UTC().Format("20060102-150405")+"-"+hex.EncodeToString(b[:])), nil
}

// runsParent holds the run directories: <user cache dir>/lockbisect/runs.
func runsParent() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "lockbisect", "runs")
}

func readJournal(path string) ([]bisect.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	defer f.Close()
	recs, err := bisect.ReadJournal(f)
	if err != nil {
		return nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	return recs, nil
}

// engineRetries maps search.retries (0 = none) to the engine's Retries
// (0 = its default, negative = none).
func engineRetries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

func profile(cfg *config.Config) string {
	if cfg.Oracle.Kind == "mcp" {
		return cfg.Oracle.Profile
	}
	return ""
}

// settingsHash is the part of a memo key that is not the candidate's files:
// everything that changes how a candidate is built or judged.
func settingsHash(cfg *config.Config) string {
	b, _ := json.Marshal(struct {
		R config.Runner
		O config.Oracle
	}{cfg.Runner, cfg.Oracle})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// oracleGrace is how long past oracle.timeout the hunt waits for an oracle.
// The oracle owns its timeout (oracle.timeout_is_untestable decides what a
// hang is); cutting it off at the same instant would turn every hang into
// an error, retried into untestable. The grace only stops an oracle that
// ignores its own deadline.
const oracleGrace = 30 * time.Second

// prober turns the engine's applied sets into built, started and judged candidates.
type prober struct {
	set      manifests.Set
	runner   runners.Runner
	oracle   oracles.Oracle
	cfg      *config.Config
	log      *slog.Logger
	progress func(Event)
	diff     *manifests.Diff
	prefix   string // directory of the lock within the project
	logDir   string
	settings string

	mu    sync.Mutex
	cands map[string]*manifests.Candidate // applied ids joined → candidate

	// builds counts the candidates built in this run: every trial that
	// started a candidate not in the runner's cache (the local runner
	// builds afresh for each trial).
	builds atomic.Int64
	// retried counts the trials that failed for infrastructure reasons
	// (the runner's own trouble, such as a swarm node that went down):
	// the engine retries them, and they never become a verdict.
	retried atomic.Int64
}

// probeData is what the journal keeps of a probe beyond the engine's record.
type probeData struct {
	Candidate string          `json:"candidate"`
	Build     float64         `json:"build_seconds"`
	Oracle    float64         `json:"oracle_seconds"`
	Cached    bool            `json:"cached"`
	Node      string          `json:"node,omitempty"` // swarm: the node that served it
	Log       string          `json:"log,omitempty"`
	Failures  []reports.Check `json:"failures,omitempty"` // failing fatal checks
	// BuildFailed: the candidate's build ran and failed (runners.ErrBuild).
	BuildFailed bool `json:"build_failed,omitempty"`
}

// candidate returns the candidate for the applied set, its files placed at
// the lock's directory within the project.
func (p *prober) candidate(applied []string) (*manifests.Candidate, error) {
	k := strings.Join(applied, ",")
	p.mu.Lock()
	c, ok := p.cands[k]
	p.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := p.set.Candidate(applied)
	if err != nil {
		return nil, err
	}
	c = p.place(c)
	p.mu.Lock()
	p.cands[k] = c
	p.mu.Unlock()
	return c, nil
}

// place moves a candidate's files to the lock's directory within the project.
func (p *prober) place(c *manifests.Candidate) *manifests.Candidate {
	if p.prefix == "" {
		return c
	}
	files := map[string][]byte{}
	for name, b := range c.Files {
		files[p.prefix+"/"+name] = b
	}
	return &manifests.Candidate{Applied: c.Applied, Files: files}
}

func (p *prober) key(applied []string) string {
	c, err := p.candidate(applied)
	if err != nil {
		h := sha256.Sum256([]byte(strings.Join(applied, ",")))
		return "infeasible-" + hex.EncodeToString(h[:16])
	}
	return c.Hash() + "-" + p.settings
}

func (p *prober) probe(ctx context.Context, applied []string) bisect.Trial {
	c, err := p.candidate(applied)
	if err != nil {
		empty, _ := json.Marshal(probeData{})
		if errors.Is(err, manifests.ErrInfeasible) {
			return bisect.Trial{Outcome: bisect.Untestable, Detail: err.Error(), Data: empty}
		}
		// Writing a candidate from two loaded locks fails only on the
		// tool's side: no retry can help.
		return bisect.Trial{Err: fmt.Errorf("candidate %v: %w", packagesOf(p.diff, applied), err)}
	}
	validate := func(ctx context.Context, dir string) error {
		return p.set.Validate(ctx, filepath.Join(dir, p.prefix), c)
	}
	return p.judge(ctx, c, validate, packagesOf(p.diff, applied))
}

// judge builds, starts and judges one candidate; validate checks its
// prepared work directory, and label names it in progress events.
func (p *prober) judge(ctx context.Context, c *manifests.Candidate, validate func(ctx context.Context, dir string) error, label []string) bisect.Trial {
	var data probeData
	trial := func(o bisect.Outcome, check, detail string) bisect.Trial {
		raw, _ := json.Marshal(data)
		return bisect.Trial{Outcome: o, FailedCheck: check, Detail: oracles.Redact(detail), Data: raw}
	}
	data.Candidate = c.Hash()
	data.Log = filepath.Join(p.logDir, data.Candidate[:12]+".log")
	logf, err := os.OpenFile(data.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return bisect.Trial{Err: fmt.Errorf("probe log: %w", err)}
	}
	defer logf.Close()
	inst, err := p.runner.Start(ctx, runners.Probe{Candidate: c, Validate: validate, Logs: logf})
	switch {
	case err == nil:
	case errors.Is(err, runners.ErrSetup) && ctx.Err() == nil:
		return bisect.Trial{Err: err}
	case errors.Is(err, runners.ErrBuild):
		data.BuildFailed = true
		if p.cfg.Search.BuildFailure == "bad" {
			// The failed build is the failing check: the report's evidence
			// and old-fails' list show it like any other.
			// The failed build is bad here, not untestable: drop that word.
			msg := strings.TrimPrefix(err.Error(), runners.ErrUntestable.Error()+": ")
			data.Failures = []reports.Check{{ID: "build", Detail: oracles.Redact(msg)}}
			return trial(bisect.Bad, "build", msg)
		}
		return trial(bisect.Untestable, "", err.Error())
	case errors.Is(err, runners.ErrUntestable):
		return trial(bisect.Untestable, "", err.Error())
	default:
		p.retried.Add(1)
		return trial(bisect.Error, "", err.Error())
	}
	defer func() {
		if err := inst.Stop(context.WithoutCancel(ctx)); err != nil {
			p.log.Warn("stop candidate", "candidate", data.Candidate[:12], "err", err)
		}
	}()
	data.Build, data.Cached, data.Node = inst.BuildSeconds, inst.Cached, inst.Node
	if !inst.Cached {
		p.builds.Add(1)
	}
	p.progress(Event{Phase: "oracle", Applied: label})
	octx, cancel := context.WithTimeout(ctx, p.cfg.Oracle.Timeout+oracleGrace)
	defer cancel()
	t0 := time.Now()
	v, err := p.oracle.Check(octx, oracles.Target{BaseURL: inst.BaseURL, Host: inst.Host, Port: inst.Port, Dir: inst.Dir, Env: inst.Env})
	data.Oracle = time.Since(t0).Seconds()
	if inst.Intact != nil {
		if ierr := inst.Intact(ctx); ierr != nil {
			p.retried.Add(1)
			return trial(bisect.Error, "", "the candidate's server was disturbed during the oracle: "+ierr.Error())
		}
	}
	switch {
	case err != nil:
		return trial(bisect.Error, "", err.Error())
	case v.Untestable:
		return trial(bisect.Untestable, "", v.Output)
	}
	for _, ch := range v.Checks {
		if ch.Severity == oracles.Fatal && ch.Status == oracles.Fail {
			data.Failures = append(data.Failures, reports.Check{ID: ch.ID, Detail: ch.Detail, Spec: ch.Spec})
		}
	}
	if f := v.Failed(); f != nil {
		return trial(bisect.Bad, f.ID, f.Detail)
	}
	return trial(bisect.Good, "", "")
}

// packagesOf maps unit ids to their packages, sorted.
func packagesOf(d *manifests.Diff, units []string) []string {
	var pkgs []string
	for _, id := range units {
		if u := d.Unit(id); u != nil {
			pkgs = append(pkgs, u.Packages...)
		}
	}
	sort.Strings(pkgs)
	return pkgs
}

// fill copies the search's result into the report.
func fill(rep *reports.Report, d *manifests.Diff, res *bisect.Result, elapsed time.Duration) {
	rep.Verdict = string(res.Verdict)
	rep.Detail = res.Detail
	if res.Verdict == bisect.OldUntestable || res.Verdict == bisect.NewUntestable {
		rep.Detail = baselineDetail(res)
	}
	rep.Summary.Rounds = res.Rounds
	rep.Summary.Seconds = elapsed.Seconds()
	for _, r := range res.Probes {
		rep.Probes = append(rep.Probes, reportProbe(d, r))
		if !r.Replayed {
			rep.Summary.Probes++
		}
	}
	for _, set := range res.Culprits {
		cu := reports.Culprit{Units: set.Units, Packages: packagesOf(d, set.Units), Untestable: packagesOf(d, set.Untestable)}
		for _, pkg := range cu.Packages {
			cu.Changes = append(cu.Changes, *d.Change(pkg))
		}
		cu.Evidence = evidence(set.Confirm)
		rep.Culprits = append(rep.Culprits, cu)
	}
	ids := make([]string, 0, len(res.Innocent))
	for id := range res.Innocent {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, pkg := range packagesOf(d, []string{id}) {
			rep.Eliminated = append(rep.Eliminated, reports.Eliminated{Package: pkg, Why: res.Innocent[id]})
		}
	}
	sort.Slice(rep.Eliminated, func(i, j int) bool { return rep.Eliminated[i].Package < rep.Eliminated[j].Package })
	rep.Untestable = packagesOf(d, res.Untestable)
	for _, r := range res.Evidence {
		rep.Flaky = append(rep.Flaky, reportProbe(d, r))
	}
	if res.Verdict == bisect.OldFails {
		for _, r := range res.Probes {
			if len(r.Applied) == 0 {
				var pd probeData
				_ = json.Unmarshal(r.Data, &pd)
				rep.OldFailures = pd.Failures
				break
			}
		}
	}
}

// baselineDetail says why a baseline could not be judged: the probe's own
// detail (the build's or the server's last output, the static check's
// reason, the oracle's error), and for a new lock whose build failed how to
// bisect that failure instead. The verdict's sentence says the rest.
func baselineDetail(res *bisect.Result) string {
	purpose := "baseline-old"
	if res.Verdict == bisect.NewUntestable {
		purpose = "baseline-new"
	}
	for _, r := range res.Probes {
		if r.Purpose != purpose {
			continue
		}
		detail := r.Detail
		if detail == "" {
			detail = res.Detail
		}
		var pd probeData
		_ = json.Unmarshal(r.Data, &pd)
		if pd.BuildFailed && res.Verdict == bisect.NewUntestable {
			detail += "\nIf this build failure is the regression, bisect it: run again with --build-failure bad (search.build_failure: bad)."
		}
		return detail
	}
	return res.Detail
}

func reportProbe(d *manifests.Diff, r bisect.Record) reports.Probe {
	var pd probeData
	_ = json.Unmarshal(r.Data, &pd)
	return reports.Probe{
		Round: r.Round, Applied: packagesOf(d, r.Applied), Outcome: string(r.Outcome),
		Candidate: short(pd.Candidate), Seconds: r.Seconds, BuildSeconds: pd.Build, OracleSeconds: pd.Oracle,
		Cached: pd.Cached, Node: pd.Node, Replayed: r.Replayed, FailedCheck: r.FailedCheck, Detail: r.Detail,
	}
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// evidence is the failing check and log tail of the probe that confirmed
// the culprit set alone is bad.
func evidence(confirm bisect.Record) *reports.Evidence {
	if confirm.Outcome != bisect.Bad {
		return nil
	}
	var pd probeData
	_ = json.Unmarshal(confirm.Data, &pd)
	ev := &reports.Evidence{LogTail: oracles.Redact(tail(pd.Log, 20))}
	if len(pd.Failures) > 0 {
		ev.Check = &pd.Failures[0]
	}
	return ev
}

// tail returns the last n lines of a file ("" if it cannot be read).
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
