package docker

import (
	"context"

	"github.com/lockbisect/lockbisect/internal/keyerr"
	"github.com/lockbisect/lockbisect/runners"
)

// Config is the docker runner's own part of the runner section (also read
// by the swarm runner, which builds with it).
type Config struct {
	Dockerfile string            `mapstructure:"dockerfile"` // relative to project; "" = Dockerfile
	Port       int               `mapstructure:"port"`       // container port published on 127.0.0.1
	BuildArgs  map[string]string `mapstructure:"build_args"` // build arguments
	Memory     string            `mapstructure:"memory"`     // memory limit such as "512m"; "" = none
	CPUs       float64           `mapstructure:"cpus"`       // CPU limit; 0 = none
	// Builder is the image builder: buildkit (cache mounts, no layer
	// commit per step), classic, or auto (BuildKit where the engine has
	// it). Unset = auto.
	Builder string `mapstructure:"builder"`
	// BuildParallel bounds the concurrent image builds (probes beyond it
	// wait for a build slot; their containers still run in parallel). 0 =
	// the engine's CPU count (BenchmarkParallelBuilds: on 2 CPUs, two
	// builds at a time are as fast as one or faster).
	BuildParallel int `mapstructure:"build_parallel"`
}

// DockerConfig returns c: a configuration that embeds Config (and
// runners.Config) satisfies Settings.
func (c Config) DockerConfig() Config { return c }

// Defaults fills the settings left unset with their documented defaults.
func (c *Config) Defaults() {
	if c.Dockerfile == "" {
		c.Dockerfile = "Dockerfile"
	}
	if c.Builder == "" {
		c.Builder = "auto"
	}
}

// Validate names the first key whose value is wrong (a *keyerr.Error).
func (c *Config) Validate() error {
	if c.Port < 0 || c.Port > 65535 {
		return keyerr.New("runner.port", "%d is not a port (1-65535)", c.Port)
	}
	switch c.Builder {
	case "", "auto", "buildkit", "classic":
	default:
		return keyerr.New("runner.builder", "%q is not auto, buildkit or classic", c.Builder)
	}
	if c.BuildParallel < 0 {
		return keyerr.New("runner.build_parallel", "%d is negative (image builds at a time; 0 = the engine's CPU count)", c.BuildParallel)
	}
	return nil
}

// Settings is the runner section as the docker runner reads it.
type Settings interface {
	runners.Settings
	DockerConfig() Config
}

// settings is what a Runner reads: the common runner settings and its
// own, side by side so that both are fields of one value (r.cfg.Port,
// r.cfg.Start).
type settings struct {
	runners.Config
	own
}

// own names Config as settings' embedded field (two embedded types named
// Config would collide).
type own = Config

// Kind is the docker runner for a registry of S.
func Kind[S Settings]() runners.Kind[S] {
	return runners.Kind[S]{
		Name:  "docker",
		Image: true,
		Preflight: func(ctx context.Context, s S, project string) error {
			return Preflight(ctx, s.DockerConfig(), project)
		},
		New: func(ctx context.Context, s S, project string, o runners.Options) (runners.Runner, func(context.Context) error, error) {
			r, err := New(ctx, s.RunnerConfig(), s.DockerConfig(), project, Options{RunID: o.RunID, Project: o.Project, Keep: o.Keep, Logger: o.Logger, TempDir: o.TempDir})
			if err != nil {
				return nil, nil, err
			}
			return r, r.Close, nil
		},
	}
}
