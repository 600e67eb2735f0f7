package hunt

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
	"sync"
	"sync/atomic"
	"time"

	"github.com/lockbisect/lockbisect/bisect"
	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/internal/redact"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/reports"
	"github.com/lockbisect/lockbisect/runners"
)

// prober turns the engine's applied sets into built, started and judged candidates.
type prober struct {
	set      manifests.Pair
	runner   runners.Runner
	oracle   oracles.Oracle
	cfg      *config.Config
	log      *slog.Logger
	progress func(Event)
	diff     *manifests.Diff
	prefix   string // directory of the lock within the project
	logDir   string
	settings string
	redact   *redactor
	workDir  bool // the oracle runs in the candidate's directory (runners.Request.WorkDir)

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
	// Output is the last lines of a failing oracle's own output (an exec
	// command's), redacted: the context of its failing check.
	Output string `json:"output,omitempty"`
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

func (p *prober) trial(ctx context.Context, applied []string) bisect.Trial {
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
		for i := range data.Failures {
			data.Failures[i].Detail = p.redact.String(data.Failures[i].Detail)
		}
		data.Output = p.redact.String(data.Output)
		raw, _ := json.Marshal(data)
		return bisect.Trial{Outcome: o, FailedCheck: check, Detail: p.redact.String(detail), Data: raw}
	}
	data.Candidate = c.Hash()
	data.Log = filepath.Join(p.logDir, data.Candidate[:12]+".log")
	logf, err := os.OpenFile(data.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return bisect.Trial{Err: fmt.Errorf("probe log: %w", err)}
	}
	defer logf.Close()
	// What the build and the server print goes through the redactor
	// before it reaches the log file; the deferred Flush runs after Stop.
	logs := p.redact.Writer(logf)
	defer logs.Flush()
	inst, err := p.runner.Start(ctx, runners.Request{Candidate: c, Validate: validate, Logs: logs, WorkDir: p.workDir})
	switch {
	case err == nil:
	case errors.Is(err, runners.ErrSetup) && ctx.Err() == nil:
		return bisect.Trial{Err: err}
	case errors.Is(err, runners.ErrBuild):
		// A build that ran and failed is a build all the same.
		p.builds.Add(1)
		data.BuildFailed = true
		if p.cfg.Search.BuildFailure == "bad" {
			// The failed build is the failing check: the report's evidence
			// and old-fails' list show it like any other.
			// The failed build is bad here, not untestable: drop that word.
			msg := strings.TrimPrefix(err.Error(), runners.ErrUntestable.Error()+": ")
			data.Failures = []reports.Check{{ID: "build", Detail: redact.String(msg)}}
			return trial(bisect.Bad, "build", msg)
		}
		return trial(bisect.Untestable, "", err.Error())
	case errors.Is(err, runners.ErrUntestable):
		return trial(bisect.Untestable, "", err.Error())
	default:
		p.retried.Add(1)
		p.log.Warn("probe to be retried", "candidate", data.Candidate, "err", p.redact.String(err.Error()))
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
	p.progress(Event{Phase: PhaseOracle, Applied: label})
	octx, cancel := context.WithTimeout(ctx, p.cfg.Oracle.Timeout+oracleGrace)
	defer cancel()
	t0 := time.Now()
	v, err := p.oracle.Check(octx, oracles.Target{BaseURL: inst.BaseURL, Host: inst.Host, Port: inst.Port, Dir: inst.Dir, Env: inst.Env})
	data.Oracle = time.Since(t0).Seconds()
	if inst.Intact != nil {
		if ierr := inst.Intact(ctx); ierr != nil {
			if errors.Is(ierr, runners.ErrSetup) && ctx.Err() == nil {
				// The cluster itself is gone: no retry can help.
				return bisect.Trial{Err: ierr}
			}
			p.retried.Add(1)
			p.log.Warn("probe to be retried", "candidate", data.Candidate, "node", inst.Node, "err", p.redact.String(ierr.Error()))
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
			data.Failures = append(data.Failures, reports.Check{ID: ch.ID, Detail: ch.Detail, Spec: ch.Spec, Profile: ch.Profile, Client: ch.Client})
		}
	}
	if f := v.Failed(); f != nil {
		data.Output = lastLines(v.Output, outputLines)
		return trial(bisect.Bad, f.ID, f.Detail)
	}
	return trial(bisect.Good, "", "")
}

// outputLines is how many lines of a failing oracle's output a probe keeps.
const outputLines = 20

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
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
