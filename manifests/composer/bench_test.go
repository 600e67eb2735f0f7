package composer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/manifests"
)

// genLock writes a composer.lock of n packages in composer's own layout.
// Entries carry the keys a packagist release has (source, dist, require,
// autoload, authors, support …) so that the size per entry is realistic.
// On the new side two packages in five move up a patch release, and every
// tenth moved package requires its moved dependency's new release, which
// makes closure edges.
func genLock(n int, side string) []byte {
	entries := make([]string, n)
	for i := 0; i < n; i++ {
		moved := side == "new" && i%5 < 2
		version := fmt.Sprintf("v%d.%d.0", 1+i%3, i%17)
		if moved {
			version = fmt.Sprintf("v%d.%d.1", 1+i%3, i%17)
		}
		require := map[string]string{"php": ">=8.1", "ext-json": "*"}
		for k := 1; k <= 4 && i-k*7 >= 0; k++ {
			dep := i - k*7
			c := fmt.Sprintf("^%d.%d", 1+dep%3, dep%17)
			if moved && dep%5 < 2 && i%10 == 0 {
				c = fmt.Sprintf("^%d.%d.1", 1+dep%3, dep%17)
			}
			require[fmt.Sprintf("vendor%d/package-%d", dep%40, dep)] = c
		}
		name := fmt.Sprintf("vendor%d/package-%d", i%40, i)
		ref := fmt.Sprintf("%040x", i*7919+len(version))
		e := map[string]any{
			"name":    name,
			"version": version,
			"source":  map[string]string{"type": "git", "url": "https://github.com/" + name + ".git", "reference": ref},
			"dist":    map[string]string{"type": "zip", "url": "https://api.github.com/repos/" + name + "/zipball/" + ref, "reference": ref, "shasum": ""},
			"require": require,
			"conflict": map[string]string{
				fmt.Sprintf("vendor%d/legacy-%d", i%40, i): "<1.0",
			},
			"type":                "library",
			"autoload":            map[string]any{"psr-4": map[string]string{fmt.Sprintf("Vendor%d\\Package%d\\", i%40, i): "src/"}},
			"notification-url":    "https://packagist.org/downloads/",
			"license":             []string{"MIT"},
			"authors":             []map[string]string{{"name": "Maintainer " + name, "email": "dev@example.org"}},
			"description":         "Package " + name + " provides a component used by many applications, with a description of realistic length.",
			"homepage":            "https://example.org/" + name,
			"keywords":            []string{"component", "library", "php"},
			"support":             map[string]string{"issues": "https://github.com/" + name + "/issues", "source": "https://github.com/" + name + "/tree/" + version},
			"time":                "2026-01-01T00:00:00+00:00",
			"installation-source": "dist",
		}
		b, err := json.MarshalIndent(e, "        ", "    ")
		if err != nil {
			panic(err)
		}
		entries[i] = string(b)
	}
	// composer sorts by name; the generator's names sort differently from
	// their index, which the parser must not care about.
	return []byte("{\n    \"_readme\": [\n        \"generated\"\n    ],\n    \"content-hash\": \"" + side + "\",\n    \"packages\": [\n        " +
		strings.Join(entries, ",\n        ") + "\n    ],\n    \"packages-dev\": [],\n    \"aliases\": [],\n    \"minimum-stability\": \"stable\",\n    \"plugin-api-version\": \"2.6.0\"\n}\n")
}

// BenchmarkDiff parses, diffs and couples a pair of generated 2,000-package
// composer.lock files (the target is under 100 ms/op).
func BenchmarkDiff(b *testing.B) {
	const n = 2000
	oldLock, newLock := genLock(n, "old"), genLock(n, "new")
	old := &manifests.Snapshot{Ref: "old/composer.lock", Path: "composer.lock", Files: map[string][]byte{"composer.lock": oldLock}}
	nw := &manifests.Snapshot{Ref: "new/composer.lock", Path: "composer.lock", Files: map[string][]byte{"composer.lock": newLock}}
	ctx := context.Background()
	b.SetBytes(int64(len(oldLock) + len(newLock)))
	var d *manifests.Diff
	for b.Loop() {
		s, err := Ecosystem{}.Open(ctx, old, nw, manifests.Options{})
		if err != nil {
			b.Fatal(err)
		}
		d = s.Diff()
	}
	if len(d.Changes) != n*2/5 {
		b.Fatalf("%d changes, want %d", len(d.Changes), n*2/5)
	}
	if len(d.Edges) == 0 {
		b.Fatal("no edges: the generator should couple some changes")
	}
	b.ReportMetric(float64(len(d.Changes)), "changes/op")
	b.ReportMetric(float64(len(d.Units)), "units/op")
	b.ReportMetric(float64(len(d.Edges)), "edges/op")
}
