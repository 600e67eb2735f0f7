package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if len(generated) != len(committed) || len(generated) != 14 {
		t.Fatalf("generated %d zips, %d committed, want 14 of each", len(generated), len(committed))
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
// releases, only acme/schema 1.2.0 stops writing an empty map as an object.
func TestOnlySchemaBreaks(t *testing.T) {
	for _, p := range packages() {
		t.Run(p.name+"@"+p.version, func(t *testing.T) {
			files, err := p.files()
			if err != nil {
				t.Fatal(err)
			}
			src := string(files["src/"+p.class+".php"])
			keepsObject := strings.Contains(src, `new \stdClass()`)
			if p.name == "acme/schema" && keepsObject == (p.version == "1.2.0") {
				t.Errorf("acme/schema %s: keeps {} = %v, want %v", p.version, keepsObject, p.version != "1.2.0")
			}
		})
	}
}
