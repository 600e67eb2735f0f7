package composer

import (
	"maps"
	"os/exec"
	"slices"

	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"github.com/lockbisect/lockbisect/internal/fixtures/composerrepo"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestParseLockErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"syntax error names the line", "{\n    \"packages\": [\n        {\"name\": \"a/b\",]\n    ]\n}\n", "old.lock: line 3: packages[0]: unexpected ']', expecting a string"},
		{"truncated", "{\n    \"packages\": [\n", "old.lock: line 3: packages[0]: unexpected end of file, expecting a package object"},
		{"empty file", "", "old.lock: empty file"},
		{"not an object", "[]", "old.lock: not a JSON object"},
		{"packages not an array", `{"packages": {}}`, `old.lock: line 1: "packages" must be an array of packages`},
		{"entry without name", `{"packages": [{"version": "1.0.0"}]}`, `old.lock: line 1: packages[0]: missing "name"`},
		{"entry without version", `{"packages-dev": [{"name": "a/b"}]}`, `old.lock: line 1: packages-dev[0]: package a/b: missing "version"`},
		{"require not strings", `{"packages": [{"name": "a/b", "version": "1", "require": {"c/d": 1}}]}`, `old.lock: line 1: packages[0]: "require": c/d: the constraint must be a string`},
		{"locked twice", `{"packages": [{"name": "a/b", "version": "1"}], "packages-dev": [{"name": "A/B", "version": "2"}]}`, "old.lock: line 1: packages-dev[0]: package A/B is locked twice (1 and 2)"},
		{"locked twice names the entry's first line", "{\n\"packages\": [\n{\"name\": \"a/b\", \"version\": \"1\"},\n{\n\"name\": \"a/b\",\n\"version\": \"2\"\n}\n]}", "old.lock: line 4: packages[1]: package a/b is locked twice (1 and 2)"},
		{"name composer rejects", "{\"packages\": [\n{\"name\": \"acme/x\", \"version\": \"1\"},\n{\"version\": \"1\",\n \"name\": \"acme/bad name\"}]}", `old.lock: line 4: packages[1]: package name "acme/bad name" is not one composer accepts`},
		{"name without vendor", `{"packages": [{"name": "monolog", "version": "1"}]}`, `package name "monolog" is not one composer accepts`},
		{"name with three dashes", `{"packages": [{"name": "a/b---c", "version": "1"}]}`, `package name "a/b---c" is not one composer accepts`},
		{"version with a newline", "{\"packages\": [{\"name\": \"a/b\",\n \"version\": \"1.0\\n2.0\"}]}", `old.lock: line 2: packages[0]: version "1.0\n2.0" holds a control character`},
		{"trailing data", `{"packages": []} {}`, "old.lock: line 1: unexpected data after the top-level object"},
		{"bad number", "{\n\"x\": 01}", "old.lock: line 2: unexpected '1', expecting ',' or '}'"},
		{"bad escape", `{"x": "\q"}`, `old.lock: line 1: unexpected 'q', expecting an escape`},
		{"bad aliases", `{"packages": [], "aliases": {"x": 1}}`, `old.lock: "aliases" must be an array`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseLock("old.lock", []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseLockAliases(t *testing.T) {
	lf, err := parseLock("x", []byte(`{"packages": [
		{"name": "a/branch", "version": "dev-main", "extra": {"branch-alias": {"dev-main": "2.x-dev"}}},
		{"name": "a/inline", "version": "dev-feature"}
	], "aliases": [{"package": "a/inline", "version": "dev-feature", "alias": "1.5.0", "alias_normalized": "1.5.0.0"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := lf.pkgs["a/branch"].Aliases; len(got) != 1 || got[0] != "2.x-dev" {
		t.Errorf("branch alias = %v, want [2.x-dev]", got)
	}
	if got := lf.pkgs["a/inline"].Aliases; len(got) != 1 || got[0] != "1.5.0" {
		t.Errorf("inline alias = %v, want [1.5.0]", got)
	}
}

func TestParseRoot(t *testing.T) {
	data := "{\n  \"name\": \"x/y\",\n  \"require\": {\"php\": \">=8.1\", \"a/b\": \"^1.0\"},\n  \"require-dev\": [],\n  \"conflict\": {\"c/d\": \"<2\"}\n}\n"
	rf, err := parseRoot("composer.json", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := rf.constraintOf("require", "A/B"); !ok || c != "^1.0" {
		t.Errorf("require a/b = %q, %v", c, ok)
	}
	if len(rf.sections["require-dev"]) != 0 || !rf.names("a/b") || rf.names("c/d") {
		t.Errorf("sections = %+v", rf.sections)
	}
	for _, m := range rf.sections["require"] {
		if data[m.keyStart] != '"' || data[m.valStart:m.valEnd] != jsonString(m.Constraint) {
			t.Errorf("member %+v: offsets point at %q and %q", m, data[m.keyStart:], data[m.valStart:m.valEnd])
		}
	}
	for _, bad := range []struct{ data, want string }{
		{"{\"require\": {\"a/b\": 1}}", `composer.json: line 1: "require": a/b: the constraint must be a string`},
		{"{\"require\": \"a/b\"}", `composer.json: line 1: "require" must be an object of package: constraint`},
		{"{\"require-dev\": [\"a/b\"]}", `composer.json: line 1: "require-dev" must be an object of package: constraint`},
		{"{\n\"require\": {\n\"a/b\" \"1\"}}", "composer.json: line 3: unexpected '\"', expecting ':'"},
		{"", "composer.json: empty file"},
	} {
		if _, err := parseRoot("composer.json", []byte(bad.data)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("parseRoot(%q) = %v, want %q", bad.data, err, bad.want)
		}
	}
}

func TestDeletions(t *testing.T) {
	data := `{"require": {"a/a": "1", "b/b": "2", "c/c": "3", "d/d": "4"}}`
	rf, err := parseRoot("composer.json", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	members := rf.sections["require"]
	tests := []struct {
		deleted string // one letter per deleted member
		want    string
	}{
		{"", `{"require": {"a/a": "1", "b/b": "2", "c/c": "3", "d/d": "4"}}`},
		{"a", `{"require": {"b/b": "2", "c/c": "3", "d/d": "4"}}`},
		{"ab", `{"require": {"c/c": "3", "d/d": "4"}}`},
		{"bc", `{"require": {"a/a": "1", "d/d": "4"}}`},
		{"d", `{"require": {"a/a": "1", "b/b": "2", "c/c": "3"}}`},
		{"acd", `{"require": {"b/b": "2"}}`},
		{"abcd", `{"require": {}}`},
	}
	for _, tt := range tests {
		t.Run(tt.deleted, func(t *testing.T) {
			del := make([]bool, len(members))
			for i, m := range members {
				del[i] = strings.Contains(tt.deleted, m.Name[:1])
			}
			out := data
			edits := deletions(members, del)
			for i := len(edits) - 1; i >= 0; i-- {
				e := edits[i]
				out = out[:e.start] + e.text + out[e.end:]
			}
			if out != tt.want {
				t.Errorf("got  %s\nwant %s", out, tt.want)
			}
			if !json.Valid([]byte(out)) {
				t.Errorf("result is not JSON: %s", out)
			}
		})
	}
}

// nameRule is composer's package name pattern as composer writes it;
// validName must agree with it.
var nameRule = regexp.MustCompile(`(?i)^[a-z0-9](?:[_.-]?[a-z0-9]+)*/[a-z0-9](?:(?:[_.]|-{1,2})?[a-z0-9]+)*$`)

func TestValidName(t *testing.T) {
	for _, n := range []string{"a/b", "symfony/polyfill-php80", "scheb/2fa-bundle", "a.b_c-d/e--f", "A/B", "a/b--c", "1/2",
		"a/b---c", "a--b/c", "a/-b", "a/b-", "-a/b", "a/", "/b", "a", "a/b/c", "a b/c", "a/b.json", "a/_b", "a./b", "a/b-.c", "é/b"} {
		if got, want := validName(n), nameRule.MatchString(n); got != want {
			t.Errorf("validName(%q) = %v, composer's rule says %v", n, got, want)
		}
	}
}

// FuzzLoad feeds arbitrary bytes to the composer.lock and composer.json
// parsers. The lock's scanner must accept exactly the JSON encoding/json
// accepts; whatever parses must round-trip: the lock written from its
// entries parses to the same packages, and every root member's offsets
// point at its key and its value.
func FuzzLoad(f *testing.F) {
	for _, p := range []string{"testdata/mcp/old/composer.lock", "testdata/mcp/new/composer.lock", "testdata/mcp/new/composer.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"packages": [{"name": "a/b", "version": "dev-x", "extra": {"branch-alias": {"dev-x": 1}}}], "aliases": []}`))
	f.Add([]byte(`{"require": {"a/b": "^1"}, "require-dev": [], "conflict": {}}`))
	f.Add([]byte(`{"repositories": [{"type": "path", "url": "../lib"}, {"packagist.org": false}], "replace": {"a/b": "*"}}`))
	f.Add([]byte(`{"packages": [{"name": "a/b", "version": "1.0", "dist": {"url": "../x", "type": "path", "reference": "r"}}]}`))
	f.Add([]byte("a.b_c-d/e--f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := &scanner{data: data}
		err := sc.value()
		if scanned, valid := err == nil && sc.peek() == 0, json.Valid(data); scanned != valid {
			t.Fatalf("scanner accepts=%v (%v) but json.Valid=%v", scanned, err, valid)
		}
		if lf, err := parseLock("f", data); err == nil {
			s := &set{new: lf}
			var chosen []*entry
			for _, e := range lf.pkgs {
				chosen = append(chosen, e)
			}
			again, err := parseLock("again", s.writeLock(chosen, ""))
			if err != nil {
				t.Fatalf("written lock does not parse: %v", err)
			}
			if len(again.pkgs) != len(lf.pkgs) {
				t.Fatalf("round trip kept %d of %d packages", len(again.pkgs), len(lf.pkgs))
			}
			for k, e := range lf.pkgs {
				if g := again.pkgs[k]; g == nil || g.Version != e.Version || g.Dev != e.Dev || string(g.Raw) != string(e.Raw) {
					t.Fatalf("round trip changed %s", k)
				}
				var url string
				if e.PathURL != "" && (json.Unmarshal(e.Raw[e.pathAt[0]:e.pathAt[1]], &url) != nil || url != e.PathURL) {
					t.Fatalf("%s: path url offsets %v point at %q, not %q", k, e.pathAt, e.Raw[e.pathAt[0]:e.pathAt[1]], e.PathURL)
				}
			}
		}
		if name := string(data); validName(name) != nameRule.MatchString(name) {
			t.Fatalf("validName(%q) = %v, composer's rule says %v", name, validName(name), !validName(name))
		}
		if h, err := contentHash(data); err == nil && len(h) != 32 {
			t.Fatalf("contentHash = %q", h)
		}
		if rf, err := parseRoot("f", data); err == nil {
			for _, ms := range append(slices.Collect(maps.Values(rf.sections)), rf.paths) {
				for _, m := range ms {
					var c string
					if data[m.keyStart] != '"' || json.Unmarshal(data[m.valStart:m.valEnd], &c) != nil || c != m.Constraint {
						t.Fatalf("member %+v: bad offsets", m)
					}
				}
			}
		}
	})
}

// TestContentHash checks our content-hash against the ones composer itself
// wrote into the fixture locks, and PHP's json_encode quirks on a few forms.
func TestContentHash(t *testing.T) {
	for _, side := range []string{"old", "new"} {
		t.Run(side, func(t *testing.T) {
			lf, err := parseLock(side, mustRead(t, "testdata/mcp/"+side+"/composer.lock"))
			if err != nil {
				t.Fatal(err)
			}
			var want string
			if err := json.Unmarshal(lf.top["content-hash"], &want); err != nil {
				t.Fatal(err)
			}
			got, err := contentHash(mustRead(t, "testdata/mcp/"+side+"/composer.json"))
			if err != nil || got != want {
				t.Errorf("contentHash = %q, %v; composer wrote %q", got, err, want)
			}
		})
	}
	tests := []struct {
		name, json, encoded string
	}{
		{"irrelevant keys and order", `{"require": {"a/b": "^1"}, "description": "x", "name": "x/y"}`, `{"name":"x\/y","require":{"a\/b":"^1"}}`},
		{"empty object is an empty array", `{"require": {}, "extra": {"0": "a", "1": {"k": []}}}`, `{"extra":["a",{"k":[]}],"require":[]}`},
		{"unicode and controls", `{"name": "é😀\t<"}`, `{"name":"\u00e9\ud83d\ude00\t<"}`},
		{"platform only", `{"config": {"platform": {"php": "8.2"}, "sort-packages": true}}`, `{"config":{"platform":{"php":"8.2"}}}`},
		{"nothing relevant", `{"description": "x"}`, `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := contentHash([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			sum := md5.Sum([]byte(tt.encoded))
			if want := hex.EncodeToString(sum[:]); got != want {
				t.Errorf("contentHash(%s) = %s, want md5(%s) = %s", tt.json, got, tt.encoded, want)
			}
		})
	}
	if _, err := contentHash([]byte(`{"extra": {"ratio": 1.5}}`)); err != errFloat {
		t.Errorf("float: err = %v, want errFloat", err)
	}

	// The truth is composer's own Locker, run by Debian's php.
	composerrepo.RequireTools(t)
	for _, tt := range tests {
		t.Run("composer/"+tt.name, func(t *testing.T) {
			out, err := exec.Command("php", "-r", `require "/usr/share/php/Composer/autoload.php"; echo Composer\Package\Locker::getContentHash($argv[1]);`, tt.json).Output()
			if err != nil {
				t.Fatalf("php: %v", err)
			}
			if got, _ := contentHash([]byte(tt.json)); got != string(out) {
				t.Errorf("contentHash(%s) = %s, composer says %s", tt.json, got, out)
			}
		})
	}
}
