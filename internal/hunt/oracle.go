package hunt

import (
	"fmt"
	"log/slog"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/oracles/exec"
	"github.com/lockbisect/lockbisect/oracles/httpsteps"
	"github.com/lockbisect/lockbisect/oracles/mcp"
)

// NewOracle returns the oracle of kind c.Kind. It is the one place where
// oracle kinds are registered; an invalid kind-specific setting is
// reported here, before any candidate is built.
func NewOracle(c config.Oracle, log *slog.Logger) (oracles.Oracle, error) {
	var o interface {
		oracles.Oracle
		Invalid() error
	}
	switch c.Kind {
	case "mcp":
		o = mcp.New(c, log)
	case "http":
		o = httpsteps.New(c, log)
	case "exec":
		o = exec.New(c, log)
	default:
		return nil, fmt.Errorf("oracle.kind: %q is not mcp, http or exec", c.Kind)
	}
	if err := o.Invalid(); err != nil {
		return nil, err
	}
	return o, nil
}
