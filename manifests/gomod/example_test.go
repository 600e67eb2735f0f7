package gomod

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
)

// TestShippedExample loads the locks of examples/go-mcp with the
// environment its bisect.yaml gives the go command, and checks what the
// example promises: six changes, the coupled pair jsonrpc → util, the
// indirect-only ansi, and that the culprit alone and everything but the
// culprit are both candidates the go command accepts as written.
func TestShippedExample(t *testing.T) {
	testenv.NeedTools(t, "go")
	ctx := context.Background()
	example, err := filepath.Abs(filepath.Join("..", "..", "examples", "go-mcp"))
	if err != nil {
		t.Fatal(err)
	}
	env := []string{
		"GOPROXY=file://" + filepath.Join(example, "server", "proxy"),
		"GOSUMDB=off", "GONOSUMDB=*", "GOFLAGS=-modcacherw", "GOTOOLCHAIN=local", "GOWORK=off",
		"GOMODCACHE=" + t.TempDir(),
	}
	set, err := manifests.Load(ctx, []manifests.Ecosystem{Ecosystem{}},
		filepath.Join(example, "old", "go.mod"), filepath.Join(example, "server", "go.mod"), "", manifests.Options{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	d := set.Diff()
	if len(d.Changes) != 6 || len(d.Units) != 6 {
		t.Fatalf("want 6 changes in 6 units, got %+v", d)
	}
	if a := d.Change("example.com/ansi"); a == nil || a.Direct {
		t.Errorf("example.com/ansi = %+v, want a transitive change", a)
	}
	jsonrpc, util, schema := unitOf(t, d, "example.com/jsonrpc"), unitOf(t, d, "example.com/util"), unitOf(t, d, "example.com/schema")
	want := manifests.Edge{From: jsonrpc, To: util, Reason: "example.com/jsonrpc v1.2.0 requires example.com/util v1.4.0"}
	if len(d.Edges) != 1 || d.Edges[0] != want {
		t.Errorf("edges = %+v, want only %+v", d.Edges, want)
	}

	var rest []string
	for _, u := range d.Units {
		if u.ID != schema {
			rest = append(rest, u.ID)
		}
	}
	for name, applied := range map[string][]string{"culprit alone": {schema}, "all but the culprit": rest} {
		t.Run(name, func(t *testing.T) {
			c, err := set.Candidate(applied)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := c.Write(dir); err != nil {
				t.Fatal(err)
			}
			if err := set.Validate(ctx, dir, c); err != nil {
				t.Errorf("Validate(%v): %v", applied, err)
			}
		})
	}
}
