// Package goenv reads the go command's own settings for proxy requests
// (GOPROXY, and GONOPROXY as GOPRIVATE fills it) as `go env` reports them
// for a given environment: the process environment with the tool's
// additions (runner.env) on top, the user's go env file and the go
// command's defaults beneath. The tool's own proxy requests (the go.mod
// files of the coupling, the drill-down's release lists and origins) then
// go where the go command's would, and a private module is never
// requested from a proxy. GOINSECURE and GOFLAGS need no reading: the
// first applies only to the go command's direct fetches, the second
// reaches every go command the tool runs through the same environment.
package goenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/mod/module"
)

// Env is what `go env` says about proxy requests.
type Env struct {
	GOPROXY   string
	GONOPROXY string // go env fills it from GOPRIVATE when unset
	GOPRIVATE string
}

// Read runs `go env -json` with env appended to the process environment
// (later entries win, as for the go commands the tool runs).
func Read(ctx context.Context, env []string) (Env, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "-json", "GOPROXY", "GONOPROXY", "GOPRIVATE")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Env{}, fmt.Errorf("go env: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var e Env
	if err := json.Unmarshal(out, &e); err != nil {
		return Env{}, fmt.Errorf("go env: decode its output: %w", err)
	}
	return e, nil
}

// Proxy returns the base URL of the first proxy the go command would ask
// for path's versions; see [Env.Proxies].
func (e Env) Proxy(path string) (string, error) {
	ps, err := e.Proxies(path)
	if err != nil {
		return "", err
	}
	return ps[0], nil
}

// Proxies returns the base URLs of the proxies the go command would ask
// for path's versions, in order (http, https or file; an entry without a
// scheme is https; direct is left out, off ends the list), or an error
// that says why none is asked: path matches GONOPROXY or GOPRIVATE,
// GOPROXY is off, or it lists only direct.
func (e Env) Proxies(path string) ([]string, error) {
	if module.MatchPrefixPatterns(e.GONOPROXY, path) {
		return nil, fmt.Errorf("%s matches GONOPROXY/GOPRIVATE (%s): the go command fetches it from its repository, never from a proxy", path, e.GONOPROXY)
	}
	var out []string
	for _, p := range strings.FieldsFunc(e.GOPROXY, func(r rune) bool { return r == ',' || r == '|' }) {
		p = strings.TrimSpace(p)
		if p == "off" {
			break
		}
		switch {
		case p == "direct":
		case !strings.Contains(p, "://"):
			out = append(out, "https://"+strings.TrimSuffix(p, "/"))
		default:
			out = append(out, strings.TrimSuffix(p, "/"))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("GOPROXY=%q names no proxy to ask (only direct, or off)", e.GOPROXY)
	}
	return out, nil
}
