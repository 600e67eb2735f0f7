package local

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want stat
		ok   bool
	}{
		{"plain", "42 (server) S 1 42 42 0 -1", stat{"S", 1, 42}, true},
		{"comm with spaces and parens", "7 (a) b (c)) Z 3 99 7 0", stat{"Z", 3, 99}, true},
		{"no paren", "42 server S 1 42", stat{}, false},
		{"short", "42 (server) S 1", stat{}, false},
		{"ppid not a number", "42 (server) S x 1 1", stat{}, false},
		{"pgrp not a number", "42 (server) S 1 x 1", stat{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseStat(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseStat(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
	t.Run("this process", func(t *testing.T) {
		b, err := os.ReadFile("/proc/self/stat")
		if err != nil {
			t.Skip("no /proc:", err)
		}
		// The state is the main thread's, whichever thread reads it.
		got, ok := parseStat(string(b))
		if !ok || got.ppid != os.Getppid() || got.pgrp != syscall.Getpgrp() || !strings.Contains("RSD", got.state) || got.state == "" {
			t.Errorf("parseStat(/proc/self/stat) = %+v, %v; want a running process with ppid %d, pgrp %d", got, ok, os.Getppid(), syscall.Getpgrp())
		}
	})
}

// FuzzParseStat checks that any command name, however odd, leaves the
// fields after it readable.
func FuzzParseStat(f *testing.F) {
	f.Add("server", 12)
	f.Add("a) b (c", 7)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, comm string, pgrp int) {
		if pgrp < 0 {
			return
		}
		got, ok := parseStat(fmt.Sprintf("1 (%s) S 5 %d 1 0", comm, pgrp))
		if want := (stat{"S", 5, pgrp}); !ok || got != want {
			t.Fatalf("comm %q pgrp %d: got %+v, %v; want %+v", comm, pgrp, got, ok, want)
		}
	})
}

func TestTail(t *testing.T) {
	tests := []struct {
		name  string
		write []string
		want  string
	}{
		{"nothing", nil, "(no output)"},
		{"short", []string{"a\n", "b\n"}, "a\nb"},
		{"no final newline", []string{"a\nb"}, "a\nb"},
		{"last lines", []string{strings.Repeat("x\n", 30), "y\n"}, strings.Repeat("x\n", tailLines-1) + "y"},
		{"long output keeps its end", []string{strings.Repeat("z", 3*tailBytes), "\nend\n"}, strings.Repeat("z", tailBytes-5) + "\nend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tl tail
			for _, w := range tt.write {
				tl.Write([]byte(w))
			}
			if got := tl.String(); got != tt.want {
				t.Errorf("tail = %q, want %q", got, tt.want)
			}
		})
	}
}
