// Package registry is the one list type behind the runner and oracle
// registries: plugins of a kind, composed in one place (cmd/bisect), the
// first the default.
package registry

import "slices"

// Named is a plugin with the name a configuration gives it.
type Named interface {
	KindName() string
}

// List is the registered plugins of one kind, the default first.
type List[K Named] []K

// Lookup returns the plugin named name.
func (l List[K]) Lookup(name string) (K, bool) {
	i := slices.IndexFunc(l, func(k K) bool { return k.KindName() == name })
	if i < 0 {
		var zero K
		return zero, false
	}
	return l[i], true
}

// Names lists the registered plugins' names, the default first.
func (l List[K]) Names() []string {
	names := make([]string, len(l))
	for i, k := range l {
		names[i] = k.KindName()
	}
	return names
}
