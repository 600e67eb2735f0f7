package docker

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/runnertest"
)

// contractDockerfile builds the contract's test server FROM scratch: its
// build step is an exec-form RUN of the server's build mode (no shell),
// and its command serves.
const contractDockerfile = `FROM scratch
COPY server /server
COPY deps.lock /deps.lock
RUN ["/server", "build"]
CMD ["/server"]
`

// TestContract runs the contract every runner keeps (runners/runnertest):
// the candidate is an image built by the engine and served by its own
// command, and nothing is left of it (no container; once the runner is
// closed, no network of the run).
func TestContract(t *testing.T) {
	cli := needDocker(t)
	runnertest.Run(t, runnertest.Harness{
		Project: func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(contractDockerfile), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		New: func(t *testing.T, c runners.Config, project string) runnertest.Runner {
			runID := "test-" + newRunID()
			r, err := New(t.Context(), c, Config{Port: 8080}, project, Options{RunID: runID, Project: "test-contract-" + runID})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { removeImages(t, r.repo) })
			return runnertest.Runner{
				Runner:  r,
				Release: r.Close,
				Leftovers: func(t *testing.T, _ string, released bool) []string {
					ctx := context.WithoutCancel(t.Context())
					run := filters.NewArgs(filters.Arg("label", LabelRun+"="+runID))
					var left []string
					cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: run})
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range cs {
						left = append(left, "container "+c.ID[:12]+" "+c.State)
					}
					if released {
						ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: run})
						if err != nil {
							t.Fatal(err)
						}
						for _, n := range ns {
							left = append(left, "network "+n.Name)
						}
					}
					return left
				},
			}
		},
	})
}
