package npm

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/lockbisect/lockbisect/manifests"
)

// PinCommit implements [manifests.CommitPinner]: the package is packed
// from a work tree of the commit ([CommitEntry]) into a directory of that
// tree, so that the tarball goes when the drill-down removes the tree,
// and the pin installs it in place of the release it stands in for.
func (s *set) PinCommit(ctx context.Context, c manifests.Commit) (manifests.Pin, error) {
	tree, err := c.Checkout()
	if err != nil {
		return manifests.Pin{}, err
	}
	dir := filepath.Join(tree, filepath.FromSlash(c.Subdir))
	entry, err := CommitEntry(ctx, s.env, dir, filepath.Join(tree, ".lockbisect-pack"), c.Version)
	if err != nil {
		return manifests.Pin{}, err
	}
	return manifests.Pin{Package: c.Package, Version: c.Version, Entry: entry}, nil
}

// CommitEntry builds the lock entry that installs a package from a
// checkout of its repository at one commit (dir): npm pack writes the
// tarball npm publish would upload into out, and the entry names it by
// absolute file: URL with its integrity, with the dependency keys of the
// checkout's package.json. Its version is the release it stands in for,
// as for composer's commits: every dependent's range must keep holding
// without re-resolving, and npm ci installs what resolved names whatever
// version the checkout's package.json says.
//
// npm pack runs the checkout's prepack and prepare scripts, as npm does
// for a git dependency (npm 10 runs prepare even under --ignore-scripts):
// a TypeScript package compiles there, which needs its dev dependencies
// installed in the checkout first (npm install there is the caller's
// step). A failing script fails the entry, and the drill-down stays at
// the release level for that commit.
func CommitEntry(ctx context.Context, env []string, dir, out, version string) (json.RawMessage, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "npm", "pack", "--json", "--pack-destination", abs)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	stdout, err := cmd.Output()
	if err != nil {
		detail := ""
		if ee, ok := err.(*exec.ExitError); ok {
			detail = ": " + npmError(ee.Stderr)
		}
		return nil, fmt.Errorf("npm pack in %s: %w%s", dir, err, detail)
	}
	var packed []struct {
		Filename  string `json:"filename"`
		Integrity string `json:"integrity"`
	}
	if err := json.Unmarshal(stdout, &packed); err != nil || len(packed) != 1 || packed[0].Filename == "" {
		return nil, fmt.Errorf("npm pack in %s: unexpected output %q", dir, stdout)
	}
	pj, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(pj, &m); err != nil {
		return nil, fmt.Errorf("package.json in %s: %w", dir, err)
	}
	v, _ := json.Marshal(version)
	m["version"] = v
	m["dist"], _ = json.Marshal(map[string]string{
		"tarball":   "file:" + filepath.Join(abs, packed[0].Filename),
		"integrity": packed[0].Integrity,
	})
	manifest, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return ReleaseEntry(manifest)
}
