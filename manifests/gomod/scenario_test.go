package gomod

import (
	"context"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/fixtures/goproxy"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
)

// pkg fabricates a module whose one package exports Version() and calls
// Version() of the packages it imports, so that a built binary shows which
// versions it was linked with.
func pkg(path, version string, require map[string]string, imports ...string) goproxy.Module {
	name := path[strings.LastIndex(path, "/")+1:]
	var b strings.Builder
	b.WriteString("package " + name + "\n\n")
	for _, imp := range imports {
		b.WriteString("import \"" + imp + "\"\n")
	}
	b.WriteString("\nfunc Version() string { return \"" + name + "@" + version + "\"")
	for _, imp := range imports {
		b.WriteString(" + \" \" + " + imp[strings.LastIndex(imp, "/")+1:] + ".Version()")
	}
	b.WriteString(" }\n")
	return goproxy.Module{Path: path, Version: version, Require: require, Files: map[string]string{name + ".go": b.String()}}
}

// scenario is a project at an old and a new state, both tidied by the real
// go command against a file proxy of fabricated modules.
type scenario struct {
	proxy, oldDir, newDir string
	env                   []string // goproxy.Env, to append to os.Environ()
	main                  string   // main.go of the project
	lockDir               string   // go.mod's directory within the project ("" = its root)
}

const scenarioMain = `package main

import (
	"fmt"

	"example.com/b"
	"example.com/c"
)

func main() { fmt.Println(b.Version(), c.Version()) }
`

// newScenario: b v1.0.0 → v1.2.0 (whose go.mod requires a v1.1.0),
// a v1.0.0 → v1.1.0 (indirect), c v1.0.0 → v1.1.0 (direct, free) and
// d v1.0.0 → v1.0.1 (indirect only: required by c, imported by nobody in
// the main module).
func newScenario(t testing.TB) *scenario {
	t.Helper()
	testenv.NeedTools(t, "go")
	s := &scenario{proxy: t.TempDir(), oldDir: t.TempDir(), newDir: t.TempDir(), main: scenarioMain}
	s.env = goproxy.Env(s.proxy, t.TempDir())
	goproxy.Write(t, s.proxy,
		pkg("example.com/a", "v1.0.0", nil),
		pkg("example.com/a", "v1.1.0", nil),
		pkg("example.com/b", "v1.0.0", map[string]string{"example.com/a": "v1.0.0"}, "example.com/a"),
		pkg("example.com/b", "v1.2.0", map[string]string{"example.com/a": "v1.1.0"}, "example.com/a"),
		pkg("example.com/c", "v1.0.0", map[string]string{"example.com/d": "v1.0.0"}, "example.com/d"),
		pkg("example.com/c", "v1.1.0", map[string]string{"example.com/d": "v1.0.0"}, "example.com/d"),
		pkg("example.com/d", "v1.0.0", nil),
		pkg("example.com/d", "v1.0.1", nil),
	)
	gomod := func(b, a, c, d string) string {
		return "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/b " + b + "\n\texample.com/c " + c +
			"\n)\n\nrequire (\n\texample.com/a " + a + " // indirect\n\texample.com/d " + d + " // indirect\n)\n"
	}
	s.tidy(t, s.oldDir, gomod("v1.0.0", "v1.0.0", "v1.0.0", "v1.0.0"))
	s.tidy(t, s.newDir, gomod("v1.2.0", "v1.1.0", "v1.1.0", "v1.0.1"))
	return s
}

// tidy writes the project with this go.mod into dir and lets the go
// command complete it.
func (s *scenario) tidy(t testing.TB, dir, gomod string) {
	t.Helper()
	for name, content := range map[string]string{"go.mod": gomod, "main.go": s.main} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.goCmd(t, dir, "mod", "tidy")
}

func (s *scenario) goCmd(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), s.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

func (s *scenario) open(t testing.TB, env []string) manifests.Pair {
	t.Helper()
	ctx := context.Background()
	old, err := manifests.Read(ctx, filepath.Join(s.oldDir, s.lockDir, "go.mod"), "", Ecosystem{}.Siblings())
	if err != nil {
		t.Fatal(err)
	}
	new, err := manifests.Read(ctx, filepath.Join(s.newDir, s.lockDir, "go.mod"), "", Ecosystem{}.Siblings())
	if err != nil {
		t.Fatal(err)
	}
	set, err := Ecosystem{}.Open(ctx, old, new, manifests.Options{Env: env, LockDir: s.lockDir})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// project copies the project (new side) into a fresh directory with the
// candidate's files written, as the local runner does, and returns the
// lock's directory in it.
func (s *scenario) project(t testing.TB, c *manifests.Candidate) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "project")
	if err := os.CopyFS(dir, os.DirFS(s.newDir)); err != nil {
		t.Fatal(err)
	}
	// As the hunt places them: the candidate's files are relative to the
	// lock's directory.
	placed := &manifests.Candidate{Applied: c.Applied, Files: map[string][]byte{}}
	for name, data := range c.Files {
		placed.Files[path.Join(s.lockDir, name)] = data
	}
	if err := placed.Write(dir); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, filepath.FromSlash(s.lockDir))
}

// unitOf returns the id of the unit holding pkg.
func unitOf(t testing.TB, d *manifests.Diff, pkg string) string {
	t.Helper()
	for _, u := range d.Units {
		for _, p := range u.Packages {
			if p == pkg {
				return u.ID
			}
		}
	}
	t.Fatalf("no unit holds %s in %+v", pkg, d.Units)
	return ""
}
