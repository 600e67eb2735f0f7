package npm

import (
	"strings"
	"testing"
)

const lockV3 = `{
  "name": "server",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "server",
      "version": "1.0.0",
      "workspaces": ["packages/*"],
      "dependencies": {"a": "^1.0.0"}
    },
    "node_modules/a": {
      "version": "1.0.0",
      "resolved": "http://127.0.0.1/a/-/a-1.0.0.tgz",
      "integrity": "sha512-x",
      "dependencies": {"b": "^1.0.0"},
      "optionalDependencies": {"c": "^1.0.0"}
    },
    "node_modules/a/node_modules/b": {"version": "1.0.0", "bundleDependencies": ["d"]},
    "node_modules/a/node_modules/b/node_modules/d": {"version": "1.0.0", "inBundle": true},
    "node_modules/ws": {"resolved": "packages/ws", "link": true},
    "packages/ws": {"name": "ws", "version": "0.0.1"}
  }
}
`

func TestParseLock(t *testing.T) {
	lf, err := parseLock("test", []byte(lockV3))
	if err != nil {
		t.Fatal(err)
	}
	if lf.version != 3 || len(lf.entries) != 6 || lf.order[1] != "node_modules/a" {
		t.Fatalf("version %d, %d entries, order %q", lf.version, len(lf.entries), lf.order)
	}
	a := lf.entries["node_modules/a"]
	reqs := a.requirements(false)
	if len(reqs) != 2 || reqs[0].name != "b" || reqs[0].optional || reqs[1].name != "c" || !reqs[1].optional {
		t.Errorf("requirements of a: %+v", reqs)
	}
	var installs []string
	for _, p := range lf.order {
		if lf.entries[p].installs() {
			installs = append(installs, p+"="+owner(lf, p))
		}
	}
	want := "node_modules/a=a node_modules/a/node_modules/b=b node_modules/a/node_modules/b/node_modules/d=b"
	if strings.Join(installs, " ") != want {
		t.Errorf("installs: %q, want %q (links and workspace folders left alone; a bundled package belongs to its bundler)", installs, want)
	}
	if got := resolve(lf.entries, "node_modules/a/node_modules/b", "a"); got != a {
		t.Errorf("resolve a from b: %v", got)
	}
}

func TestParseLockErrors(t *testing.T) {
	for _, c := range []struct{ name, lock, want string }{
		{"v1", `{"name":"x","lockfileVersion":1,"dependencies":{}}`, "lockfileVersion 1 (npm 6 and older) is not supported"},
		{"v4", `{"lockfileVersion":4,"packages":{"":{}}}`, "lockfileVersion 4 is not supported"},
		{"not a lock", `{"name":"x"}`, "no numeric lockfileVersion"},
		{"syntax", "{\n\"lockfileVersion\": 3,\n\"packages\": {\n]", "invalid character ']'"},
		{"no root", `{"lockfileVersion":3,"packages":{"node_modules/a":{}}}`, `no root entry`},
		{"bad path", `{"lockfileVersion":3,"packages":{"":{},"node_modules/":{}}}`, `not an install path`},
		{"array", `[]`, "not a JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseLock("package-lock.json", []byte(c.lock))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

// FuzzParseLock: any input parses or fails with an error; a parsed lock's
// entries all have a path in its order, and the root entry is there.
func FuzzParseLock(f *testing.F) {
	f.Add([]byte(lockV3))
	f.Add([]byte(`{"lockfileVersion":2,"packages":{"":{}},"dependencies":{}}`))
	f.Add([]byte(`{"lockfileVersion":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := parseLock("fuzz", data)
		if err != nil {
			return
		}
		if lf.entries[""] == nil || len(lf.order) != len(lf.entries) {
			t.Fatalf("root %v, %d paths in order, %d entries", lf.entries[""], len(lf.order), len(lf.entries))
		}
		for _, p := range lf.order {
			e := lf.entries[p]
			_ = owner(lf, p)
			_ = e.requirements(p == "")
			_ = resolve(lf.entries, p, "x")
		}
	})
}
