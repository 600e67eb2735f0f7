package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"

	"github.com/lockbisect/lockbisect/runners"
)

// run starts a container of the image with the container port published
// on 127.0.0.1 and fills inst once the server answers ready.path.
func (r *Runner) run(ctx context.Context, tag, hash string, logs io.Writer, inst *runners.Instance) (err error) {
	port := nat.Port(strconv.Itoa(r.cfg.Port) + "/tcp")
	// Inside the container the server listens on the container port, on
	// every interface: the published port reaches it through the bridge.
	inside := runners.Vars{Port: r.cfg.Port, Host: "0.0.0.0"}
	env, err := runners.Environ(r.cfg.Env, inside)
	if err != nil {
		return fmt.Errorf("runner.env: %w", err)
	}
	var cmd []string
	if r.cfg.Start != "" {
		start, err := runners.Expand(r.cfg.Start, inside)
		if err != nil {
			return fmt.Errorf("runner.start: %w", err)
		}
		cmd = []string{"/bin/sh", "-c", start}
	}
	memory, err := memoryBytes(r.cfg.Memory)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("lockbisect-%s-%s-%d", r.runID, short(hash), r.seq.Add(1))
	begin := time.Now()
	created, err := r.cli.ContainerCreate(ctx,
		&container.Config{
			Image:        tag,
			Cmd:          cmd,
			Env:          env,
			Labels:       r.objectLabels(hash),
			ExposedPorts: nat.PortSet{port: struct{}{}},
		},
		&container.HostConfig{
			NetworkMode:  container.NetworkMode(r.netName),
			PortBindings: nat.PortMap{port: {{HostIP: "127.0.0.1", HostPort: ""}}},
			Resources:    container.Resources{Memory: memory, NanoCPUs: int64(r.cfg.CPUs * 1e9)},
			Privileged:   false,
		},
		&network.NetworkingConfig{},
		nil, name)
	if err != nil {
		return fmt.Errorf("create container from %s: %w", tag, err)
	}
	r.timed(hash, "create", begin)
	id := created.ID
	c := &running{r: r, id: id, name: name, hash: hash, tail: &lineTail{max: tailLines}, logsDone: make(chan struct{})}
	defer func() {
		if err != nil {
			if serr := c.stop(ctx); serr != nil {
				r.log.Warn("could not remove container", "container", name, "err", serr)
			}
		}
	}()
	begin = time.Now()
	if err := r.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		// The engine refuses to start what cannot run (no such command in
		// the image, a bad user): the candidate's image is at fault.
		if cerrdefs.IsInvalidArgument(err) || cerrdefs.IsInternal(err) || cerrdefs.IsUnknown(err) {
			return fmt.Errorf("%w: start container %s: %w", runners.ErrUntestable, name, err)
		}
		return fmt.Errorf("start container %s: %w", name, err)
	}
	r.timed(hash, "start", begin)
	c.followLogs(ctx, io.MultiWriter(logs, c.tail))
	begin = time.Now()
	hostPort, err := c.publishedPort(ctx, port)
	if err != nil {
		return err
	}
	r.timed(hash, "port", begin)
	begin = time.Now()
	base := "http://127.0.0.1:" + strconv.Itoa(hostPort)
	if err := c.waitReady(ctx, base+joinPath(r.cfg.Ready.Path), r.cfg.Ready.Timeout); err != nil {
		return err
	}
	r.timed(hash, "ready", begin)
	outside := runners.Vars{Port: hostPort, Host: "127.0.0.1"}
	inst.Env, err = runners.Environ(r.cfg.Env, outside)
	if err != nil {
		return fmt.Errorf("runner.env: %w", err)
	}
	inst.BaseURL, inst.Port = base, hostPort
	inst.Stop = c.stop
	r.log.Debug("container ready", "container", name, "url", base)
	return nil
}

// publishedPort reads back the host port the engine chose for port.
func (c *running) publishedPort(ctx context.Context, port nat.Port) (int, error) {
	info, err := c.r.cli.ContainerInspect(ctx, c.id)
	if err != nil {
		return 0, fmt.Errorf("inspect container %s: %w", c.name, err)
	}
	if info.NetworkSettings != nil {
		for _, b := range info.NetworkSettings.Ports[port] {
			if b.HostIP != "127.0.0.1" {
				continue
			}
			if p, err := strconv.Atoi(b.HostPort); err == nil && p > 0 {
				return p, nil
			}
		}
	}
	// A container that exited at once has no published port left.
	if info.State != nil && !info.State.Running {
		return 0, fmt.Errorf("%w: container %s exited with code %d before it could be reached:\n%s", runners.ErrUntestable, c.name, info.State.ExitCode, c.logTail())
	}
	return 0, fmt.Errorf("container %s: port %s is not published on 127.0.0.1", c.name, port)
}

// running is one started container.
type running struct {
	r        *Runner
	id, name string
	hash     string // the candidate's
	tail     *lineTail
	logsDone chan struct{}
	cancel   context.CancelFunc // stops following the logs
	once     sync.Once
	err      error
}

// followLogs copies the container's demultiplexed stdout and stderr to w
// until the container is gone.
func (c *running) followLogs(ctx context.Context, w io.Writer) {
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	go func() {
		defer close(c.logsDone)
		rc, err := c.r.cli.ContainerLogs(lctx, c.id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
		if err != nil {
			fmt.Fprintf(w, "bisect: cannot read the logs of %s: %v\n", c.name, err)
			return
		}
		defer rc.Close()
		stdcopy.StdCopy(w, w, rc)
	}()
}

// waitReady polls url until it answers 2xx or 3xx. It fails fast, as
// untestable with the server's last output, when the container exits or
// the timeout passes.
func (c *running) waitReady(ctx context.Context, url string, timeout time.Duration) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	exited, waitErr := c.r.cli.ContainerWait(wctx, c.id, container.WaitConditionNotRunning)
	hc := &http.Client{
		Timeout:       2 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	// Polls start at 10 ms and back off to 100 ms: a server that is ready
	// after 150 ms is seen at 170 ms, not at 300 ms as with a 250 ms cap.
	interval := 10 * time.Millisecond
	for {
		req, err := http.NewRequestWithContext(wctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("runner.ready.path: %w", err)
		}
		resp, err := hc.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode < 400 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case w := <-exited:
			return fmt.Errorf("%w: container %s exited with code %d before %s answered:\n%s", runners.ErrUntestable, c.name, w.StatusCode, url, c.logTail())
		case err := <-waitErr:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("wait for container %s: %w", c.name, err)
		case <-deadline.C:
			last := "no answer"
			if resp != nil {
				last = "last answer " + resp.Status
			} else if err != nil {
				last = err.Error()
			}
			return fmt.Errorf("%w: %s not ready after %s (%s):\n%s", runners.ErrUntestable, url, timeout, last, c.logTail())
		case <-time.After(interval):
		}
		interval = min(interval*2, 100*time.Millisecond)
	}
}

// logTail waits briefly for the last output of an exited container to
// arrive, then returns the kept tail.
func (c *running) logTail() string {
	select {
	case <-c.logsDone:
	case <-time.After(time.Second):
	}
	if s := strings.TrimSpace(c.tail.String()); s != "" {
		return s
	}
	return "(no output)"
}

// stop force-removes the container (stops it, with Options.Keep) and waits
// for its logs to be copied. It runs once; later calls return its result.
func (c *running) stop(ctx context.Context) error {
	c.once.Do(func() {
		ctx, cancel := cleanupContext(ctx)
		defer cancel()
		defer c.r.timed(c.hash, "remove", time.Now())
		if c.r.keep {
			c.err = c.r.cli.ContainerStop(ctx, c.id, container.StopOptions{})
		} else {
			c.err = c.r.cli.ContainerRemove(ctx, c.id, container.RemoveOptions{Force: true, RemoveVolumes: true})
		}
		if cerrdefs.IsNotFound(c.err) {
			c.err = nil
		}
		if c.err != nil {
			c.err = fmt.Errorf("remove container %s: %w", c.name, c.err)
		}
		if c.cancel != nil {
			// The log stream ends with the container; the timer only
			// guards against an engine that keeps it open.
			select {
			case <-c.logsDone:
			case <-time.After(5 * time.Second):
				c.cancel()
				<-c.logsDone
			}
			c.cancel()
		}
	})
	return c.err
}

// removeRunContainers force-removes every container of the run still there.
func (r *Runner) removeRunContainers(ctx context.Context) error {
	cs, err := r.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", LabelRun+"="+r.labels[LabelRun]))})
	if err != nil {
		return fmt.Errorf("list containers of run %s: %w", r.runID, err)
	}
	var errs []error
	for _, c := range cs {
		if err := r.cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container %s: %w", c.ID[:12], err))
		}
	}
	return errors.Join(errs...)
}

// memoryBytes parses runner.memory ("512m", "1g"); "" = no limit.
func memoryBytes(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := units.RAMInBytes(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("runner.memory: %q is not a size such as 512m or 1g", s)
	}
	return n, nil
}

func joinPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "/" + p
	}
	return p
}
