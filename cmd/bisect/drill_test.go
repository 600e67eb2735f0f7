package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests/composer"
	"github.com/lockbisect/lockbisect/manifests/composer/constraint"
	"github.com/lockbisect/lockbisect/reports"
	"github.com/lockbisect/lockbisect/reports/reportstest"
)

// TestComposerExampleDrill runs `bisect run` on the shipped composer
// example with real composer and php: the package-level search names
// acme/schema 1.1.0 → 1.2.0, the release level reads the releases between
// them from p2 metadata (written by composer.MarshalP2 and served from
// 127.0.0.1) and skips 1.1.2, which cannot be installed, and the commit
// level installs acme/schema from source at each commit of its upstream
// repository (made by the example's generator, mapped with --repo-map),
// skips the commit whose requirement cannot be met, and names the breaking
// commit inside the first bad merge.
func TestComposerExampleDrill(t *testing.T) {
	testenv.NeedTools(t, "php", "composer", "git", "go")
	repoRoot, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	ex := filepath.Join(work, "ex")
	if out, err := exec.Command("cp", "-r", filepath.Join(repoRoot, "examples", "composer-mcp"), ex).CombinedOutput(); err != nil {
		t.Fatalf("copy the example: %v\n%s", err, out)
	}
	upstream := filepath.Join(work, "upstream")
	gen := exec.Command("go", "run", "./examples/composer-mcp/gen", "-upstream", upstream)
	gen.Dir = repoRoot
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("write the upstream repository: %v\n%s", err, out)
	}

	p2 := schemaP2(t, filepath.Join(ex, "server", "artifacts"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/p2/acme/schema.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(p2)
	}))
	defer srv.Close()
	t.Setenv("BISECT_SEARCH_COMPOSER_REPO", srv.URL)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(work, "cache"))

	md, js := filepath.Join(work, "report.md"), filepath.Join(work, "report.json")
	var stdout, stderr bytes.Buffer
	root := newRootCmd(&stdout, &stderr)
	root.SetArgs([]string{"run", "--config", filepath.Join(ex, "bisect.yaml"),
		"--lock-old", filepath.Join(ex, "old", "composer.lock"), "--lock-new", filepath.Join(ex, "server", "composer.lock"),
		"--repo-map", "acme/schema=" + upstream, "--report-md", md, "--report-json", js})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("bisect run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	report, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^culprit: acme/schema 1\.1\.0 → 1\.2\.0$`,
		`(?m)^\*\*Release:\*\* the first bad one is 1\.1\.4 \(1\.1\.3 is the last good one\)$`,
		`(?m)^\| 1\.1\.2 \| untestable \| .*acme/json-pointer`,
		`(?m)^\*\*Commit:\*\* the first bad one is [0-9a-f]{10} “Merge pull request #12 from cy/plain-properties”.*; on the merged branch, the first bad one is [0-9a-f]{10} “Return the properties array as is”$`,
		`(?m)WIP: validate with acme/json-pointer \| untestable \| .*acme/json-pointer`,
		`(?m)^\| pull request \| #12 \|$`,
		`(?m)^- Schema::object\(\) returns the properties array as is \(#12\)\.$`,
		`(?m)^composer update acme/schema --with acme/schema:1\.1\.3$`,
	} {
		if !regexp.MustCompile(want).Match(append(stdout.Bytes(), report...)) {
			t.Errorf("output and report lack %s\nreport:\n%s\nstderr:\n%s", want, report, stderr.String())
		}
	}
	data, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	sch, err := reportstest.CompileSchema(filepath.Join(repoRoot, "docs", "report.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := reportstest.ValidateJSON(sch, data); err != nil {
		t.Error(err)
	}
	var rep reports.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Drill == nil || len(rep.Drill.Packages) != 1 || rep.Drill.Packages[0].Commits == nil || rep.Drill.Packages[0].Commits.MergedFirstBad == nil {
		t.Fatalf("JSON drill-down incomplete: %+v", rep.Drill)
	}
	if got := rep.Drill.Packages[0].Commits.MergedFirstBad.Subject; got != "Return the properties array as is" {
		t.Errorf("first bad commit on the merged branch: %q", got)
	}
}

// schemaP2 builds acme/schema's p2 metadata from the example's artifacts:
// each zip's composer.json with a dist entry as composer locks it (the
// path relative to the project, the zip's sha1), newest first.
func schemaP2(t *testing.T, artifacts string) []byte {
	t.Helper()
	zips, err := filepath.Glob(filepath.Join(artifacts, "acme-schema-*.zip"))
	if err != nil || len(zips) < 3 {
		t.Fatalf("acme/schema artifacts: %v (%d zips)", err, len(zips))
	}
	var entries []map[string]json.RawMessage
	for _, z := range zips {
		data, err := os.ReadFile(z)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		f, err := zr.Open("composer.json")
		if err != nil {
			t.Fatal(err)
		}
		manifest, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]json.RawMessage
		if err := json.Unmarshal(manifest, &e); err != nil {
			t.Fatal(err)
		}
		sum := sha1.Sum(data)
		e["dist"], _ = json.Marshal(map[string]string{"type": "zip", "url": "artifacts/" + filepath.Base(z), "shasum": hex.EncodeToString(sum[:])})
		e["type"] = json.RawMessage(`"library"`)
		entries = append(entries, e)
	}
	version := func(e map[string]json.RawMessage) string {
		var v string
		_ = json.Unmarshal(e["version"], &v)
		return v
	}
	for i := 1; i < len(entries); i++ {
		for j := i; j > 0 && constraint.Compare(version(entries[j-1]), version(entries[j])) < 0; j-- {
			entries[j-1], entries[j] = entries[j], entries[j-1]
		}
	}
	out, err := composer.MarshalP2("acme/schema", entries)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"minified":"composer/2.0"`) {
		t.Fatalf("p2 metadata is not minified: %s", out)
	}
	return out
}

func TestParseRepoMap(t *testing.T) {
	got, err := parseRepoMap([]string{"acme/schema=/tmp/up", "example.com/m=https://git.example/m.git?x=a=b"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"acme/schema": "/tmp/up", "example.com/m": "https://git.example/m.git?x=a=b"}
	if len(got) != len(want) || got["acme/schema"] != want["acme/schema"] || got["example.com/m"] != want["example.com/m"] {
		t.Errorf("parseRepoMap = %v, want %v", got, want)
	}
	for _, bad := range []string{"acme/schema", "=url", "acme/schema="} {
		if _, err := parseRepoMap([]string{bad}); err == nil || !strings.Contains(err.Error(), "PACKAGE=URL") {
			t.Errorf("parseRepoMap(%q) = %v, want an error naming PACKAGE=URL", bad, err)
		}
	}
}

func FuzzParseRepoMap(f *testing.F) {
	f.Add("acme/schema=/tmp/up")
	f.Add("=")
	f.Fuzz(func(t *testing.T, flag string) {
		m, err := parseRepoMap([]string{flag})
		if err != nil {
			return
		}
		for pkg, u := range m {
			if pkg == "" || u == "" || pkg+"="+u != flag {
				t.Fatalf("parseRepoMap(%q) = %v", flag, m)
			}
		}
	})
}
