package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockbisect/lockbisect/runners/docker"
	"github.com/lockbisect/lockbisect/runners/swarm"
)

type cleanOptions struct {
	all       bool
	olderThan time.Duration
}

func newCleanCmd(g *globals) *cobra.Command {
	var o cleanOptions
	cmd := &cobra.Command{
		Use:   "clean [--all] [--older-than DURATION]",
		Short: "Remove the services, containers, networks and images that dead docker or swarm runs left behind",
		Long: `clean removes, by their org.lockbisect.* labels, the containers and networks
of docker runs whose bisect process no longer exists (after a crash or a
SIGKILL), on a swarm manager their services first, and the tool's dangling
images. Cached candidate images are kept
(they make the next run free) unless --all is given. Objects of a run still
in progress are never touched. Each removed object is printed.`,
		Example: `  bisect clean
  bisect clean --all --older-than 168h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runClean(cmd.Context(), g, o)
		},
	}
	cmd.Flags().BoolVar(&o.all, "all", false, "also remove the cached candidate images")
	cmd.Flags().DurationVar(&o.olderThan, "older-than", 0, "only remove objects created longer ago than this (e.g. 24h); 0 = any age")
	return cmd
}

func runClean(ctx context.Context, g *globals, o cleanOptions) error {
	if o.olderThan < 0 {
		return fmt.Errorf("--older-than %s: the duration must not be negative", o.olderThan)
	}
	cli, err := docker.Connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	removed, err := swarm.Clean(ctx, cli, docker.CleanOptions{All: o.all, OlderThan: o.olderThan})
	for _, r := range removed {
		fmt.Fprintln(g.stdout, "removed", r)
	}
	if err != nil {
		return err
	}
	if len(removed) == 0 {
		g.logger().Info("nothing to remove")
	}
	return nil
}
