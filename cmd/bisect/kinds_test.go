package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/internal/hunt"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/oracles/httpsteps"
)

// TestNewOracle: each registered oracle kind is made from its settings,
// an unknown kind is refused naming the registered ones, and a kind's
// invalid settings are reported before any candidate is built.
func TestNewOracle(t *testing.T) {
	step := []httpsteps.Step{{Name: "a", URL: "{{.BaseURL}}/"}}
	oracle := func(kind string) config.Oracle { return config.Oracle{Config: oracles.Config{Kind: kind}} }
	withSteps, withCommand := oracle("http"), oracle("exec")
	withSteps.Steps, withCommand.Command = step, "true"
	tests := []struct {
		name string
		cfg  config.Oracle
		want string // the concrete type, or the error's text
	}{
		{"mcp", oracle("mcp"), "*mcp.Oracle"},
		{"http", withSteps, "*httpsteps.Oracle"},
		{"exec", withCommand, "*exec.Oracle"},
		{"unknown kind", oracle("grpc"), `oracle.kind: "grpc" is not mcp, http or exec`},
		{"http without steps", oracle("http"), "oracle.steps: the http oracle needs at least one step"},
		{"exec without command", oracle("exec"), "oracle.command: the exec oracle needs a command"},
		{"mcp with an unknown profile", config.Oracle{Config: oracles.Config{Kind: "mcp"}, MCPOracle: config.MCPOracle{Profile: []string{"emacs"}}}, `oracle.profile: "emacs" is not a profile`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := hunt.NewOracle(kinds().Oracles, tt.cfg, nil)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = fmt.Sprintf("%T", o)
			}
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("NewOracle(%s) = %s, want %s", tt.cfg.Kind, got, tt.want)
			}
		})
	}
}

// TestKinds: the defaults are local and mcp (the first registered), the
// capabilities the hunt asks for are the ones each kind has, and the
// composed configuration gives every kind its settings.
func TestKinds(t *testing.T) {
	k := kinds()
	var c config.Config
	c.Defaults(k, nil)
	if c.Runner.Kind != "local" || c.Oracle.Kind != "mcp" {
		t.Errorf("default kinds %s, %s; want local, mcp", c.Runner.Kind, c.Oracle.Kind)
	}
	for _, tt := range []struct {
		name  string
		image bool
	}{{"local", false}, {"docker", true}, {"swarm", true}} {
		r, ok := k.Runners.Lookup(tt.name)
		if !ok || r.Image != tt.image || r.New == nil || (r.Preflight != nil) != tt.image {
			t.Errorf("runner %s: registered %v, image %v, preflight %v; want image %v", tt.name, ok, r.Image, r.Preflight != nil, tt.image)
		}
	}
	for _, tt := range []struct {
		name                 string
		serverless, profiles bool
	}{{"mcp", false, true}, {"http", false, false}, {"exec", true, false}} {
		o, ok := k.Oracles.Lookup(tt.name)
		if !ok || o.Serverless != tt.serverless || o.Profiles != tt.profiles {
			t.Errorf("oracle %s: registered %v, serverless %v, profiles %v; want %v, %v", tt.name, ok, o.Serverless, o.Profiles, tt.serverless, tt.profiles)
		}
	}
	// The exec oracle reads its command from the composed section.
	c.Oracle.Kind, c.Oracle.Command = "exec", "echo the-command-ran; exit 3"
	o, err := hunt.NewOracle(k.Oracles, c.Oracle, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := o.Check(t.Context(), oracles.Target{Dir: t.TempDir()})
	if err != nil || v.Passed() || !strings.Contains(v.Output, "the-command-ran") {
		t.Errorf("exec oracle: %+v, %v; want the configured command's failure", v, err)
	}
}
