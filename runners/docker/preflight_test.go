package docker

import (
	"slices"
	"testing"
)

func TestBaseImages(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		buildArgs  map[string]string
		want       []baseImage
	}{
		{"plain", "FROM lockbisect/go:1.26.8\nRUN true\n", nil, []baseImage{{"lockbisect/go:1.26.8", 1}}},
		{"arg default", "# c\nARG GO_VERSION=1.26.8\nFROM lockbisect/go:${GO_VERSION}\n", nil, []baseImage{{"lockbisect/go:1.26.8", 3}}},
		{"build arg wins", "ARG V=1\nFROM img:$V\n", map[string]string{"V": "2"}, []baseImage{{"img:2", 2}}},
		{"undefined arg", "ARG V\nFROM img:${V}\n", nil, nil},
		{"stages and scratch", "FROM --platform=linux/amd64 base:1 AS build\nRUN x\nFROM build AS test\nFROM scratch\nCOPY --from=build /a /a\n", nil, []baseImage{{"base:1", 1}}},
		{"continued line", "FROM \\\n  base:2 \\\n  AS b\nFROM B\n", nil, []baseImage{{"base:2", 1}}},
		{"arg after from is a stage arg", "FROM a:1\nARG X=2\nFROM b:$X\n", nil, []baseImage{{"a:1", 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := baseImages([]byte(tt.dockerfile), tt.buildArgs)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
