package exec

import (
	"log/slog"

	"github.com/lockbisect/lockbisect/internal/keyerr"
	"github.com/lockbisect/lockbisect/oracles"
)

// Config is the exec oracle's own part of the oracle section.
type Config struct {
	Command string `mapstructure:"command"` // run with sh -c
}

// ExecConfig returns c: a configuration that embeds Config (and
// oracles.Config) satisfies the Settings of Kind.
func (c Config) ExecConfig() Config { return c }

// Validate names the first key whose value is wrong (a *keyerr.Error).
func (c *Config) Validate() error {
	if c.Command == "" {
		return keyerr.New("oracle.command", "the exec oracle needs a command")
	}
	return nil
}

// settings is what an Oracle reads: the common oracle settings and its
// own, side by side (e.cfg.Path, e.cfg.Command).
type settings struct {
	oracles.Config
	own
}

// own names Config as settings' embedded field (two embedded types named
// Config would collide).
type own = Config

// Kind is the exec oracle for a registry of S.
func Kind[S interface {
	oracles.Settings
	ExecConfig() Config
}]() oracles.Kind[S] {
	return oracles.Kind[S]{
		Name:       "exec",
		Serverless: true,
		Validate: func(s S) error {
			c := s.ExecConfig()
			return c.Validate()
		},
		New: func(s S, log *slog.Logger) (oracles.Oracle, error) {
			o := New(s.OracleConfig(), s.ExecConfig(), log)
			if err := o.Invalid(); err != nil {
				return nil, err
			}
			return o, nil
		},
	}
}
