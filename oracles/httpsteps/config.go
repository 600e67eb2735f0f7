package httpsteps

import (
	"log/slog"
	"time"

	"github.com/lockbisect/lockbisect/internal/keyerr"
	"github.com/lockbisect/lockbisect/oracles"
)

// Config is the http oracle's own part of the oracle section.
type Config struct {
	Steps []Step `mapstructure:"steps"`
}

// Step is one request of the http oracle.
type Step struct {
	Name    string            `mapstructure:"name"`
	Method  string            `mapstructure:"method"`
	URL     string            `mapstructure:"url"` // template: {{.BaseURL}} and captures
	Headers map[string]string `mapstructure:"headers"`
	JSON    any               `mapstructure:"json"` // body sent as JSON
	Form    map[string]string `mapstructure:"form"` // body sent as a form
	Body    string            `mapstructure:"body"` // raw body (template)
	Expect  Expect            `mapstructure:"expect"`
	Capture map[string]string `mapstructure:"capture"` // name → "header:X", "json:$.a.b", "location:param"
	Follow  bool              `mapstructure:"follow"`  // follow redirects; false = judge the redirect response itself
	Timeout time.Duration     `mapstructure:"timeout"` // this request; 0 = 30s (never beyond oracle.timeout)
}

// Expect is what a step's response must show.
type Expect struct {
	Status  int               `mapstructure:"status"`  // 0 = any 2xx
	Headers map[string]string `mapstructure:"headers"` // name → regexp
	JSON    map[string]any    `mapstructure:"json"`    // path → value it must equal
	Match   map[string]string `mapstructure:"match"`   // path → regexp its value must match
}

// HTTPConfig returns c: a configuration that embeds Config (and
// oracles.Config) satisfies the Settings of Kind.
func (c Config) HTTPConfig() Config { return c }

// Validate names the first key whose value is wrong (a *keyerr.Error).
func (c *Config) Validate() error {
	if len(c.Steps) == 0 {
		return keyerr.New("oracle.steps", "the http oracle needs at least one step")
	}
	return nil
}

// settings is what an Oracle reads: the common oracle settings and its
// own, side by side (h.cfg.Path, h.cfg.Steps).
type settings struct {
	oracles.Config
	own
}

// own names Config as settings' embedded field (two embedded types named
// Config would collide).
type own = Config

// Kind is the http oracle for a registry of S.
func Kind[S interface {
	oracles.Settings
	HTTPConfig() Config
}]() oracles.Kind[S] {
	return oracles.Kind[S]{
		Name: "http",
		Validate: func(s S) error {
			c := s.HTTPConfig()
			return c.Validate()
		},
		New: func(s S, log *slog.Logger) (oracles.Oracle, error) {
			o := New(s.OracleConfig(), s.HTTPConfig(), log)
			if err := o.Invalid(); err != nil {
				return nil, err
			}
			return o, nil
		},
	}
}
