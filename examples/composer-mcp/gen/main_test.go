package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/manifests/composer"
)

// TestCommittedZipsAreCurrent regenerates the artifact repository and
// compares it with the committed zips, whose shasums the committed lock files
// record: a change to the generator must come with regenerated zips and locks.
func TestCommittedZipsAreCurrent(t *testing.T) {
	out := t.TempDir()
	if err := run(out); err != nil {
		t.Fatal(err)
	}
	generated, err := filepath.Glob(filepath.Join(out, "*.zip"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob("../server/artifacts/*.zip")
	if err != nil {
		t.Fatal(err)
	}
	if len(generated) != len(committed) || len(generated) != 18 {
		t.Fatalf("generated %d zips, %d committed, want 18 of each", len(generated), len(committed))
	}
	for _, g := range generated {
		t.Run(filepath.Base(g), func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("../server/artifacts", filepath.Base(g)))
			if err != nil {
				t.Fatalf("committed zip missing: %v", err)
			}
			got, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the committed zip: run go run ./examples/composer-mcp/gen and gen/locks.sh", filepath.Base(g))
			}
		})
	}
}

// TestOnlySchemaBreaks pins the example's premise: of all fabricated
// releases, only acme/schema 1.1.4 and 1.2.0 stop writing an empty map as an
// object.
func TestOnlySchemaBreaks(t *testing.T) {
	for _, p := range packages() {
		t.Run(p.name+"@"+p.version, func(t *testing.T) {
			files, err := p.files()
			if err != nil {
				t.Fatal(err)
			}
			src := string(files["src/"+p.class+".php"])
			keepsObject := strings.Contains(src, `new \stdClass()`)
			broken := p.version == "1.1.4" || p.version == "1.2.0"
			if p.name == "acme/schema" && keepsObject == broken {
				t.Errorf("acme/schema %s: keeps {} = %v, want %v", p.version, keepsObject, !broken)
			}
		})
	}
}

// TestCommittedP2IsCurrent regenerates acme/schema's p2 metadata and
// compares it with the committed one, and reads it back as the drill-down
// does.
func TestCommittedP2IsCurrent(t *testing.T) {
	repo := t.TempDir()
	if err := writeP2(repo); err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join("p2", "acme", "schema.json")
	got, err := os.ReadFile(filepath.Join(repo, rel))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "server", "repo", rel))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("committed server/repo/%s differs from the generator's output (run go run ./examples/composer-mcp/gen): %v", rel, err)
	}
	abs, err := filepath.Abs(repo)
	if err != nil {
		t.Fatal(err)
	}
	rels, err := composer.ListReleases(context.Background(), http.DefaultClient, "file://"+abs, "acme/schema")
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, r := range rels {
		versions = append(versions, r.Version)
		if !bytes.Contains(r.Entry, []byte(`"artifacts/acme-schema-`+r.Version+`.zip"`)) {
			t.Errorf("%s: entry without its zip: %s", r.Version, r.Entry)
		}
	}
	if strings.Join(versions, " ") != "1.2.0 1.1.4 1.1.3 1.1.2 1.1.1 1.1.0" {
		t.Errorf("releases %v, want 1.2.0 … 1.1.0, newest first", versions)
	}
}
