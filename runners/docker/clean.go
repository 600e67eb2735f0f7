package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

	"github.com/lockbisect/lockbisect/internal/proc"
)

// The labels every image, container and network of the tool carries. They
// let `bisect clean` and the next run find what a crashed run left behind
// (for example: docker ps -a --filter label=org.lockbisect.tool=bisect).
const (
	LabelTool      = "org.lockbisect.tool"      // always "bisect"
	LabelRun       = "org.lockbisect.run"       // the run id
	LabelCandidate = "org.lockbisect.candidate" // the candidate hash (images and containers)
	LabelPID       = "org.lockbisect.pid"       // process id of the bisect that created it
	LabelStart     = "org.lockbisect.start"     // that process's start time (Linux), so a later process with its pid is not taken for it
	LabelHost      = "org.lockbisect.host"      // host name of that process: a pid means nothing elsewhere
	LabelCreated   = "org.lockbisect.created"   // unix seconds
	toolName       = "bisect"
)

// CleanOptions choose what Clean removes.
type CleanOptions struct {
	// All also removes the cached candidate images (by default they are
	// kept: they make the next run of the same candidates free).
	All bool
	// OlderThan limits removal to objects created longer ago; 0 = any age.
	OlderThan time.Duration
}

// Clean removes what runs of the tool that are no longer alive left behind:
// their containers and networks, the tool's dangling images (the step
// images and step containers a killed build left too, when no run is alive
// on this host: a live run's build steps look the same), and with
// opts.All the cached candidate images too. Objects of a live run (its
// process still exists on this host) are never touched, nor objects made
// by a bisect on another host. It returns a line per removed object; an
// error names the objects it could not remove, after trying them all.
func Clean(ctx context.Context, cli *client.Client, opts CleanOptions) (removed []string, err error) {
	return sweep(ctx, cli, sweepOptions{olderThan: opts.OlderThan, images: opts.All})
}

type sweepOptions struct {
	olderThan time.Duration
	images    bool // also cached images, not only dangling ones
	now       time.Time
}

func toolFilter() filters.Args {
	return filters.NewArgs(filters.Arg("label", LabelTool+"="+toolName))
}

func sweep(ctx context.Context, cli *client.Client, o sweepOptions) ([]string, error) {
	if o.now.IsZero() {
		o.now = time.Now()
	}
	old := func(labels map[string]string, created time.Time) bool {
		if o.olderThan <= 0 {
			return true
		}
		if s, err := strconv.ParseInt(labels[LabelCreated], 10, 64); err == nil {
			created = time.Unix(s, 0)
		}
		return o.now.Sub(created) > o.olderThan
	}
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: toolFilter()})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: toolFilter()})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	f := toolFilter()
	if !o.images {
		f.Add("dangling", "true")
	}
	is, err := cli.ImageList(ctx, image.ListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	// A run of the tool alive on this host may be building now (its steps
	// look like any other build's); every run has its network from its
	// start, so one of these objects shows it.
	live := slices.ContainsFunc(cs, func(c container.Summary) bool { return alive(c.Labels) }) ||
		slices.ContainsFunc(ns, func(n network.Summary) bool { return alive(n.Labels) }) ||
		slices.ContainsFunc(is, func(im image.Summary) bool { return alive(im.Labels) })

	var removed []string
	var errs []error
	for _, c := range cs {
		if alive(c.Labels) || !old(c.Labels, time.Unix(c.Created, 0)) || step(c.Labels) && live {
			continue
		}
		name := c.ID[:12]
		if len(c.Names) > 0 {
			name = c.Names[0]
		}
		if err := removeContainer(ctx, cli, c.ID); err != nil {
			errs = append(errs, fmt.Errorf("remove container %s: %w", name, err))
			continue
		}
		removed = append(removed, "container "+name)
	}
	for _, n := range ns {
		if alive(n.Labels) || !old(n.Labels, n.Created) {
			continue
		}
		if err := cli.NetworkRemove(ctx, n.ID); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
			continue
		}
		removed = append(removed, "network "+n.Name)
	}
	for _, im := range is {
		// An image of a live run may be the last step of its build, not
		// tagged yet.
		if alive(im.Labels) || !old(im.Labels, time.Unix(im.Created, 0)) || step(im.Labels) && live {
			continue
		}
		r, err := RemoveImage(ctx, cli, im)
		removed = append(removed, r...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// RemoveImage removes an image by each of its tags, or by its id when it
// has none, and returns a line per name removed. Removing each tag by name
// deletes the image with its last tag without forcing, so an image a
// container still uses stays (as does one that is already gone).
func RemoveImage(ctx context.Context, cli *client.Client, im image.Summary) (removed []string, err error) {
	var names []string
	for _, tag := range im.RepoTags {
		// Older engines list an untagged image as "<none>:<none>".
		if tag != "<none>:<none>" {
			names = append(names, tag)
		}
	}
	if len(names) == 0 {
		names = []string{im.ID}
	}
	var errs []error
	for _, name := range names {
		_, err := cli.ImageRemove(ctx, name, image.RemoveOptions{PruneChildren: true})
		switch {
		case err == nil:
			removed = append(removed, "image "+name)
		case cerrdefs.IsNotFound(err), cerrdefs.IsConflict(err):
		default:
			errs = append(errs, fmt.Errorf("remove image %s: %w", name, err))
		}
	}
	return removed, errors.Join(errs...)
}

// step reports whether an object is a step of an image build: a step image,
// or the container of a RUN step, which has the step image's labels. It has
// the tool's label from the top of its stage, but no run's, so it may belong
// to a build in progress: it goes only when no run is alive.
func step(labels map[string]string) bool {
	return labels[LabelRun] == ""
}

// alive reports whether the run that labelled an object may still be
// running: its process exists on this host, or it was made on another host
// (where this process cannot tell).
func alive(labels map[string]string) bool {
	if h := labels[LabelHost]; h != "" && h != hostname() {
		return true
	}
	pid, err := strconv.Atoi(labels[LabelPID])
	if err != nil || pid <= 0 {
		return false
	}
	// Signal 0 checks for existence; EPERM means it exists under another
	// user.
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// A process with that pid exists; it is the run's unless its start
	// time tells otherwise (pids are reused).
	if start := labels[LabelStart]; start != "" {
		if st, err := proc.Read(pid); err == nil && st.Start != start {
			return false
		}
	}
	return true
}

// startLabel is this process's start time for LabelStart, or "" where /proc
// cannot tell.
func startLabel() string {
	st, err := proc.Read(os.Getpid())
	if err != nil {
		return ""
	}
	return st.Start
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
}

// removeContainer force-removes a container. A removal the engine already
// has in progress (a container started with auto-remove, or one a dying run
// asked to remove) is waited for, a bounded while, instead of failing.
func removeContainer(ctx context.Context, cli *client.Client, id string) error {
	err := cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err == nil || cerrdefs.IsNotFound(err) {
		return nil
	}
	if !cerrdefs.IsConflict(err) {
		return err
	}
	for i := 0; i < 50; i++ {
		if _, ierr := cli.ContainerInspect(ctx, id); cerrdefs.IsNotFound(ierr) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return err
}
