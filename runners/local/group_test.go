package local

import (
	"strings"
	"testing"
)

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
