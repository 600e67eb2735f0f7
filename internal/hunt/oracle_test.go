package hunt

import (
	"fmt"
	"testing"

	"github.com/lockbisect/lockbisect/internal/config"
)

func TestNewOracle(t *testing.T) {
	step := []config.Step{{Name: "a", URL: "{{.BaseURL}}/"}}
	tests := []struct {
		name string
		cfg  config.Oracle
		want string // the concrete type, or the error's text
	}{
		{"mcp", config.Oracle{Kind: "mcp"}, "*mcp.Oracle"},
		{"http", config.Oracle{Kind: "http", Steps: step}, "*httpsteps.Oracle"},
		{"exec", config.Oracle{Kind: "exec", Command: "true"}, "*exec.Oracle"},
		{"unknown kind", config.Oracle{Kind: "grpc"}, `oracle.kind: "grpc" is not mcp, http or exec`},
		{"http without steps", config.Oracle{Kind: "http"}, "oracle.steps: the http oracle needs at least one step"},
		{"exec without command", config.Oracle{Kind: "exec"}, "oracle.command: the exec oracle needs a command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := NewOracle(tt.cfg, nil)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = fmt.Sprintf("%T", o)
			}
			if got != tt.want {
				t.Errorf("NewOracle(%s) = %s, want %s", tt.cfg.Kind, got, tt.want)
			}
		})
	}
}
