package docker

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"

	"github.com/lockbisect/lockbisect/internal/testenv"
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

func FuzzMountLine(f *testing.F) {
	f.Add("FROM x\nRUN --mount=type=cache,target=/c \\\n make\n")
	f.Add("\\\n\\")
	f.Fuzz(func(t *testing.T, dockerfile string) {
		n := mountLine([]byte(dockerfile))
		lines := strings.Split(dockerfile, "\n")
		if n < 0 || n > len(lines) {
			t.Fatalf("line %d of %d", n, len(lines))
		}
		if n > 0 && !strings.Contains(strings.ToUpper(lines[n-1]), "RUN") {
			t.Errorf("line %d %q is not a RUN instruction's first", n, lines[n-1])
		}
	})
}

func TestPickBuilder(t *testing.T) {
	linux := types.Ping{OSType: "linux"}
	tests := []struct {
		name, want string
		ping       types.Ping
		api        string
		builder    build.BuilderVersion
	}{
		{"classic asked", "classic", types.Ping{BuilderVersion: build.BuilderBuildKit}, "1.41", build.BuilderV1},
		{"buildkit asked", "buildkit", types.Ping{BuilderVersion: build.BuilderV1}, "1.41", build.BuilderBuildKit},
		{"engine says buildkit", "auto", types.Ping{OSType: "linux", BuilderVersion: build.BuilderBuildKit}, "1.41", build.BuilderBuildKit},
		{"engine turned buildkit off", "auto", types.Ping{OSType: "linux", BuilderVersion: build.BuilderV1}, "1.41", build.BuilderV1},
		{"engine silent, linux 1.41", "auto", linux, "1.41", build.BuilderBuildKit},
		{"unset is auto", "", linux, "1.41", build.BuilderBuildKit},
		{"engine silent, too old", "auto", linux, "1.38", build.BuilderV1},
		{"engine silent, windows", "auto", types.Ping{OSType: "windows"}, "1.41", build.BuilderV1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pickBuilder(tt.want, tt.ping, tt.api); got != tt.builder {
				t.Errorf("pickBuilder = %q, want %q", got, tt.builder)
			}
		})
	}
}

func TestMountLine(t *testing.T) {
	tests := []struct {
		name, dockerfile string
		want             int
	}{
		{"none", "FROM x\nRUN make\n", 0},
		{"cache mount", "FROM x\n# cache\nRUN --mount=type=cache,target=/c make\n", 3},
		{"after another flag", "FROM x\nrun --network=none --mount=type=cache,target=/c make\n", 2},
		{"in the command, not a flag", "FROM x\nRUN echo --mount\n", 0},
		{"on a continuation line", "FROM x\nRUN make \\\n  --mount=x\n", 0},
		{"continued flags", "FROM x\nRUN \\\n  --mount=type=cache,target=/c make\n", 2},
		{"ends continued", "FROM x\nRUN --mount=x \\", 2},
		{"lone continuation", "FROM x\n\\\n\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mountLine([]byte(tt.dockerfile)); got != tt.want {
				t.Errorf("mountLine = %d, want %d", got, tt.want)
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
	const mounts = "FROM " + base + "\nRUN --mount=type=cache,target=/root/.cache/go-build \\\n  go build ./...\n"
	tests := []struct {
		name       string
		builder    string
		dockerfile string
		want       string // "" = passes
	}{
		{"present", "", "FROM " + base + "\n", ""},
		{"missing", "", "# base\nFROM lockbisect/no-such-base:1\n", "Dockerfile:2: base image lockbisect/no-such-base:1 is not on the docker engine"},
		{"cache mount with buildkit", "buildkit", mounts, ""},
		{"cache mount with auto", "auto", mounts, ""},
		{"cache mount with classic", "classic", mounts, "Dockerfile:2: RUN --mount needs BuildKit, and runner.builder is classic"},
		{"unknown builder", "kaniko", "FROM " + base + "\n", `runner.builder: "kaniko" is not auto, buildkit or classic`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Builder = tt.builder
			err := Preflight(t.Context(), cfg.own, project(t, tt.dockerfile, nil))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Preflight: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Preflight: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
