package oracles

import (
	"fmt"
	"log/slog"

	"github.com/lockbisect/lockbisect/internal/config"
)

// New returns the oracle of kind c.Kind. It is the one place where kinds are
// registered; an invalid kind-specific setting is reported here, before any
// candidate is built.
func New(c config.Oracle, log *slog.Logger) (Oracle, error) {
	switch c.Kind {
	case "mcp":
		m := NewMCP(c, log)
		if m.badCfg != nil {
			return nil, m.badCfg
		}
		return m, nil
	case "http":
		h := NewHTTP(c, log)
		if _, err := h.compile(); err != nil {
			return nil, err
		}
		return h, nil
	case "exec":
		if c.Command == "" {
			return nil, fmt.Errorf("oracle.command: the exec oracle needs a command")
		}
		return NewExec(c, log), nil
	}
	return nil, fmt.Errorf("oracle.kind: %q is not mcp, http or exec", c.Kind)
}
