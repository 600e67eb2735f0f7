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
// function releases what the runner holds for the whole run. name is the
// project's name as the user knows it (its directory's in the work tree:
// the project may be a revision's tree written out for the run), owned
// the run's own directory, where the runners keep their temporary files.
func newRunner(ctx context.Context, cfg *config.Config, project, name, runID string, owned *local.Owned, o Options, log *slog.Logger) (runners.Runner, func(), error) {
	dopts := docker.Options{RunID: runID, Project: name, Keep: o.Keep, Logger: log, TempDir: owned.Dir}
	switch cfg.Runner.Kind {
	case "local":
		r := local.New(cfg.Runner, project, local.Options{Keep: o.Keep, Logger: log, Owned: owned})
		return r, func() {
			if err := r.Close(); err != nil {
				log.Warn("local runner cleanup", "err", err)
			}
		}, nil
	case "docker":
		r, err := docker.New(ctx, cfg.Runner, project, dopts)
		if err != nil {
			return nil, nil, fmt.Errorf("docker runner: %w", err)
		}
		return r, func() {
			if err := r.Close(context.WithoutCancel(ctx)); err != nil {
				log.Warn("docker cleanup", "err", err)
			}
		}, nil
	case "swarm":
		r, err := swarm.New(ctx, cfg.Runner, project, dopts)
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
