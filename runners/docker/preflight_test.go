package docker

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/runners"
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

// TestPreflight: against the real engine, a Dockerfile whose base image is
// there passes and one whose base image is missing is refused with its line.
func TestPreflight(t *testing.T) {
	cli := needDocker(t)
	const base = "lockbisect/go:1.26.8"
	if _, err := cli.ImageInspect(context.Background(), base); err != nil {
		testenv.Missing(t, base+" (run scripts/images.sh)", err)
	}
	tests := []struct {
		name       string
		dockerfile string
		want       string // "" = passes
	}{
		{"present", "FROM " + base + "\n", ""},
		{"missing", "# base\nFROM lockbisect/no-such-base:1\n", "Dockerfile:2: base image lockbisect/no-such-base:1 is not on the docker engine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Preflight(t.Context(), testConfig(), project(t, tt.dockerfile, nil))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Preflight: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Preflight: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestBuildTimeout: an image build that outlives runner.build_timeout is
// untestable (a hang), not a failed build.
func TestBuildTimeout(t *testing.T) {
	cli := needDocker(t)
	const base = "lockbisect/go:1.26.8"
	if _, err := cli.ImageInspect(context.Background(), base); err != nil {
		testenv.Missing(t, base+" (run scripts/images.sh)", err)
	}
	cfg := testConfig()
	cfg.BuildTimeout = 2 * time.Second
	r := newRunner(t, project(t, "FROM "+base+"\nRUN sleep 600\n", nil), cfg, Options{})
	inst, err := r.Start(t.Context(), runners.Request{Candidate: candidate("alpha 1.0\n"), Logs: &testenv.Buffer{}})
	if err == nil {
		inst.Stop(t.Context())
		t.Fatal("start succeeded")
	}
	if !errors.Is(err, runners.ErrUntestable) || errors.Is(err, runners.ErrBuild) || !strings.Contains(err.Error(), "runner.build_timeout 2s") {
		t.Errorf("error %v: want untestable, not a failed build, naming runner.build_timeout", err)
	}
}
