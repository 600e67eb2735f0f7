package gomod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/lockbisect/lockbisect/manifests"
)

// retractions asks the go command which of the changes' old and new
// versions their modules' authors retract (`go list -m -json -retracted
// -e M@V …` outside any module, through the user's GOPROXY, GOPRIVATE and
// GONOPROXY as the go command applies them) and returns "path@version" →
// rationale ("retracted" when the author gives none).
func retractions(ctx context.Context, env []string, tmpDir string, changes []change) (map[string]string, error) {
	var args []string
	for _, c := range changes {
		if c.what != requireChange {
			continue
		}
		for _, v := range []string{c.From, c.To} {
			if v != "" && !strings.HasPrefix(v, "v0.0.0-00010101000000-") {
				args = append(args, c.path+"@"+v)
			}
		}
	}
	if len(args) == 0 {
		return nil, nil
	}
	tmp, err := os.MkdirTemp(tmpDir, "bisect-retract-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "go", append([]string{"list", "-m", "-json", "-retracted", "-e"}, args...)...)
	cmd.Dir = tmp
	// Outside any module: GOFLAGS may carry -mod=mod, which go list -m
	// refuses there.
	cmd.Env = append(append(os.Environ(), env...), "GOFLAGS=-modcacherw", "GO111MODULE=on", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m -retracted: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	found := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var m struct {
			Path, Version string
			Retracted     []string
		}
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return found, nil
		} else if err != nil {
			return nil, fmt.Errorf("go list -m -retracted: decode its output: %w", err)
		}
		if len(m.Retracted) > 0 {
			found[m.Path+"@"+m.Version] = strings.Join(m.Retracted, "; ")
		}
	}
}

// retractedNote says which of c's versions are retracted, and why; "" when
// neither is.
func retractedNote(c manifests.Change, retracted map[string]string) string {
	var notes []string
	for _, v := range []string{c.From, c.To} {
		if why, ok := retracted[c.Package+"@"+v]; ok && v != "" {
			notes = append(notes, v+" is retracted: "+why)
		}
	}
	return strings.Join(notes, "; ")
}
