package main

import (
	"os"
	"path/filepath"
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
