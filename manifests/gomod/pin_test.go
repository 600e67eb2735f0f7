package gomod

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/fixtures/goproxy"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
)

// TestPinRealGo pins example.com/x (v1.0.0 in the old lock, v1.3.0 in the
// new) to releases in neither lock and to directories standing for
// upstream commits, validates each pin with the real go command and builds
// and runs the feasible ones to see which code was linked.
func TestPinRealGo(t *testing.T) {
	testenv.NeedTools(t, "go")
	s := &scenario{proxy: t.TempDir(), oldDir: t.TempDir(), newDir: t.TempDir(),
		main: "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/x\"\n)\n\nfunc main() { fmt.Println(x.Version()) }\n"}
	s.env = goproxy.Env(s.proxy, t.TempDir())
	needsGo99 := pkg("example.com/x", "v1.2.1", nil)
	needsGo99.Go = "1.99"
	goproxy.Write(t, s.proxy,
		pkg("example.com/x", "v1.0.0", nil),
		pkg("example.com/x", "v1.1.0", nil),
		pkg("example.com/x", "v1.2.0", map[string]string{"example.com/missing": "v1.0.0"}),
		needsGo99,
		pkg("example.com/x", "v1.3.0", nil),
	)
	s.tidy(t, s.oldDir, "module example.com/app\n\ngo 1.21\n\nrequire example.com/x v1.0.0\n")
	s.tidy(t, s.newDir, "module example.com/app\n\ngo 1.21\n\nrequire example.com/x v1.3.0\n")
	set := s.open(t, s.env).(*Pair)

	commit := func(module string) string {
		dir := t.TempDir()
		for name, body := range map[string]string{
			"go.mod": "module " + module + "\n\ngo 1.21\n",
			"x.go":   "package x\n\nfunc Version() string { return \"x@commit\" }\n",
		} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	for _, tc := range []struct {
		name       string
		pin        manifests.Pin
		wantOutput string // the built binary's output; "" = the pin is infeasible
		wantReason string
	}{
		{name: "release", pin: manifests.Pin{Package: "example.com/x", Version: "v1.1.0"}, wantOutput: "x@v1.1.0"},
		{name: "missing dependency", pin: manifests.Pin{Package: "example.com/x", Version: "v1.2.0"}, wantReason: "example.com/missing"},
		{name: "newer go", pin: manifests.Pin{Package: "example.com/x", Version: "v1.2.1"}, wantReason: "1.99"},
		{name: "not in the proxy", pin: manifests.Pin{Package: "example.com/x", Version: "v1.2.9"}, wantReason: "v1.2.9"},
		{name: "commit", pin: manifests.Pin{Package: "example.com/x", Version: "v1.3.0", Dir: commit("example.com/x")}, wantOutput: "x@commit"},
		{name: "commit of another module", pin: manifests.Pin{Package: "example.com/x", Version: "v1.3.0", Dir: commit("example.com/y")}, wantReason: "example.com/y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			sums, err := set.PinSums(ctx, nil, tc.pin)
			if tc.wantOutput == "" {
				if !errors.Is(err, manifests.ErrInfeasible) || !strings.Contains(err.Error(), tc.wantReason) {
					t.Fatalf("PinSums = %v, want ErrInfeasible naming %s", err, tc.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pin := tc.pin
			c, err := set.Pin(nil, pin)
			if err != nil {
				t.Fatal(err)
			}
			if err := set.ValidatePin(ctx, s.project(t, c), c, pin); !errors.Is(err, manifests.ErrInfeasible) && pin.Dir == "" {
				t.Errorf("ValidatePin without the pin's go.sum lines = %v, want ErrInfeasible", err)
			}
			pin.Sums = sums
			if c, err = set.Pin(nil, pin); err != nil {
				t.Fatal(err)
			}
			dir := s.project(t, c)
			if err := set.ValidatePin(ctx, dir, c, pin); err != nil {
				t.Fatal(err)
			}
			// The build runs read-only, as a runner's would: the
			// candidate's own go.sum must be complete.
			s.goCmd(t, dir, "build", "-mod=readonly", "-o", "app", ".")
			out, err := exec.Command(filepath.Join(dir, "app")).Output()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(out)); got != tc.wantOutput {
				t.Errorf("the pinned build prints %q, want %q", got, tc.wantOutput)
			}
		})
	}

	t.Run("errors", func(t *testing.T) {
		for name, p := range map[string]manifests.Pin{
			"unchanged module": {Package: "example.com/none", Version: "v1.0.0"},
			"nothing to pin":   {Package: "example.com/x"},
		} {
			if _, err := set.Pin(nil, p); err == nil {
				t.Errorf("%s: Pin succeeded", name)
			}
		}
	})
	t.Run("replace line", func(t *testing.T) {
		c, err := set.Pin([]string{unitOf(t, set.Diff(), "example.com/x")}, manifests.Pin{Package: "example.com/x", Version: "v1.1.0"})
		if err != nil {
			t.Fatal(err)
		}
		gomod := string(c.Files["go.mod"])
		if !strings.Contains(gomod, "replace example.com/x => example.com/x v1.1.0") || !strings.Contains(gomod, "require example.com/x v1.3.0") {
			t.Errorf("go.mod of the pin:\n%s", gomod)
		}
	})
}
