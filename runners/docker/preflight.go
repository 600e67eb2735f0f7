package docker

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/client"
)

// Preflight checks, before anything is built, what would make every
// candidate fail the same way: the engine answers, the builder can read
// the Dockerfile (RUN --mount needs BuildKit), and every base image the
// Dockerfile names is on it. Nothing is ever pulled, so a missing base
// image would otherwise turn both baselines untestable.
func Preflight(ctx context.Context, cfg Config, project string) error {
	dir, err := filepath.Abs(project)
	if err != nil {
		return fmt.Errorf("project %s: %w", project, err)
	}
	cfg.Defaults()
	file, _, err := locateDockerfile(dir, cfg.Dockerfile)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("runner.dockerfile: %w", err)
	}
	cli, err := Connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	builder, err := chooseBuilder(ctx, cli, cfg.Builder)
	if err != nil {
		return err
	}
	if err := checkMounts(file, builder); err != nil {
		return err
	}
	for _, im := range baseImages(b, cfg.BuildArgs) {
		if _, err := cli.ImageInspect(ctx, im.ref); err != nil {
			if cerrdefs.IsNotFound(err) {
				return fmt.Errorf("%s:%d: base image %s is not on the docker engine at %s, and nothing is pulled: build or load it first (the examples' images: scripts/images.sh)", file, im.line, im.ref, cli.DaemonHost())
			}
			return fmt.Errorf("%s:%d: inspect base image %s: %w", file, im.line, im.ref, err)
		}
	}
	return nil
}

// baseImage is an image a FROM line builds on.
type baseImage struct {
	ref  string
	line int
}

// baseImages lists the images the Dockerfile's FROM lines name, with ARGs
// declared before the first FROM (overridden by buildArgs) substituted.
// Earlier stages, scratch, and references that still hold a variable the
// file does not define are left out: only the engine can resolve those.
func baseImages(dockerfile []byte, buildArgs map[string]string) []baseImage {
	args := map[string]string{}
	stages := map[string]bool{}
	var out []baseImage
	sawFrom := false
	sc := bufio.NewScanner(bytes.NewReader(dockerfile))
	var logical string
	start, n := 0, 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if logical == "" {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			start = n
		}
		if strings.HasSuffix(line, "\\") {
			logical += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		logical += line
		f := strings.Fields(logical)
		logical = ""
		switch strings.ToUpper(f[0]) {
		case "ARG":
			if sawFrom || len(f) < 2 {
				continue
			}
			k, v, _ := strings.Cut(f[1], "=")
			args[k] = strings.Trim(v, `"'`)
			if bv, ok := buildArgs[k]; ok {
				args[k] = bv
			}
		case "FROM":
			sawFrom = true
			f = f[1:]
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				f = f[1:]
			}
			if len(f) == 0 {
				continue
			}
			undefined := false
			ref := os.Expand(f[0], func(k string) string {
				v, ok := args[k]
				undefined = undefined || !ok || v == ""
				return v
			})
			known := stages[strings.ToLower(ref)]
			if len(f) >= 3 && strings.EqualFold(f[1], "AS") {
				stages[strings.ToLower(f[2])] = true
			}
			if undefined || known || ref == "scratch" {
				continue
			}
			out = append(out, baseImage{ref: ref, line: start})
		}
	}
	return out
}

// chooseBuilder resolves runner.builder, asking the engine for auto.
func chooseBuilder(ctx context.Context, cli *client.Client, want string) (build.BuilderVersion, error) {
	switch want {
	case "classic", "buildkit":
		return pickBuilder(want, types.Ping{}, ""), nil
	case "", "auto":
	default:
		return "", fmt.Errorf("runner.builder: %q is not auto, buildkit or classic", want)
	}
	p, err := cli.Ping(ctx)
	if err != nil {
		return "", fmt.Errorf("docker engine at %s does not answer: %w", cli.DaemonHost(), err)
	}
	return pickBuilder(want, p, cli.ClientVersion()), nil
}

// pickBuilder is chooseBuilder's decision. auto takes the engine's word
// when it gives one (the ping's Builder-Version, set where the daemon's
// features.buildkit is); else BuildKit on Linux engines of API 1.39 or
// later, which all have it built in, even where their default is the
// classic builder (Docker 20.10 without that setting).
func pickBuilder(want string, p types.Ping, api string) build.BuilderVersion {
	switch {
	case want == "classic":
		return build.BuilderV1
	case want == "buildkit":
		return build.BuilderBuildKit
	case p.BuilderVersion != "":
		return p.BuilderVersion
	case p.OSType == "linux" && versions.GreaterThanOrEqualTo(api, "1.39"):
		return build.BuilderBuildKit
	}
	return build.BuilderV1
}

func builderName(v build.BuilderVersion) string {
	if v == build.BuilderBuildKit {
		return "buildkit"
	}
	return "classic"
}

// checkMounts refuses, for the classic builder, a Dockerfile with RUN
// --mount (cache mounts): the classic builder cannot parse it, and every
// candidate would fail to build the same way, which the search would take
// for untestable candidates.
func checkMounts(file string, builder build.BuilderVersion) error {
	if builder == build.BuilderBuildKit {
		return nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("runner.dockerfile: %w", err)
	}
	if line := mountLine(b); line > 0 {
		return fmt.Errorf("%s:%d: RUN --mount needs BuildKit, and runner.builder is classic (or the engine has no BuildKit): set runner.builder: buildkit or auto, or use a Dockerfile without --mount", file, line)
	}
	return nil
}

// mountLine is the line of the first RUN instruction with a --mount flag,
// 0 if none. An instruction continued over lines counts as one, starting
// on its first line.
func mountLine(dockerfile []byte) int {
	var logical string
	start := 0
	// The empty line added ends an instruction continued at the end of the file.
	for n, line := range strings.Split(string(dockerfile)+"\n", "\n") {
		line = strings.TrimSpace(line)
		if logical == "" {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			start = n + 1
		}
		if strings.HasSuffix(line, "\\") {
			logical += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		f := strings.Fields(logical + line)
		logical = ""
		if len(f) == 0 || !strings.EqualFold(f[0], "RUN") {
			continue
		}
		for _, flag := range f[1:] {
			if !strings.HasPrefix(flag, "--") {
				break
			}
			if strings.HasPrefix(flag, "--mount") {
				return start
			}
		}
	}
	return 0
}
