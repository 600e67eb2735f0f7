package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/internal/hunt"
	"github.com/lockbisect/lockbisect/internal/quote"
	"github.com/lockbisect/lockbisect/manifests"
)

type diffOptions struct {
	lockOld, lockNew, repo string
	json                   bool
}

func newDiffCmd(g *globals) *cobra.Command {
	var o diffOptions
	cmd := &cobra.Command{
		Use:   "diff --lock-old A --lock-new B",
		Short: "List the package changes between two lock files and the units they move in",
		Example: `  bisect diff --lock-old old/composer.lock --lock-new composer.lock
  bisect diff --lock-old v1.2.0:go.mod --lock-new go.mod --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd, g, o)
		},
	}
	addLockFlags(cmd, &o.lockOld, &o.lockNew, &o.repo)
	cmd.Flags().BoolVar(&o.json, "json", false, "print the diff as JSON")
	return cmd
}

// addLockFlags adds the lock reference flags shared by diff and run.
func addLockFlags(cmd *cobra.Command, lockOld, lockNew, repo *string) {
	cmd.Flags().StringVar(lockOld, "lock-old", "", "old lock: a path (composer.lock, go.mod) or REV:PATH (required)")
	cmd.Flags().StringVar(lockNew, "lock-new", "", "new lock: a path or REV:PATH (required)")
	cmd.Flags().StringVar(repo, "repo", ".", "git repository for REV:PATH references")
	_ = cmd.MarkFlagRequired("lock-old")
	_ = cmd.MarkFlagRequired("lock-new")
}

// runDiff needs of the config only project and runner.env (the go and
// composer commands it runs to read coupling see that environment), so the
// rest is not validated.
func runDiff(cmd *cobra.Command, g *globals, o diffOptions) error {
	cfg, err := g.loadConfigChecked(cmd.Flags(), nil, func(*config.Config) error { return nil })
	if err != nil {
		return err
	}
	g.resolveProject(cfg)
	l, err := hunt.Load(cmd.Context(), hunt.Options{LockOld: o.lockOld, LockNew: o.lockNew, Repo: o.repo,
		Config: cfg, Ecosystems: ecosystems(), Kinds: kinds(), Logger: g.logger()})
	if err != nil {
		return err
	}
	d := l.Set.Diff()
	if o.json {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	if len(d.Changes) == 0 {
		_, err := fmt.Fprintln(g.stdout, "no changes")
		return err
	}
	return printDiff(g.stdout, d)
}

// printDiff prints the changes as a table, then the reasons for merged units
// and the closure rules between units.
func printDiff(w io.Writer, d *manifests.Diff) error {
	unitOf := map[string]string{}
	for _, u := range d.Units {
		for _, p := range u.Packages {
			unitOf[p] = u.ID
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PACKAGE\tFROM\tTO\tKIND\tDEPENDENCY\tUNIT")
	for _, c := range d.Changes {
		dep := "transitive"
		if c.Direct {
			dep = "direct"
		}
		if c.Dev {
			dep += " (dev)"
		}
		if c.Toolchain {
			dep = "toolchain"
		}
		// Names and versions are the lock's: no control character or tab
		// of theirs reaches the terminal or shifts the columns.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", quote.Terminal(c.Package), quote.Terminal(dash(c.From)), quote.Terminal(dash(c.To)), c.Kind, dep, unitOf[c.Package])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d changes in %d units (%s)\n", len(d.Changes), len(d.Units), d.Ecosystem)
	for _, u := range d.Units {
		if len(u.Packages) > 1 {
			fmt.Fprintf(w, "%s moves %d packages together: %s\n", u.ID, len(u.Packages), quote.Terminal(u.BriefReason(3)))
		}
	}
	for _, e := range d.Edges {
		fmt.Fprintf(w, "applying %s needs %s: %s\n", e.From, e.To, quote.Terminal(e.Reason))
	}
	for _, c := range d.Changes {
		if c.Inert != "" {
			fmt.Fprintf(w, "not searched: %s: %s\n", c.Package, c.Inert)
		}
		if c.Retracted != "" {
			fmt.Fprintf(w, "retracted: %s: %s\n", c.Package, c.Retracted)
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
