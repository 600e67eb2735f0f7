package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lockbisect/lockbisect/internal/hunt"
	"github.com/lockbisect/lockbisect/internal/quote"
	"github.com/lockbisect/lockbisect/internal/redact"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/reports"
)

type runOptions struct {
	lockOld, lockNew, repo string
	resume, source         string
	keep, dryRun           bool
	repoMap                []string // PACKAGE=URL
}

func newRunCmd(g *globals) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run --lock-old A --lock-new B [--config FILE]",
		Short: "Find the dependency change that breaks the server",
		Long: `run builds the server with subsets of the changes between the two locks
rolled back, judges each candidate with the oracle, and names the smallest
set of package changes that makes it fail.

Exit codes: 0 culprit found, 1 error or a lock that could not be judged
(verdict old-untestable or new-untestable), 2 not reproduced (the new lock
passes), 3 old lock fails too (the cause is not in this diff), 4 flaky,
5 no changes, 130 interrupted (resume with --resume JOURNAL).`,
		Example: `  bisect run --lock-old old/go.mod --lock-new server/go.mod --config bisect.yaml
  bisect run --lock-old main:composer.lock --lock-new composer.lock --parallel 2 --report-md report.md
  bisect run --repo . --lock-old HEAD~1:go.mod --lock-new HEAD:go.mod --config bisect.yaml   # builds HEAD's tree
  bisect run --lock-old a.lock --lock-new b.lock --config bisect.yaml --resume ~/.cache/lockbisect/runs/ID/journal.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd, g, o)
		},
	}
	addLockFlags(cmd, &o.lockOld, &o.lockNew, &o.repo)
	f := cmd.Flags()
	f.Int("parallel", 1, "probes built and judged at once")
	f.Int("repeat", 1, "oracle runs per probe (for flaky servers)")
	f.String("report-md", "", "write the markdown report to this file")
	f.String("report-json", "", "write the JSON report to this file")
	f.String("drill", "", "after a single-package culprit: none | release | commit")
	f.String("build-failure", "untestable", "what a candidate whose build fails counts as: untestable | bad (to bisect a build failure)")
	f.StringArrayVar(&o.repoMap, "repo-map", nil, "PACKAGE=URL: the upstream repository of a package for the drill-down (repeatable)")
	f.StringVar(&o.resume, "resume", "", "journal of an interrupted run to continue")
	f.StringVar(&o.source, "source", "", "where the project's files come from: a revision of --repo, or worktree for the files on disk (default: the revision of a REV:PATH --lock-new, else the work tree)")
	f.BoolVar(&o.keep, "keep", false, "keep the candidates' work directories")
	f.BoolVar(&o.dryRun, "dry-run", false, "load, diff and couple only; print the units and the expected number of probes")
	return cmd
}

func runRun(cmd *cobra.Command, g *globals, o runOptions) error {
	ctx := cmd.Context()
	cfg, err := g.loadConfig(cmd.Flags(), map[string]string{
		"search.parallel": "parallel", "search.repeat": "repeat", "search.drill": "drill",
		"report.markdown": "report-md", "report.json": "report-json", "search.build_failure": "build-failure",
	})
	if err != nil {
		return err
	}
	g.resolveProject(cfg)
	if err := checkReportPaths(cfg.Report.Markdown, cfg.Report.JSON, runInputs(g, o)); err != nil {
		return err
	}
	repoMap, err := parseRepoMap(o.repoMap)
	if err != nil {
		return err
	}
	log := g.logger()
	rep, err := hunt.Run(ctx, hunt.Options{
		RepoMap: repoMap,
		LockOld: o.lockOld, LockNew: o.lockNew, Repo: o.repo, Source: o.source, Config: cfg,
		Ecosystems: ecosystems(), Kinds: kinds(), Resume: o.resume, Keep: o.keep, DryRun: o.dryRun,
		Command: commandLine(), ConfigFile: g.configFile, Logger: log, Progress: g.progress(),
	})
	if err != nil {
		return err
	}
	if o.dryRun && rep.Verdict == "" {
		return printDryRun(g, rep)
	}
	rep.ExitCode = verdictCode(rep.Verdict)
	// The verdict first: a report that cannot be written must not cost
	// the user the answer of a long run.
	if err := reports.Brief(g.stdout, rep); err != nil {
		return err
	}
	if err := writeReports(ctx, cfg.Report.Markdown, cfg.Report.JSON, rep); err != nil {
		return err
	}
	if rep.ExitCode != exitOK {
		return &codeError{code: rep.ExitCode}
	}
	return nil
}

func writeReports(ctx context.Context, md, js string, rep *reports.Report) error {
	if md != "" {
		if err := writeFile(md, func(f *os.File) error { return reports.Markdown(f, rep) }); err != nil {
			return err
		}
	}
	if js != "" {
		if err := writeFile(js, func(f *os.File) error { return reports.JSON(f, rep) }); err != nil {
			return err
		}
	}
	if p := os.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("GITHUB_STEP_SUMMARY %s: %w", p, err)
		}
		defer f.Close()
		return reports.Markdown(f, rep)
	}
	return ctx.Err()
}

// writeFile writes a report atomically: into a temporary file beside it,
// renamed over path once complete, so that an interrupted or failed write
// never leaves half a report (or half of a file it replaces).
func writeFile(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	err = write(f)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

// runInputs are the files a run reads and a report must never replace:
// the locks given as paths with the files read beside them, the config
// and the journal being resumed.
func runInputs(g *globals, o runOptions) []string {
	var in []string
	for _, ref := range []string{o.lockOld, o.lockNew} {
		if rev, p := manifests.SplitRef(ref); rev == "" {
			in = append(in, p)
			for _, e := range ecosystems() {
				if e.Lock() == filepath.Base(p) {
					for _, s := range e.Siblings() {
						in = append(in, filepath.Join(filepath.Dir(p), s))
					}
				}
			}
		}
	}
	for _, p := range []string{g.configFile, o.resume} {
		if p != "" {
			in = append(in, p)
		}
	}
	return in
}

// checkReportPaths refuses, before anything is built, report paths that
// would be found wrong only after the whole run: the same file for both
// reports, a file the run reads, a directory that does not exist or
// cannot be written.
func checkReportPaths(md, js string, inputs []string) error {
	var named []string
	for _, r := range []struct{ what, path string }{{"--report-md (report.markdown)", md}, {"--report-json (report.json)", js}} {
		if r.path == "" {
			continue
		}
		for _, prev := range named {
			if sameFile(prev, r.path) {
				return fmt.Errorf("--report-md %s and --report-json %s name the same file: one report would replace the other", prev, r.path)
			}
		}
		named = append(named, r.path)
		for _, in := range inputs {
			if sameFile(in, r.path) {
				return fmt.Errorf("%s %s: is %s, an input of this run; a report never replaces an input", r.what, r.path, in)
			}
		}
		if info, err := os.Stat(r.path); err == nil && info.IsDir() {
			return fmt.Errorf("%s %s: is a directory", r.what, r.path)
		}
		dir := filepath.Dir(r.path)
		info, err := os.Stat(dir)
		if err != nil || !info.IsDir() {
			return fmt.Errorf("%s %s: directory %s does not exist", r.what, r.path, dir)
		}
		if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
			return fmt.Errorf("%s %s: directory %s is not writable: %w", r.what, r.path, dir, err)
		}
	}
	return nil
}

// sameFile says whether two paths name one file: the same path once
// symlinks are resolved, or (when both exist) the same inode, as a hard
// link would.
func sameFile(a, b string) bool {
	ia, ea := os.Stat(a)
	ib, eb := os.Stat(b)
	if ea == nil && eb == nil {
		return os.SameFile(ia, ib)
	}
	return resolved(a) == resolved(b)
}

// resolved is path made absolute with the symlinks of its directory
// resolved (the file itself may not exist yet).
func resolved(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

func printDryRun(g *globals, rep *reports.Report) error {
	d := rep.Diff()
	if err := printDiff(g.stdout, d); err != nil {
		return err
	}
	var src string
	if s := rep.Question.Source; s != nil {
		src = quote.Terminal("source: "+s.String()) + "\n"
	}
	_, err := fmt.Fprintf(g.stdout, "\n%sexpected probes: about %d for one culprit (2 baselines, the search, a confirmation and a check of the remainder); nothing was built\n", src, hunt.ExpectedProbes(len(rep.Units)))
	return err
}

// commandLine is the command as typed, quoted for a shell, for the report,
// with credentials (a token in a --repo-map URL, say) redacted.
func commandLine() string {
	return redact.String(quote.Shell(append([]string{"bisect"}, os.Args[1:]...)...))
}

// parseRepoMap reads the --repo-map PACKAGE=URL flags.
func parseRepoMap(flags []string) (map[string]string, error) {
	m := map[string]string{}
	for _, f := range flags {
		pkg, u, ok := strings.Cut(f, "=")
		if !ok || pkg == "" || u == "" {
			return nil, fmt.Errorf("--repo-map %q: want PACKAGE=URL", f)
		}
		m[pkg] = u
	}
	return m, nil
}
