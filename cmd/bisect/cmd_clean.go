package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockbisect/lockbisect/internal/hunt"
	"github.com/lockbisect/lockbisect/runners/docker"
	"github.com/lockbisect/lockbisect/runners/local"
	"github.com/lockbisect/lockbisect/runners/swarm"
)

type cleanOptions struct {
	all       bool
	runs      bool
	olderThan time.Duration
}

func newCleanCmd(g *globals) *cobra.Command {
	var o cleanOptions
	cmd := &cobra.Command{
		Use:   "clean [--all] [--runs] [--older-than DURATION]",
		Short: "Remove what dead runs left behind: local work directories and processes, swarm services, docker containers, networks and images",
		Long: `clean ends the processes and removes the work directories (below
$TMPDIR/lockbisect-local-<uid>) of local runs whose bisect process no longer exists
(after a crash or a SIGKILL); directories kept with --keep only with --all.
Then it removes, by their org.lockbisect.* labels, the containers and
networks of docker runs whose bisect process no longer exists (on a swarm
manager their services first), and the tool's
dangling images. Cached candidate images are kept (they make the next run
free) unless --all is given. What belongs to a run still in progress is
never touched. With --runs it also removes the run directories (journal
and logs, below <user cache dir>/lockbisect/runs) that no run in progress
holds; --older-than then counts from a run's last write. Each removed
object is printed, a run directory with the space it held.`,
		Example: `  bisect clean
  bisect clean --all --older-than 168h
  bisect clean --runs --older-than 720h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runClean(cmd.Context(), g, o)
		},
	}
	cmd.Flags().BoolVar(&o.all, "all", false, "also remove the cached candidate images and kept work directories")
	cmd.Flags().BoolVar(&o.runs, "runs", false, "also remove the run directories (journals and logs) of runs no longer in progress")
	cmd.Flags().DurationVar(&o.olderThan, "older-than", 0, "only remove objects created longer ago than this (e.g. 24h); 0 = any age")
	return cmd
}

func runClean(ctx context.Context, g *globals, o cleanOptions) error {
	if o.olderThan < 0 {
		return fmt.Errorf("--older-than %s: the duration must not be negative", o.olderThan)
	}
	removed, err := local.Sweep(local.Root(""), local.SweepOptions{Kept: o.all, OlderThan: o.olderThan})
	for _, r := range removed {
		fmt.Fprintln(g.stdout, "removed", r)
	}
	if err != nil {
		return err
	}
	if o.runs {
		runs, err := hunt.PruneRuns(o.olderThan)
		for _, r := range runs {
			fmt.Fprintln(g.stdout, "removed", r)
		}
		if err != nil {
			return err
		}
		removed = append(removed, runs...)
	}
	cli, err := docker.Connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	more, err := swarm.Clean(ctx, cli, docker.CleanOptions{All: o.all, OlderThan: o.olderThan})
	for _, r := range more {
		fmt.Fprintln(g.stdout, "removed", r)
	}
	if err != nil {
		return err
	}
	if len(removed)+len(more) == 0 {
		g.logger().Info("nothing to remove")
	}
	return nil
}
