package gomod

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/dirhash"

	"github.com/lockbisect/lockbisect/internal/fixtures/goproxy"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
)

// generated writes a pair of locks over n fabricated modules into a file
// proxy: module i at v1.0.0 (old) and v1.1.0 (new) requires modules i+1
// and i+7 at its own version, and every third module keeps v1.0.0 in the
// new lock, so that the coupling has edges and free units alike.
func generated(b testing.TB, n int) (old, new *manifests.Snapshot, env []string) {
	b.Helper()
	proxy := b.TempDir()
	env = goproxy.Env(proxy, b.TempDir())
	name := func(i int) string { return fmt.Sprintf("example.com/gen/m%03d", i) }
	newVersion := func(i int) string {
		if i%3 == 0 {
			return "v1.0.0"
		}
		return "v1.1.0"
	}
	var sum []string
	for i := 0; i < n; i++ {
		for _, v := range []string{"v1.0.0", "v1.1.0"} {
			req := map[string]string{}
			for _, j := range []int{i + 1, i + 7} {
				if j < n {
					w := v
					if v == "v1.1.0" {
						w = newVersion(j)
					}
					req[name(j)] = w
				}
			}
			m := goproxy.Module{Path: name(i), Version: v, Require: req, Files: map[string]string{"m.go": "package m\n"}}
			goproxy.Write(b, proxy, m)
			h, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
				return io.NopCloser(strings.NewReader(m.GoModText())), nil
			})
			if err != nil {
				b.Fatal(err)
			}
			sum = append(sum, name(i)+" "+v+"/go.mod "+h)
		}
	}
	gomod := func(version func(int) string) string {
		var s strings.Builder
		s.WriteString("module example.com/app\n\ngo 1.21\n\nrequire (\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&s, "\t%s %s\n", name(i), version(i))
		}
		s.WriteString(")\n")
		return s.String()
	}
	dir := b.TempDir()
	snapshot := func(side, text string) *manifests.Snapshot {
		p := filepath.Join(dir, side, "go.mod")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		files := map[string]string{"go.mod": text, "go.sum": strings.Join(sum, "\n") + "\n"}
		for f, data := range files {
			if err := os.WriteFile(filepath.Join(dir, side, f), []byte(data), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		s, err := manifests.Read(context.Background(), p, "", Ecosystem{}.Siblings())
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	return snapshot("old", gomod(func(int) string { return "v1.0.0" })), snapshot("new", gomod(newVersion)), env
}

// BenchmarkSelection compares the two ways the coupling learns what a lock
// selects, on the new lock of a generated 300-module pair: minimal version
// selection in process over the .mod files (read afresh from the file
// proxy each time) and `go list -m -json all` (module cache warm).
func BenchmarkSelection(b *testing.B) {
	testenv.NeedTools(b, "go")
	_, new, env := generated(b, 300)
	l, err := load(new, "")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	want, err := selected(ctx, l, env, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("in-process", func(b *testing.B) {
		for b.Loop() {
			got, err := mvs(ctx, l, newModReader(env, "", slog.New(slog.DiscardHandler)))
			if err != nil || !maps.Equal(got, want) {
				b.Fatalf("mvs: %d modules, %v; the go command selects %d others", len(got), err, len(want))
			}
		}
	})
	b.Run("go-command", func(b *testing.B) {
		for b.Loop() {
			if _, err := selected(ctx, l, env, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpen is the whole coupling of the generated 300-module pair:
// diff, the .mod files of every changed module, both selections, units.
func BenchmarkOpen(b *testing.B) {
	testenv.NeedTools(b, "go")
	old, new, env := generated(b, 300)
	ctx := context.Background()
	for b.Loop() {
		set, err := Ecosystem{}.Open(ctx, old, new, manifests.Options{Env: env})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(set.Diff().Changes)), "changes/op")
		b.ReportMetric(float64(len(set.Diff().Units)), "units/op")
	}
}
