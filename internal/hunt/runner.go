package hunt

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/internal/keyerr"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/runners"
)

// newRunner makes the run's runner of the configured kind (Options.Kinds).
// The returned function releases what the runner holds for the whole run.
func newRunner(ctx context.Context, o Options, project string, ro runners.Options) (runners.Runner, func(), error) {
	cfg := o.Config
	kind, ok := o.Kinds.Runners.Lookup(cfg.Runner.Kind)
	if !ok {
		return nil, nil, fmt.Errorf("runner.kind: %q is not registered", cfg.Runner.Kind)
	}
	r, release, err := kind.New(ctx, cfg.Runner, project, ro)
	if err != nil {
		return nil, nil, fmt.Errorf("%s runner: %w", kind.Name, err)
	}
	return r, func() {
		if err := release(context.WithoutCancel(ctx)); err != nil {
			ro.Logger.Warn(kind.Name+" runner cleanup", "err", err)
		}
	}, nil
}

// NewOracle returns the oracle of the kind c names, one of kinds; an
// invalid kind-specific setting is reported here, before any candidate is
// built.
func NewOracle(kinds oracles.Registry[config.Oracle], c config.Oracle, log *slog.Logger) (oracles.Oracle, error) {
	kind, ok := kinds.Lookup(c.Kind)
	if !ok {
		return nil, keyerr.OneOf("oracle.kind", c.Kind, kinds.Names())
	}
	return kind.New(c, log)
}
