package npm

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lockbisect/lockbisect/internal/fixtures/npmregistry"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
)

type pkg = npmregistry.Package

// oldReleases are what the registry holds when the old lock is made;
// newReleases are published before the update that makes the new lock.
var oldReleases = []pkg{
	{Name: "acme-http", Version: "1.0.0", Dependencies: map[string]string{"acme-util": "^1.0.0"}},
	{Name: "acme-util", Version: "1.0.0"},
	{Name: "acme-sdk", Version: "1.0.0", Dependencies: map[string]string{"acme-json": "^1.0.0"}},
	{Name: "acme-legacy", Version: "1.0.0", Dependencies: map[string]string{"acme-json": "^1.0.0"}},
	{Name: "acme-json", Version: "1.0.0"},
	{Name: "acme-host", Version: "1.0.0"},
	{Name: "acme-plugin", Version: "1.0.0", PeerDependencies: map[string]string{"acme-host": "^1.0.0"}},
	{Name: "acme-test", Version: "1.0.0"},
}

var newReleases = []pkg{
	// a direct upgrade that brings an optional dependency
	{Name: "acme-http", Version: "1.1.0", Dependencies: map[string]string{"acme-util": "^1.0.0"}, OptionalDependencies: map[string]string{"acme-fast": "^1.0.0"}},
	{Name: "acme-fast", Version: "1.0.0"},
	// a transitive-only change
	{Name: "acme-util", Version: "1.0.1"},
	// a major upgrade that leaves a nested duplicate of acme-json
	{Name: "acme-sdk", Version: "2.0.0", Dependencies: map[string]string{"acme-json": "^2.0.0"}},
	{Name: "acme-json", Version: "2.0.0"},
	// a peer: the new plugin takes either host, the old only host 1
	{Name: "acme-host", Version: "2.0.0"},
	{Name: "acme-plugin", Version: "1.1.0", PeerDependencies: map[string]string{"acme-host": "^1.0.0 || ^2.0.0"}, OptionalPeers: nil},
	// a dev dependency whose root range moves, to a deprecated version
	{Name: "acme-test", Version: "2.0.0", Deprecated: "use acme-check"},
}

const oldPackageJSON = `{
  "name": "server",
  "version": "1.0.0",
  "dependencies": {
    "acme-http": "^1.0.0",
    "acme-sdk": "^1.0.0",
    "acme-legacy": "^1.0.0",
    "acme-host": "^1.0.0",
    "acme-plugin": "^1.0.0"
  },
  "devDependencies": {
    "acme-test": "^1.0.0"
  }
}
`

const newPackageJSON = `{
  "name": "server",
  "version": "1.0.0",
  "dependencies": {
    "acme-http": "^1.0.0",
    "acme-sdk": "^2.0.0",
    "acme-legacy": "^1.0.0",
    "acme-host": "^2.0.0",
    "acme-plugin": "^1.1.0"
  },
  "devDependencies": {
    "acme-test": "^2.0.0"
  }
}
`

// project is an old and a new lock made by the real npm from the fixture
// registry, which keeps serving for installs of candidates.
type project struct {
	reg      *npmregistry.Registry
	dir      string // holds old/ and new/, and npm's cache and config
	env      []string
	old, new *manifests.Snapshot
}

func npmRun(t testing.TB, env []string, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("npm", args...)
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm %v in %s: %v\n%s", args, dir, err, out)
	}
}

// makeProject installs oldPackageJSON, publishes the new releases and
// updates to newPackageJSON, with the real npm.
func makeProject(t testing.TB, flags ...string) *project {
	t.Helper()
	testenv.NeedTools(t, "node", "npm")
	p := &project{dir: t.TempDir()}
	p.reg = npmregistry.Start(t, oldReleases...)
	p.env = p.reg.Environ(p.dir)
	oldDir, newDir := filepath.Join(p.dir, "old"), filepath.Join(p.dir, "new")
	for _, d := range []string{oldDir, newDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(oldDir, "package.json"), oldPackageJSON)
	npmRun(t, p.env, oldDir, append([]string{"install", "--package-lock-only", "--ignore-scripts"}, flags...)...)
	p.reg.Publish(t, newReleases...)
	write(t, filepath.Join(newDir, "package.json"), newPackageJSON)
	lock, err := os.ReadFile(filepath.Join(oldDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(newDir, "package-lock.json"), string(lock))
	npmRun(t, p.env, newDir, append([]string{"install", "--package-lock-only", "--ignore-scripts"}, flags...)...)
	npmRun(t, p.env, newDir, append([]string{"update", "--package-lock-only", "--ignore-scripts"}, flags...)...)
	ctx := context.Background()
	eco := Ecosystem{}
	if p.old, err = manifests.Read(ctx, filepath.Join(oldDir, "package-lock.json"), "", eco.Siblings()); err != nil {
		t.Fatal(err)
	}
	if p.new, err = manifests.Read(ctx, filepath.Join(newDir, "package-lock.json"), "", eco.Siblings()); err != nil {
		t.Fatal(err)
	}
	return p
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (p *project) open(t testing.TB) *set {
	t.Helper()
	s, err := Ecosystem{}.Open(context.Background(), p.old, p.new, manifests.Options{Env: p.reg.Env(p.dir)})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*set)
}
