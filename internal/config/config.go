// Package config is the typed, validated configuration of a bisect run. The
// command fills it once (from a YAML file, BISECT_ environment variables and
// flags, flags winning) and passes it down; no library reads viper.
package config

import (
	"github.com/lockbisect/lockbisect/internal/keyerr"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/oracles/exec"
	"github.com/lockbisect/lockbisect/oracles/httpsteps"
	"github.com/lockbisect/lockbisect/oracles/mcp"
	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/docker"
	"github.com/lockbisect/lockbisect/runners/swarm"
)

// Config mirrors the YAML file documented in config.example.yaml.
type Config struct {
	Project string `mapstructure:"project"` // build context copied per candidate; "" = directory of --lock-new
	Runner  Runner `mapstructure:"runner"`
	Oracle  Oracle `mapstructure:"oracle"`
	Search  Search `mapstructure:"search"`
	Report  Report `mapstructure:"report"`
}

// Runner says how a candidate becomes a running server: the settings
// every runner reads, and each runner's own (its package owns their
// meaning, defaults and validation). Squashed, their keys are all direct
// children of runner: as before, and their fields are promoted
// (cfg.Runner.Port).
type Runner struct {
	runners.Config `mapstructure:",squash"`
	DockerRunner   `mapstructure:",squash"`
	SwarmRunner    `mapstructure:",squash"`
}

// The runners' own settings, named for embedding (two embedded types
// named Config would collide).
type (
	DockerRunner = docker.Config
	SwarmRunner  = swarm.Config
)

// Oracle says how a running candidate is judged: the settings every
// oracle reads, and each oracle's own, squashed as Runner's are.
type Oracle struct {
	oracles.Config `mapstructure:",squash"`
	MCPOracle      `mapstructure:",squash"`
	HTTPOracle     `mapstructure:",squash"`
	ExecOracle     `mapstructure:",squash"`
}

// The oracles' own settings, named for embedding.
type (
	MCPOracle  = mcp.Config
	HTTPOracle = httpsteps.Config
	ExecOracle = exec.Config
)

// Kinds are the runners and oracles a configuration may name, composed in
// cmd/bisect: the first of each is the default kind.
type Kinds struct {
	Runners runners.Registry[Runner]
	Oracles oracles.Registry[Oracle]
}

// Runner is the runner kind c names (the zero Kind when none is
// registered by that name: Validate refuses it).
func (k Kinds) Runner(c *Config) runners.Kind[Runner] {
	r, _ := k.Runners.Lookup(c.Runner.Kind)
	return r
}

// Oracle is the oracle kind c names (the zero Kind when none is
// registered by that name: Validate refuses it).
func (k Kinds) Oracle(c *Config) oracles.Kind[Oracle] {
	o, _ := k.Oracles.Lookup(c.Oracle.Kind)
	return o
}

// Validate checks the oracle section alone: `bisect oracle` judges a server
// it did not start, so the runner's rules do not apply there.
func (o *Oracle) Validate(kinds oracles.Registry[Oracle]) error {
	kind, ok := kinds.Lookup(o.Kind)
	if !ok {
		return keyerr.OneOf("oracle.kind", o.Kind, kinds.Names())
	}
	if err := o.Config.Validate(); err != nil {
		return err
	}
	if kind.Validate != nil {
		return kind.Validate(*o)
	}
	return nil
}

// DrillMode is how far the drill-down goes past a culprit package.
type DrillMode string

// The drill modes; "" is DrillCommit.
const (
	DrillNone    DrillMode = "none"
	DrillRelease DrillMode = "release"
	DrillCommit  DrillMode = "commit"
)

// Search tunes the search.
type Search struct {
	Repeat   int       `mapstructure:"repeat"`   // oracle runs per probe; unset = 1
	Parallel int       `mapstructure:"parallel"` // probes at once; unset = 1
	Drill    DrillMode `mapstructure:"drill"`    // none | release | commit
	Retries  int       `mapstructure:"retries"`  // retries of a probe that failed for infrastructure reasons; unset = 2, 0 = none
	// BuildFailure is what a candidate whose build ran and failed counts
	// as: untestable (the default: the search goes around it) or bad (the
	// build failure is the regression being bisected).
	BuildFailure string `mapstructure:"build_failure"`
	// ComposerRepo is the composer repository whose p2 metadata lists the
	// releases between a culprit's versions; "" = the first repository of
	// type composer in the project's composer.json. Its meaning is
	// manifests/composer's: the hunt passes it through uninterpreted, as
	// manifests.Options.ReleaseRepo, which only composer reads. (Owning
	// its type there would make internal/config, and so internal/hunt,
	// import an ecosystem package.)
	ComposerRepo string `mapstructure:"composer_repo"`
}

// Report names the report files; "" = not written.
type Report struct {
	Markdown string `mapstructure:"markdown"`
	JSON     string `mapstructure:"json"`
}

// KeyError is a value that is wrong, with the key that holds it (such as
// "search.repeat"), so that the command can say where the value came from:
// a line of the file, an environment variable or a flag. The runner and
// oracle packages return it for their own keys.
type KeyError = keyerr.Error

func keyErr(key, format string, args ...any) error { return keyerr.New(key, format, args...) }

// Defaults fills the keys left unset with their documented defaults: the
// first registered kind of each, and what each section's package defaults.
// set reports whether a key was given explicitly (in the file, the
// environment or a flag; nil = none was): the numbers that must be
// positive keep an explicit 0, which Validate then refuses, instead of
// silently turning it into the default, and search.retries keeps an
// explicit 0 (no retries).
func (c *Config) Defaults(k Kinds, set func(key string) bool) {
	unset := func(key string) bool { return set == nil || !set(key) }
	if c.Runner.Kind == "" && len(k.Runners) > 0 {
		c.Runner.Kind = k.Runners[0].Name
	}
	c.Runner.Config.Defaults(set)
	c.Runner.DockerRunner.Defaults()
	if c.Oracle.Kind == "" && len(k.Oracles) > 0 {
		c.Oracle.Kind = k.Oracles[0].Name
	}
	c.Oracle.Config.Defaults(set)
	c.Oracle.MCPOracle.Defaults()
	if c.Search.Repeat == 0 && unset("search.repeat") {
		c.Search.Repeat = 1
	}
	if c.Search.Parallel == 0 && unset("search.parallel") {
		c.Search.Parallel = 1
	}
	if c.Search.Retries == 0 && unset("search.retries") {
		c.Search.Retries = 2
	}
	if c.Search.BuildFailure == "" {
		c.Search.BuildFailure = "untestable"
	}
}

// Validate names the first key whose value is wrong (a *KeyError).
func (c *Config) Validate(k Kinds) error {
	runner, ok := k.Runners.Lookup(c.Runner.Kind)
	if !ok {
		return keyerr.OneOf("runner.kind", c.Runner.Kind, k.Runners.Names())
	}
	serverless := k.Oracle(c).Serverless
	if err := c.Runner.DockerRunner.Validate(); err != nil {
		return err
	}
	if runner.Image && c.Runner.Port == 0 && !serverless {
		return keyErr("runner.port", "the %s runner needs the container port the server listens on", c.Runner.Kind)
	}
	if err := c.Runner.Config.Validate(); err != nil {
		return err
	}
	if err := c.Oracle.Validate(k.Oracles); err != nil {
		return err
	}
	// An image serves through its own CMD; runner.start only overrides it.
	if c.Runner.Start == "" && !runner.Image && !serverless {
		return keyErr("runner.start", "empty start serves nothing, which only the exec oracle can judge (set oracle.kind: exec or a start command)")
	}
	if c.Search.Repeat < 1 {
		return keyErr("search.repeat", "%d: the oracle must run at least once per probe", c.Search.Repeat)
	}
	if c.Search.Parallel < 1 {
		return keyErr("search.parallel", "%d: at least one probe must run at a time", c.Search.Parallel)
	}
	if c.Search.Retries < 0 {
		return keyErr("search.retries", "%d is negative (0 = no retries of a probe that failed for infrastructure reasons)", c.Search.Retries)
	}
	switch c.Search.BuildFailure {
	case "untestable", "bad":
	default:
		return keyErr("search.build_failure", "%q is not untestable or bad", c.Search.BuildFailure)
	}
	switch c.Search.Drill {
	case "", DrillNone, DrillRelease, DrillCommit:
	default:
		return keyErr("search.drill", "%q is not none, release or commit", c.Search.Drill)
	}
	return nil
}
