package composer

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/manifests"
)

func TestExpandMinifyRoundTrip(t *testing.T) {
	full := []map[string]any{
		{"name": "acme/x", "version": "1.2.0", "require": map[string]any{"php": ">=8.1", "acme/y": "^2"}, "license": []any{"MIT"}},
		{"name": "acme/x", "version": "1.1.0", "require": map[string]any{"php": ">=8.1"}, "license": []any{"MIT"}, "abandoned": true},
		{"name": "acme/x", "version": "1.0.0", "require": map[string]any{"php": ">=8.1"}},
	}
	raw := toRaw(t, full)
	min := Minify(raw)
	if _, ok := min[1]["license"]; ok {
		t.Error("an unchanged key must be left out of a minified entry")
	}
	if string(min[2]["license"]) != `"__unset"` || string(min[2]["abandoned"]) != `"__unset"` {
		t.Errorf("removed keys must be unset: %s", min[2])
	}
	if got := Expand(min); !reflect.DeepEqual(fromRaw(t, got), full) {
		t.Errorf("expand(minify(x)) = %v, want %v", fromRaw(t, got), full)
	}
}

func toRaw(t *testing.T, in []map[string]any) []map[string]json.RawMessage {
	t.Helper()
	out := make([]map[string]json.RawMessage, len(in))
	for i, m := range in {
		out[i] = map[string]json.RawMessage{}
		for k, v := range m {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			out[i][k] = b
		}
	}
	return out
}

func fromRaw(t *testing.T, in []map[string]json.RawMessage) []map[string]any {
	t.Helper()
	out := make([]map[string]any, len(in))
	for i, m := range in {
		out[i] = map[string]any{}
		for k, v := range m {
			var x any
			if err := json.Unmarshal(v, &x); err != nil {
				t.Fatal(err)
			}
			out[i][k] = x
		}
	}
	return out
}

func FuzzParseP2(f *testing.F) {
	f.Add([]byte(`{"minified":"composer/2.0","packages":{"a/b":[{"name":"a/b","version":"1.0.0"},{"version":"0.9.0","require":"__unset"}]}}`))
	f.Add([]byte(`{"packages":{"a/b":[]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseP2(data, "a/b")
		if err != nil {
			return
		}
		// Re-minifying what was expanded gives the same expansion.
		if again := Expand(Minify(entries)); len(again) != len(entries) {
			t.Fatalf("round trip changed the number of entries: %d → %d", len(entries), len(again))
		}
	})
}

func TestReleaseRepo(t *testing.T) {
	for _, tc := range []struct {
		name, json, configured, want, wantErr string
	}{
		{name: "configured path", json: `{}`, configured: "repo", want: "file://DIR/repo"},
		{name: "configured wins", json: `{"repositories": [{"type": "composer", "url": "https://repo.example"}]}`, configured: "http://127.0.0.1:1", want: "http://127.0.0.1:1"},
		{name: "list", json: `{"repositories": [{"type": "artifact", "url": "a/"}, {"packagist.org": false}, {"type": "composer", "url": "https://repo.example"}]}`, want: "https://repo.example"},
		{name: "object", json: `{"repositories": {"private": {"type": "composer", "url": "https://private.example"}}}`, want: "https://private.example"},
		{name: "none", json: `{"repositories": [{"type": "artifact", "url": "a/"}]}`, wantErr: "set search.composer_repo"},
		{name: "broken", json: `{"repositories": `, wantErr: "composer.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "composer.json"), []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			s := &set{project: dir, repo: tc.configured}
			got, err := s.releaseRepo()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("releaseRepo = %q, %v; want an error naming %q", got, err, tc.wantErr)
				}
				return
			}
			if want := strings.ReplaceAll(tc.want, "DIR", dir); err != nil || got != want {
				t.Errorf("releaseRepo = %q, %v; want %q", got, err, want)
			}
		})
	}
}

// TestUpstream: the repository is the lock's source.url.
func TestUpstream(t *testing.T) {
	s := &set{}
	got, err := s.Upstream(context.Background(), manifests.Change{Package: "acme/lib", Source: "https://github.com/acme/lib.git"})
	if err != nil || got != (manifests.Upstream{URL: "https://github.com/acme/lib.git"}) {
		t.Errorf("Upstream = %+v, %v; want the source.url", got, err)
	}
	if got, err := s.Upstream(context.Background(), manifests.Change{Package: "acme/none"}); err == nil || !strings.Contains(err.Error(), "--repo-map acme/none=URL") {
		t.Errorf("Upstream without source.url = %+v, %v; want an error naming --repo-map", got, err)
	}
}
