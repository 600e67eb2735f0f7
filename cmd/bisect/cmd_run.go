package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lockbisect/lockbisect/internal/hunt"
	"github.com/lockbisect/lockbisect/internal/quote"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/reports"
)

type runOptions struct {
	lockOld, lockNew, repo string
	resume                 string
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

Exit codes: 0 culprit found, 1 error, 2 not reproduced (the new lock passes),
3 old lock fails too (the cause is not in this diff), 4 flaky, 5 no changes,
130 interrupted (resume with --resume JOURNAL).`,
		Example: `  bisect run --lock-old old/go.mod --lock-new server/go.mod --config bisect.yaml
  bisect run --lock-old main:composer.lock --lock-new composer.lock --parallel 2 --report-md report.md
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
	f.StringArrayVar(&o.repoMap, "repo-map", nil, "PACKAGE=URL: the upstream repository of a package for the drill-down (repeatable)")
	f.StringVar(&o.resume, "resume", "", "journal of an interrupted run to continue")
	f.BoolVar(&o.keep, "keep", false, "keep the candidates' work directories")
	f.BoolVar(&o.dryRun, "dry-run", false, "load, diff and couple only; print the units and the expected number of probes")
	return cmd
}

func runRun(cmd *cobra.Command, g *globals, o runOptions) error {
	ctx := cmd.Context()
	cfg, err := g.loadConfig(cmd.Flags(), map[string]string{
		"search.parallel": "parallel", "search.repeat": "repeat", "search.drill": "drill",
		"report.markdown": "report-md", "report.json": "report-json",
	})
	if err != nil {
		return err
	}
	g.resolveProject(cfg)
	repoMap, err := parseRepoMap(o.repoMap)
	if err != nil {
		return err
	}
	log := g.logger()
	rep, err := hunt.Run(ctx, hunt.Options{
		RepoMap: repoMap,
		LockOld: o.lockOld, LockNew: o.lockNew, Repo: o.repo, Config: cfg,
		Ecosystems: ecosystems(), Resume: o.resume, Keep: o.keep, DryRun: o.dryRun,
		Command: commandLine(), Logger: log, Progress: g.progress(),
	})
	if err != nil {
		return err
	}
	if o.dryRun && rep.Verdict == "" {
		return printDryRun(g, rep)
	}
	rep.ExitCode = verdictCode(rep.Verdict)
	if err := writeReports(ctx, cfg.Report.Markdown, cfg.Report.JSON, rep); err != nil {
		return err
	}
	if err := reports.Brief(g.stdout, rep); err != nil {
		return err
	}
	if rep.ExitCode != exitOK {
		return &codeError{code: rep.ExitCode}
	}
	return nil
}

func verdictCode(v string) int {
	switch v {
	case "culprit":
		return exitOK
	case "not-reproduced":
		return exitNotReproduced
	case "old-fails":
		return exitOldFails
	case "flaky":
		return exitFlaky
	case "no-changes":
		return exitNoChanges
	}
	return exitError
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

func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return f.Close()
}

func printDryRun(g *globals, rep *reports.Report) error {
	d := rep.Diff()
	if err := printDiff(g.stdout, d); err != nil {
		return err
	}
	_, err := fmt.Fprintf(g.stdout, "\nexpected probes: about %d for one culprit (2 baselines, the search, a confirmation and a check of the remainder); nothing was built\n", hunt.ExpectedProbes(len(rep.Units)))
	return err
}

// commandLine is the command as typed, quoted for a shell, for the report,
// with credentials (a token in a --repo-map URL, say) redacted.
func commandLine() string {
	return oracles.Redact(quote.Shell(append([]string{"bisect"}, os.Args[1:]...)...))
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
