package docker

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/runners"
)

// TestExamples builds an example's Dockerfile (examples/*/Dockerfile,
// beside the project directory) from its old and new locks with the runner
// and shows that the defect the example plants is visible through the
// container: the ping tool's inputSchema properties are an object before
// the update and not after. It needs the base images of scripts/images.sh.
// (go-mcp is left to the end-to-end runs of bisect: its server must listen
// on $HOST, and its image takes minutes to build on a small machine.)
func TestExamples(t *testing.T) {
	tests := []struct {
		name, base string
		files      []string // the lock files a candidate is made of
		good, bad  string   // in tools/list of the old and the new lock
	}{
		{"composer-mcp", "lockbisect/php:bookworm", []string{"composer.json", "composer.lock"}, `"properties":{}`, `"properties":[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cli := needDocker(t)
			ctx := context.Background()
			if _, err := cli.ImageInspect(ctx, tt.base); err != nil {
				testenv.Missing(t, tt.base+" (run scripts/images.sh)", err)
			}
			example := filepath.Join("..", "..", "examples", tt.name)
			cfg := settings{Config: runners.Config{Kind: "docker", Ready: runners.Ready{Path: "/healthz", Timeout: 30 * time.Second}}, own: Config{Dockerfile: "../Dockerfile", Port: 8080}}
			r := newRunner(t, filepath.Join(example, "server"), cfg, Options{})
			for _, side := range []struct{ dir, want string }{{"old", tt.good}, {"server", tt.bad}} {
				c := &manifests.Candidate{Files: map[string][]byte{}}
				for _, f := range tt.files {
					data, err := os.ReadFile(filepath.Join(example, side.dir, f))
					if err != nil {
						t.Fatal(err)
					}
					c.Files[f] = data
				}
				logs := &testenv.Buffer{}
				inst, err := r.Start(ctx, runners.Request{Candidate: c, Logs: logs})
				if err != nil {
					t.Fatalf("%s lock: %v\n%s", side.dir, err, logs)
				}
				list := toolsList(t, inst.BaseURL+"/mcp")
				inst.Stop(ctx)
				if !strings.Contains(list, side.want) {
					t.Errorf("%s lock: tools/list lacks %s:\n%s", side.dir, side.want, list)
				}
			}
		})
	}
}

// toolsList initializes an MCP session and returns the raw tools/list body.
func toolsList(t *testing.T, url string) string {
	t.Helper()
	post := func(body, session string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("MCP-Protocol-Version", "2025-06-18")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, _ := post(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}`, "")
	session := resp.Header.Get("Mcp-Session-Id")
	post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, session)
	_, list := post(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, session)
	return list
}
