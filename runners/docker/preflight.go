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

	"github.com/lockbisect/lockbisect/internal/config"
)

// Preflight checks, before anything is built, what would make every
// candidate fail the same way: the engine answers, and every base image
// the Dockerfile names is on it. Nothing is ever pulled, so a missing base
// image would otherwise turn both baselines untestable.
func Preflight(ctx context.Context, cfg config.Runner, project string) error {
	dir, err := filepath.Abs(project)
	if err != nil {
		return fmt.Errorf("project %s: %w", project, err)
	}
	if cfg.Dockerfile == "" {
		cfg.Dockerfile = "Dockerfile"
	}
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
