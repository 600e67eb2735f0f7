package oracles

import (
	"log/slog"
	"time"

	"github.com/lockbisect/lockbisect/internal/keyerr"
	"github.com/lockbisect/lockbisect/internal/registry"
)

// Config is the part of the oracle section every oracle reads (the keys
// under oracle:). Each oracle's own keys are in its package (mcp.Config,
// httpsteps.Config, exec.Config); internal/config composes them.
type Config struct {
	Kind                string        `mapstructure:"kind"`                  // a registered oracle: mcp | http | exec
	Path                string        `mapstructure:"path"`                  // joined to the candidate's base URL
	Timeout             time.Duration `mapstructure:"timeout"`               // whole check; unset = 60s; must be positive
	TimeoutIsUntestable bool          `mapstructure:"timeout_is_untestable"` // a timeout counts as untestable instead of bad
}

// OracleConfig returns c: a configuration that embeds Config satisfies
// Settings.
func (c Config) OracleConfig() Config { return c }

// Defaults fills the settings left unset with their documented defaults
// (the kind is the registry's to default). set reports whether a key was
// given explicitly (nil = none was): an explicit 0 timeout is kept, for
// Validate to refuse.
func (c *Config) Defaults(set func(key string) bool) {
	if c.Timeout == 0 && (set == nil || !set("oracle.timeout")) {
		c.Timeout = DefaultTimeout
	}
}

// Validate names the first key whose value is wrong (a *keyerr.Error).
func (c *Config) Validate() error {
	if c.Timeout <= 0 {
		return keyerr.New("oracle.timeout", "%s is not a positive duration (how long one check may take, for example 60s)", c.Timeout)
	}
	return nil
}

// Settings is the oracle section as every oracle reads it: the composed
// configuration (internal/config's Oracle) satisfies it, and each oracle's
// own Settings interface adds the accessor of its own part.
type Settings interface {
	OracleConfig() Config
}

// Kind is an oracle plugin as a Registry holds it. S is the composed
// oracle section of the configuration; each oracle package's Kind
// function returns the Kind of any S that has the oracle's settings.
type Kind[S any] struct {
	Name string // the oracle.kind value
	// Serverless says that the oracle runs a command in the candidate's
	// directory, so that it can judge a candidate that serves nothing
	// (runner.start empty) and runs without a URL.
	Serverless bool
	// Profiles says that the oracle judges the server as the client
	// profiles oracle.profile lists: the report's subject is the server,
	// and its reproduce line comes from the failing rule's profile.
	Profiles bool
	// Validate, if set, names the first of the kind's own keys whose
	// value is wrong (a *keyerr.Error).
	Validate func(s S) error
	// New makes the oracle, or names the setting it cannot work with.
	New func(s S, log *slog.Logger) (Oracle, error)
}

// Registry is the oracles a configuration may name, composed in one place
// (cmd/bisect); the first is the default kind.
type Registry[S any] = registry.List[Kind[S]]

// KindName is the name a configuration gives the kind.
func (k Kind[S]) KindName() string { return k.Name }
