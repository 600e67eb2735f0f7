package gomod

import (
	"context"

	"github.com/lockbisect/lockbisect/manifests"
)

// Ecosystem is a placeholder replaced by the real implementation.
type Ecosystem struct{}

var _ manifests.Ecosystem = Ecosystem{}

func (Ecosystem) Name() string       { return "gomod" }
func (Ecosystem) Lock() string       { return "go.mod" }
func (Ecosystem) Siblings() []string { return nil }
func (Ecosystem) Open(ctx context.Context, old, new *manifests.Snapshot, opts manifests.Options) (manifests.Set, error) {
	panic("todo")
}
