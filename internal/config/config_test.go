package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/oracles/exec"
	"github.com/lockbisect/lockbisect/oracles/httpsteps"
	"github.com/lockbisect/lockbisect/oracles/mcp"
	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/docker"
	"github.com/lockbisect/lockbisect/runners/local"
	"github.com/lockbisect/lockbisect/runners/swarm"
)

// kinds are the registered runners and oracles, as cmd/bisect composes
// them.
var kinds = Kinds{
	Runners: []runners.Kind[Runner]{local.Kind[Runner](), docker.Kind[Runner](), swarm.Kind[Runner]()},
	Oracles: []oracles.Kind[Oracle]{mcp.Kind[Oracle](), httpsteps.Kind[Oracle](), exec.Kind[Oracle]()},
}

// TestExplicitZero: a key left unset takes its default, an explicit zero
// or negative value is refused naming the key, and search.retries takes an
// explicit 0 as "no retries".
func TestExplicitZero(t *testing.T) {
	tests := []struct {
		name    string
		set     string // the key given explicitly ("" = none)
		edit    func(*Config)
		wantKey string // "" = valid
		check   func(*Config) bool
	}{
		{"defaults", "", func(*Config) {}, "", func(c *Config) bool {
			return c.Search.Repeat == 1 && c.Search.Parallel == 1 && c.Search.Retries == 2 &&
				c.Runner.Ready.Timeout == time.Minute && c.Oracle.Timeout == time.Minute &&
				c.Runner.BuildTimeout == 10*time.Minute && c.Search.BuildFailure == "untestable" &&
				c.Runner.Builder == "auto" && c.Runner.BuildParallel == 0
		}},
		{"retries 0 means none", "search.retries", func(*Config) {}, "", func(c *Config) bool { return c.Search.Retries == 0 }},
		{"retries -1", "search.retries", func(c *Config) { c.Search.Retries = -1 }, "search.retries", nil},
		{"repeat 0", "search.repeat", func(*Config) {}, "search.repeat", nil},
		{"parallel 0", "search.parallel", func(*Config) {}, "search.parallel", nil},
		{"ready timeout 0", "runner.ready.timeout", func(*Config) {}, "runner.ready.timeout", nil},
		{"oracle timeout negative", "oracle.timeout", func(c *Config) { c.Oracle.Timeout = -time.Second }, "oracle.timeout", nil},
		{"build timeout 0", "runner.build_timeout", func(*Config) {}, "runner.build_timeout", nil},
		{"copy limit 0", "runner.copy_limit.files", func(*Config) {}, "runner.copy_limit.files", nil},
		{"port 70000", "", func(c *Config) { c.Runner.Port = 70000 }, "runner.port", nil},
		{"builder", "", func(c *Config) { c.Runner.Builder = "kaniko" }, "runner.builder", nil},
		{"builder classic", "", func(c *Config) { c.Runner.Builder = "classic" }, "", func(c *Config) bool { return c.Runner.Builder == "classic" }},
		{"build parallel 0 is the engine's", "runner.build_parallel", func(*Config) {}, "", func(c *Config) bool { return c.Runner.BuildParallel == 0 }},
		{"build parallel -1", "", func(c *Config) { c.Runner.BuildParallel = -1 }, "runner.build_parallel", nil},
		{"build failure", "", func(c *Config) { c.Search.BuildFailure = "fatal" }, "search.build_failure", nil},
		{"runner kind", "", func(c *Config) { c.Runner.Kind = "podman" }, "runner.kind", nil},
		{"oracle kind", "", func(c *Config) { c.Oracle.Kind = "grpc" }, "oracle.kind", nil},
		{"docker needs a port", "", func(c *Config) { c.Runner.Kind, c.Oracle.Kind = "docker", "mcp" }, "runner.port", nil},
		{"docker with exec needs no port", "", func(c *Config) { c.Runner.Kind = "docker" }, "", func(c *Config) bool { return c.Runner.Port == 0 }},
		{"local serves nothing", "", func(c *Config) { c.Oracle.Kind = "mcp" }, "runner.start", nil},
		{"exec needs a command", "", func(c *Config) { c.Oracle.Command = "" }, "oracle.command", nil},
		{"http needs steps", "", func(c *Config) { c.Oracle.Kind = "http"; c.Runner.Start = "./app" }, "oracle.steps", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Oracle: Oracle{Config: oracles.Config{Kind: "exec"}, ExecOracle: exec.Config{Command: "true"}}}
			tt.edit(&c)
			c.Defaults(kinds, func(key string) bool { return key == tt.set })
			err := c.Validate(kinds)
			var ke *KeyError
			switch {
			case tt.wantKey == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.wantKey != "" && (!errors.As(err, &ke) || ke.Key != tt.wantKey || !strings.HasPrefix(err.Error(), tt.wantKey+": ")):
				t.Fatalf("Validate: %v, want an error about %s", err, tt.wantKey)
			case tt.check != nil && !tt.check(&c):
				t.Errorf("config after Defaults: %+v", c)
			}
		})
	}
}
