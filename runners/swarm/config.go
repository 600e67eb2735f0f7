package swarm

import (
	"context"

	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/docker"
)

// Config is the swarm runner's own part of the runner section; it builds
// and runs with the docker runner's settings besides.
type Config struct {
	// Registry is where each candidate image is pushed so that every node
	// can pull it (such as 127.0.0.1:5000); "" is allowed only on a swarm
	// of one node, where the local image serves.
	Registry string `mapstructure:"registry"`
}

// SwarmConfig returns c: a configuration that embeds Config (and the
// docker runner's settings) satisfies Settings.
func (c Config) SwarmConfig() Config { return c }

// Settings is the runner section as the swarm runner reads it.
type Settings interface {
	docker.Settings
	SwarmConfig() Config
}

// settings is what a Runner reads of the common and the docker runner's
// settings, side by side (r.cfg.Port, r.cfg.Start).
type settings struct {
	runners.Config
	dockerConfig
}

// dockerConfig names docker.Config as settings' embedded field (two
// embedded types named Config would collide).
type dockerConfig = docker.Config

// Kind is the swarm runner for a registry of S.
func Kind[S Settings]() runners.Kind[S] {
	return runners.Kind[S]{
		Name:  "swarm",
		Image: true,
		Preflight: func(ctx context.Context, s S, project string) error {
			return docker.Preflight(ctx, s.DockerConfig(), project)
		},
		New: func(ctx context.Context, s S, project string, o runners.Options) (runners.Runner, func(context.Context) error, error) {
			r, err := New(ctx, s.RunnerConfig(), s.DockerConfig(), s.SwarmConfig(), project, Options{RunID: o.RunID, Project: o.Project, Keep: o.Keep, Logger: o.Logger, TempDir: o.TempDir})
			if err != nil {
				return nil, nil, err
			}
			return r, func(ctx context.Context) error {
				if n := r.Pushes.Load(); n > 0 && o.Logger != nil {
					o.Logger.Info("images pushed to runner.registry", "count", n)
				}
				return r.Close(ctx)
			}, nil
		},
	}
}
