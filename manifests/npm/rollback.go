package npm

import (
	"strings"

	"github.com/lockbisect/lockbisect/manifests"
)

// Rollback implements [manifests.Rollbacker]: the commands that take the
// named changes back to their old versions in a project on the new lock. A direct
// dependency is installed at its old version (npm install a@1.2.3, with
// --save-dev for a dev dependency) and an added one uninstalled; a
// transitive one cannot be named to npm install without making it direct,
// so it is pinned through package.json's overrides (npm pkg set
// overrides.a=1.2.3) and one npm install applies them. A transitive
// addition has no command: it goes when what needs it goes. A change whose
// old side is several versions at several paths is rolled back to its
// hoisted version.
func (s *set) Rollback(changes []manifests.Change) [][]string {
	var install, dev, uninstall, overrides []string
	for _, c := range changes {
		old := oldVersion(c.From)
		switch {
		case c.Kind == manifests.Added && c.Direct:
			uninstall = append(uninstall, c.Package)
		case c.Kind == manifests.Added:
		case c.Direct && c.Dev:
			dev = append(dev, c.Package+"@"+old)
		case c.Direct:
			install = append(install, c.Package+"@"+old)
		default:
			key := "overrides." + c.Package
			if strings.Contains(c.Package, ".") {
				key = "overrides[" + c.Package + "]"
			}
			overrides = append(overrides, key+"="+old)
		}
	}
	var cmds [][]string
	if len(uninstall) > 0 {
		cmds = append(cmds, append([]string{"npm", "uninstall"}, uninstall...))
	}
	if len(install) > 0 {
		cmds = append(cmds, append([]string{"npm", "install"}, install...))
	}
	if len(dev) > 0 {
		cmds = append(cmds, append([]string{"npm", "install", "--save-dev"}, dev...))
	}
	if len(overrides) > 0 {
		cmds = append(cmds, append([]string{"npm", "pkg", "set"}, overrides...), []string{"npm", "install"})
	}
	return cmds
}

// oldVersion is the version a change's From names: the version itself,
// or for several paths ("1.0.0 at node_modules/a, 2.0.0 at …") the one at
// the hoisted path node_modules/<name>, else the first.
func oldVersion(from string) string {
	if !strings.Contains(from, " at ") {
		return from
	}
	parts := strings.Split(from, ", ")
	for _, p := range parts {
		v, paths, _ := strings.Cut(p, " at ")
		for _, path := range strings.Fields(paths) {
			if !strings.Contains(path, "/node_modules/") {
				return v
			}
		}
	}
	v, _, _ := strings.Cut(parts[0], " at ")
	return v
}
