package hunt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lockbisect/lockbisect/bisect"
	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/internal/quote"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/reports"
	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/local"
)

// Options are the inputs of one run.
type Options struct {
	LockOld, LockNew string // lock references (path or REV:PATH)
	Repo             string // git repository for REV:PATH references
	// Source is where the project's files come from (--source): a
	// revision, whose tree is written out for the run, or SourceWorktree
	// for the files on disk; "" = the revision of a REV:PATH LockNew,
	// else the work tree.
	Source     string
	Config     *config.Config
	Ecosystems []manifests.Ecosystem
	Resume     string // journal of an interrupted run: replayed, then appended to; "" = a new journal
	Keep       bool   // keep work directories (and, for docker, containers' images are kept anyway)
	DryRun     bool   // load, diff and couple only
	RunDir     string // journal and logs; "" = <user cache dir>/lockbisect/runs/<run id>
	Command    string // the command line, for the report
	ConfigFile string // the --config path as given, for the report's reproduce command; "" = none
	Logger     *slog.Logger
	// Progress, if set, is told about every probe as it starts and ends.
	Progress func(Event)
	// RepoMap maps a package to its upstream repository URL for the
	// drill-down (--repo-map), overriding what the lock or the proxy says.
	RepoMap map[string]string
	// CacheDir holds the drill-down's clones and work trees; "" = <user
	// cache dir>/lockbisect.
	CacheDir string
	// Kinds are the runners and oracles Config may name.
	Kinds config.Kinds
	// Runner and Oracle, when set, stand in for the configured kinds
	// (tests judge the whole run with fakes).
	Runner runners.Runner
	Oracle oracles.Oracle
}

// Phase is where a probe stands in a progress notice.
type Phase string

// The phases of a probe.
const (
	PhaseBuild  Phase = "build" // building and starting the candidate
	PhaseOracle Phase = "oracle"
	PhaseDone   Phase = "done"
)

// Event is a progress notice about one probe.
type Event struct {
	Phase    Phase
	Round    int            // 0 when not known (oracle phase)
	Applied  []string       // packages
	Total    int            // packages in the diff
	Expected int            // probes a single-culprit search needs (an estimate)
	Outcome  bisect.Outcome // done: good, bad, untestable, error
	Check    string         // done: the first failing fatal check
	Seconds  float64
	Replayed bool // done: taken from the journal
	Refused  bool // done: the ecosystem's tools refused the candidate before anything was built (a skip, not a probe)
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
// report; an error means the run itself could not be carried out. The
// run's secrets (see runners.Config.PublicEnv) are redacted from the
// report, the error, the log, the journal and the candidates' logs.
func Run(ctx context.Context, o Options) (*reports.Report, error) {
	red := newRedactor(o.Config, o.Ecosystems)
	if o.Logger != nil {
		o.Logger = red.Logger(o.Logger)
	}
	rep, journal, err := run(ctx, o, red)
	if err != nil {
		return nil, red.Error(err)
	}
	red.Report(rep)
	if journal != "" {
		if err := appendReport(journal, rep); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func run(ctx context.Context, o Options, red *redactor) (_ *reports.Report, journal string, err error) {
	cfg := o.Config
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := checkTempDir(); err != nil {
		return nil, "", err
	}
	// The run's own directory below the local runner's root: the
	// source tree, the runners' work directories and the ecosystems'
	// temporary files, all swept should the run be killed.
	owned, err := local.Own(ctx, "", o.Keep, log)
	if err != nil {
		return nil, "", err
	}
	defer func() {
		if o.Keep {
			log.Info("kept", "dir", owned.Dir)
			return
		}
		if err := owned.Close(); err != nil {
			log.Warn("remove the run's temporary directory", "err", err)
		}
	}()
	src, err := openSource(ctx, o, owned.Dir, log)
	if err != nil {
		return nil, "", err
	}
	if err := preflight(ctx, o, src.project); err != nil {
		return nil, "", err
	}
	l, err := load(ctx, o, src, owned.Dir)
	if err != nil {
		return nil, "", err
	}
	if src.note != "" {
		log.Info(src.note)
	}
	set := l.Set
	d := set.Diff()
	rep := &reports.Report{
		Question: reports.Question{
			LockOld: o.LockOld, LockNew: o.LockNew, Runner: cfg.Runner.Kind,
			Oracle: cfg.Oracle.Kind, Profile: profile(o), Command: o.Command,
			Subject: subject(o), Unbuilt: unbuilt(o), OracleCommand: oracleCommand(o, src.shown),
			Source: &src.info,
		},
		Ecosystem:    d.Ecosystem,
		Changes:      d.Changes,
		Units:        d.Units,
		Edges:        d.Edges,
		Repositories: repositories(set, d.Changes),
	}
	if len(d.Changes) == 0 {
		rep.Verdict = string(bisect.NoChanges)
		return rep, "", nil
	}
	if o.DryRun {
		return rep, "", nil
	}

	s, err := setup(ctx, o, l, src, owned, red, log)
	if err != nil {
		return nil, "", err
	}
	defer s.close()
	start := time.Now()
	res, err := s.search(ctx)
	if err != nil {
		return nil, "", &Stopped{Err: err, Journal: s.journal.Name()}
	}
	fill(rep, d, res, time.Since(start))
	commands(ctx, set, rep, log)
	if res.Verdict == bisect.Culprit && cfg.Search.Drill != config.DrillNone {
		dr := &driller{p: s.p, o: o, log: log, journal: s.journal, replay: s.replay}
		rep.Drill = dr.run(ctx, rep, res)
		if err := ctx.Err(); err != nil {
			// Interrupted while drilling: the journal holds every probe so
			// far, and --resume replays them.
			return nil, "", &Stopped{Err: err, Journal: s.journal.Name()}
		}
	}
	if !rep.Question.Unbuilt {
		rep.Summary.Builds = int(s.p.builds.Load())
	}
	rep.Summary.Retried = int(s.p.retried.Load())
	rep.Summary.Seconds = time.Since(start).Seconds()
	return rep, s.journal.Name(), nil
}

// Stopped is a run that stopped before its verdict, interrupted or
// because a probe could not even be tried: its journal keeps every probe
// so far, and --resume continues from there.
type Stopped struct {
	Err     error
	Journal string
}

func (e *Stopped) Error() string { return e.Err.Error() }
func (e *Stopped) Unwrap() error { return e.Err }

// session is what the probes of one run share: the journal (with what it
// replays), the runner and oracle behind the prober, and what releases
// them.
type session struct {
	p       *prober
	journal *os.File
	replay  []bisect.Record
	closers []func()
}

func (s *session) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// setup makes the run directory, opens (or resumes) the journal, and
// starts the runner and the oracle.
func setup(ctx context.Context, o Options, l *Loaded, src *source, owned *local.Owned, red *redactor, log *slog.Logger) (_ *session, err error) {
	cfg := o.Config
	runDir := o.RunDir
	if runDir == "" {
		if runDir, err = defaultRunDir(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(runDir, "logs"), 0o755); err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	journalPath := filepath.Join(runDir, "journal.jsonl")
	if o.Resume != "" {
		journalPath = o.Resume
	}
	header, err := runHeader(ctx, o, src)
	if err != nil {
		return nil, err
	}
	s := &session{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	for _, dir := range []string{runDir, filepath.Dir(journalPath)} {
		unlock, err := lockDir(dir)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, unlock)
	}
	if s.journal, s.replay, err = openJournal(journalPath, o.Resume != "", header, log); err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() { s.journal.Close() })
	if o.Resume != "" {
		log.Info("resuming", "journal", o.Resume, "known probes", len(s.replay))
	}
	log.Info("run", "journal", journalPath, "logs", filepath.Join(runDir, "logs"))

	runner, oracle := o.Runner, o.Oracle
	if runner == nil {
		r, closeRunner, err := newRunner(ctx, o, l.Project, runners.Options{
			RunID: filepath.Base(runDir), Project: filepath.Base(src.shown), Keep: o.Keep, Logger: log, TempDir: owned.Dir,
		})
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, closeRunner)
		runner = r
	}
	if oracle == nil {
		if oracle, err = NewOracle(o.Kinds.Oracles, cfg.Oracle, log); err != nil {
			return nil, err
		}
	}
	d := l.Set.Diff()
	progress := func(e Event) {
		if o.Progress != nil {
			e.Total, e.Expected = len(d.Changes), ExpectedProbes(len(d.Units))
			o.Progress(e)
		}
	}
	s.p = &prober{
		set: l.Set, runner: runner, oracle: oracle, cfg: cfg, log: log, progress: progress, diff: d,
		prefix: l.LockDir, logDir: filepath.Join(runDir, "logs"), redact: red,
		settings: settingsHash(cfg), cands: map[string]*manifests.Candidate{},
		workDir: o.Kinds.Oracle(cfg).Serverless,
	}
	return s, nil
}

// search runs the engine over the pair's units, every probe through the
// prober and into the journal.
func (s *session) search(ctx context.Context) (*bisect.Result, error) {
	p, d, cfg := s.p, s.p.diff, s.p.cfg
	units := make([]string, len(d.Units))
	for i, u := range d.Units {
		units[i] = u.ID
	}
	return bisect.Run(ctx, bisect.Config{
		Units:    units,
		Requires: d.Requires(),
		Trial:    p.trial,
		Key:      p.key,
		Repeat:   cfg.Search.Repeat,
		Workers:  cfg.Search.Parallel,
		Retries:  engineRetries(cfg.Search.Retries),
		Journal:  s.journal,
		Replay:   s.replay,
		OnStart: func(round int, applied []string) {
			p.progress(Event{Phase: PhaseBuild, Round: round, Applied: packagesOf(d, applied)})
		},
		OnProbe: func(r bisect.Record) {
			p.progress(Event{Phase: PhaseDone, Round: r.Round, Applied: packagesOf(d, r.Applied),
				Outcome: r.Outcome, Check: r.FailedCheck, Seconds: r.Seconds, Replayed: r.Replayed})
		},
	})
}

// Loaded is an opened pair of locks and where their project lives.
type Loaded struct {
	Set     manifests.Pair
	Project string   // absolute project directory
	LockDir string   // directory of the new lock within the project ("" at its root)
	Env     []string // runner.env rendered for the project: what the tool's own go and composer commands see
}

// Load resolves the project on disk (Options.Source is not read: this
// is `bisect diff`'s view, which builds nothing), renders runner.env for
// the go and composer commands the tool runs itself (with {{.Dir}} the
// project directory), and loads, diffs and couples the two locks.
func Load(ctx context.Context, o Options) (*Loaded, error) {
	project, lockDir, err := projectDir(o)
	if err != nil {
		return nil, err
	}
	return load(ctx, o, &source{project: project, lockDir: lockDir}, "")
}

// load is Load in the project of a run's source, the ecosystems'
// temporary files in tmp ("" = the system's temporary directory).
func load(ctx context.Context, o Options, src *source, tmp string) (*Loaded, error) {
	project, lockDir := src.project, src.lockDir
	env, err := runners.Environ(o.Config.Runner.Env, runners.Vars{Host: "127.0.0.1", Dir: project})
	if err != nil {
		return nil, fmt.Errorf("runner.env: %w", err)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	set, err := manifests.Load(ctx, o.Ecosystems, o.LockOld, o.LockNew, o.Repo, manifests.Options{Env: env, Logger: log, LockDir: lockDir, Project: project, NewDir: src.newDir, TempDir: tmp, ReleaseRepo: o.Config.Search.ComposerRepo})
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

// engineRetries maps search.retries (0 = none) to the engine's Retries
// (0 = its default, negative = none).
func engineRetries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// profile is the client profiles an oracle that judges as clients judges
// as (reports.Question.Profile); "" for the others.
func profile(o Options) string {
	if o.Kinds.Oracle(o.Config).Profiles {
		return strings.Join(o.Config.Oracle.Profile, ",")
	}
	return ""
}

// subject is what the oracle judges (reports.Question.Subject): a test
// suite when a serverless (exec) oracle runs with nothing served.
func subject(o Options) string {
	cfg, oracle := o.Config, o.Kinds.Oracle(o.Config)
	switch {
	case oracle.Profiles:
		return reports.SubjectServer
	case oracle.Serverless && cfg.Runner.Start == "" && !o.Kinds.Runner(cfg).Image:
		return reports.SubjectTests
	}
	return reports.SubjectCheck
}

// unbuilt says that the runner neither builds nor starts anything: each
// probe only lays out a candidate's files for the oracle.
func unbuilt(o Options) bool {
	cfg := o.Config
	return !o.Kinds.Runner(cfg).Image && len(cfg.Runner.Build) == 0 && cfg.Runner.Start == ""
}

// oracleCommand is the bisect oracle command that judges a candidate as
// the run does: with the run's config (its oracle.path joined to --url),
// against a served candidate's URL with PORT for its port, an exec
// command in the project. "" for mcp, whose reproduce line the report
// derives from the failing rule's client profile.
func oracleCommand(o Options, project string) string {
	oracle := o.Kinds.Oracle(o.Config)
	if oracle.Profiles {
		return ""
	}
	argv := []string{"bisect", "oracle"}
	if o.ConfigFile != "" {
		argv = append(argv, "--config", o.ConfigFile)
	}
	if subject(o) != reports.SubjectTests {
		argv = append(argv, "--url", "http://127.0.0.1:PORT")
	}
	if oracle.Serverless {
		dir := project
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, project); err == nil && !strings.HasPrefix(rel, "..") {
				dir = rel
			}
		}
		argv = append(argv, "--dir", dir)
	}
	return quote.Shell(argv...)
}
