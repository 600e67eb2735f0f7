package runners

import (
	"context"
	"log/slog"
	"time"

	"github.com/lockbisect/lockbisect/internal/keyerr"
	"github.com/lockbisect/lockbisect/internal/registry"
)

// Config is the part of the runner section every runner reads (the keys
// under runner:). Each runner's own keys are in its package
// (docker.Config, swarm.Config); internal/config composes them.
type Config struct {
	Kind  string            `mapstructure:"kind"`  // a registered runner: local | docker | swarm
	Build []string          `mapstructure:"build"` // each run with sh -c in the candidate directory
	Start string            `mapstructure:"start"` // template; "" = nothing is served (exec oracle alone decides)
	Env   map[string]string `mapstructure:"env"`   // values are templates ({{.Port}})
	// PublicEnv names the runner.env variables whose values are not
	// secrets, added to the built-in list (GO*, COMPOSER_* but
	// COMPOSER_AUTH, PATH, PORT, APP_ENV …); a trailing * matches a prefix.
	// Every other value is redacted from output, reports, journal and logs.
	PublicEnv []string      `mapstructure:"public_env"`
	Ready     Ready         `mapstructure:"ready"` // readiness probe
	Stop      time.Duration `mapstructure:"stop"`  // grace between TERM and KILL; 0 = 5s
	// BuildTimeout bounds each build (local: each command; docker: the image
	// build); a build that runs longer is untestable. Unset = 10m.
	BuildTimeout time.Duration `mapstructure:"build_timeout"`
	// CopyLimit bounds the project every candidate copies, so that a
	// project: that names a home directory or a whole disk is refused
	// before the first copy rather than failing (or filling the disk)
	// during it.
	CopyLimit CopyLimit `mapstructure:"copy_limit"`
}

// CopyLimit is the most a project may hold (what the local runner copies:
// without .git, vendor and node_modules at its top).
type CopyLimit struct {
	Files     int `mapstructure:"files"`     // unset = 100000
	Megabytes int `mapstructure:"megabytes"` // unset = 2048
}

// Ready is the readiness probe: GET Path until it answers 2xx or 3xx.
type Ready struct {
	Path    string        `mapstructure:"path"`    // "" = "/"
	Timeout time.Duration `mapstructure:"timeout"` // unset = 60s; must be positive
}

// RunnerConfig returns c: a configuration that embeds Config satisfies
// Settings.
func (c Config) RunnerConfig() Config { return c }

// Defaults fills the settings left unset with their documented defaults
// (the kind is the registry's to default). set reports whether a key was
// given explicitly (nil = none was): a duration or limit that must be
// positive keeps an explicit 0, which Validate then refuses.
func (c *Config) Defaults(set func(key string) bool) {
	unset := func(key string) bool { return set == nil || !set(key) }
	if c.Ready.Path == "" {
		c.Ready.Path = "/"
	}
	if c.Ready.Timeout == 0 && unset("runner.ready.timeout") {
		c.Ready.Timeout = 60 * time.Second
	}
	if c.BuildTimeout == 0 && unset("runner.build_timeout") {
		c.BuildTimeout = 10 * time.Minute
	}
	if c.CopyLimit.Files == 0 && unset("runner.copy_limit.files") {
		c.CopyLimit.Files = 100000
	}
	if c.CopyLimit.Megabytes == 0 && unset("runner.copy_limit.megabytes") {
		c.CopyLimit.Megabytes = 2048
	}
	if c.Stop == 0 {
		c.Stop = 5 * time.Second
	}
}

// Validate names the first key whose value is wrong (a *keyerr.Error).
func (c *Config) Validate() error {
	if c.Ready.Timeout <= 0 {
		return keyerr.New("runner.ready.timeout", "%s is not a positive duration (how long a server may take to answer, for example 60s)", c.Ready.Timeout)
	}
	if c.BuildTimeout <= 0 {
		return keyerr.New("runner.build_timeout", "%s is not a positive duration (how long a build may take, for example 10m)", c.BuildTimeout)
	}
	if c.CopyLimit.Files <= 0 {
		return keyerr.New("runner.copy_limit.files", "%d: the project must be allowed at least one file", c.CopyLimit.Files)
	}
	if c.CopyLimit.Megabytes <= 0 {
		return keyerr.New("runner.copy_limit.megabytes", "%d: the project must be allowed at least one megabyte", c.CopyLimit.Megabytes)
	}
	return nil
}

// Settings is the runner section as every runner reads it: the composed
// configuration (internal/config's Runner) satisfies it, and each runner's
// own Settings interface adds the accessor of its own part.
type Settings interface {
	RunnerConfig() Config
}

// Options are the run-wide settings the hunt gives every runner.
type Options struct {
	// RunID names the run in labels and object names; "" = generated.
	RunID string
	// Keep leaves what each candidate made (work directories, stopped
	// containers, the network) in place for inspection.
	Keep bool
	// Logger receives progress and debug events; nil = discard.
	Logger *slog.Logger
	// Project is the project's name as the user knows it (the image
	// runners name their images lockbisect/<Project>); "" = the base name
	// of the project directory, which may be a revision's tree written out
	// for the run.
	Project string
	// TempDir is the run's own directory (made and removed by the caller,
	// swept should the run be killed), where runners keep their temporary
	// files; "" = each runner makes its own.
	TempDir string
}

// Kind is a runner plugin as a Registry holds it. S is the composed runner
// section of the configuration; each runner package's Kind function
// returns the Kind of any S that has the runner's settings.
type Kind[S any] struct {
	Name string // the runner.kind value
	// Image says that the runner serves a container image: with
	// runner.start empty the image's own command serves, on the container
	// port runner.port (which must then be set unless nothing is judged
	// through a URL).
	Image bool
	// Preflight, if set, checks before the first probe what would fail
	// every probe alike (an engine that does not answer, a base image it
	// lacks).
	Preflight func(ctx context.Context, s S, project string) error
	// New makes the run's runner; release frees what it holds for the
	// whole run (its network, its client, its work directories).
	New func(ctx context.Context, s S, project string, o Options) (r Runner, release func(context.Context) error, err error)
}

// Registry is the runners a configuration may name, composed in one place
// (cmd/bisect); the first is the default kind.
type Registry[S any] = registry.List[Kind[S]]

// KindName is the name a configuration gives the kind.
func (k Kind[S]) KindName() string { return k.Name }
