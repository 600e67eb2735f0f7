package hunt

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/docker"
	"github.com/lockbisect/lockbisect/runners/local"
	"github.com/lockbisect/lockbisect/runners/swarm"
)

// newRunner is the one place runner kinds are registered. The returned
// function releases what the runner holds for the whole run; owned is
// the run's own directory, where the local runner keeps its work
// directories.
func newRunner(ctx context.Context, cfg *config.Config, project, runID string, owned *local.Owned, o Options, log *slog.Logger) (runners.Runner, func(), error) {
	switch cfg.Runner.Kind {
	case "local":
		r := local.New(cfg.Runner, project, local.Options{Keep: o.Keep, Logger: log, Owned: owned})
		return r, func() {
			if err := r.Close(); err != nil {
				log.Warn("local runner cleanup", "err", err)
			}
		}, nil
	case "docker":
		r, err := docker.New(ctx, cfg.Runner, project, docker.Options{RunID: runID, Keep: o.Keep, Logger: log})
		if err != nil {
			return nil, nil, fmt.Errorf("docker runner: %w", err)
		}
		return r, func() {
			if err := r.Close(context.WithoutCancel(ctx)); err != nil {
				log.Warn("docker cleanup", "err", err)
			}
		}, nil
	case "swarm":
		r, err := swarm.New(ctx, cfg.Runner, project, swarm.Options{RunID: runID, Keep: o.Keep, Logger: log})
		if err != nil {
			return nil, nil, fmt.Errorf("swarm runner: %w", err)
		}
		return r, func() {
			if r.Pushes.Load() > 0 {
				log.Info("images pushed to runner.registry", "count", r.Pushes.Load())
			}
			if err := r.Close(context.WithoutCancel(ctx)); err != nil {
				log.Warn("swarm cleanup", "err", err)
			}
		}, nil
	}
	return nil, nil, fmt.Errorf("runner.kind: %q is not local, docker or swarm", cfg.Runner.Kind)
}
