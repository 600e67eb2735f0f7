package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyLine(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bisect.yaml")
	yaml := "# comment\nproject: app\nrunner:\n  build: [\"make\"]\n  Ready:\n    path: /\n    timeout: 0s\nsearch: {repeat: 0}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		want int
	}{
		{"project", 2},
		{"runner.ready.timeout", 7}, // keys match without regard to case, as in viper
		{"search.repeat", 8},
		{"search.parallel", 0},
		{"runner.build.x", 0}, // below a sequence: no such key
		{"oracle.timeout", 0},
	}
	for _, tt := range tests {
		if got := keyLine(file, tt.key); got != tt.want {
			t.Errorf("keyLine(%s) = %d, want %d", tt.key, got, tt.want)
		}
	}
}

func TestWithLines(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bisect.yaml")
	if err := os.WriteFile(file, []byte("runner:\n  prot: 3\nsearch:\n  repeat: abc\nbogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := errors.New("decoding failed due to the following error(s):\n\n'runner' has invalid keys: prot\n'search.repeat' cannot parse value as 'int'\n'' has invalid keys: bogus")
	got := withLines(file, in).Error()
	for _, want := range []string{file + ":2: 'runner' has invalid keys: prot", file + ":4: 'search.repeat' cannot parse", file + ":5: '' has invalid keys: bogus"} {
		if !strings.Contains(got, want) {
			t.Errorf("got\n%s\nwant a line %q", got, want)
		}
	}
	if !errors.Is(withLines(file, in), in) {
		t.Error("the decoding error is not wrapped")
	}
}
