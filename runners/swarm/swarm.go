package swarm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/docker"
)

// Options are the runner's settings beyond the config; they are the
// docker runner's.
type Options = docker.Options

// Runner starts each candidate as a one-replica service on the swarm whose
// manager is the engine the environment names.
type Runner struct {
	d        *docker.Runner // builds the images, on the manager
	cli      *client.Client
	cfg      settings
	registry string // "" = the manager's local image serves (one node)
	keep     bool
	log      *slog.Logger
	netID    string
	netName  string
	seq      atomic.Int64
	memory   int64

	mu     sync.Mutex
	pushed map[string]*pushOnce // by image reference

	// Pushes counts the images pushed to runner.registry in this run.
	Pushes atomic.Int64
}

type pushOnce struct {
	once sync.Once
	err  error
}

var _ runners.Runner = (*Runner)(nil)

// ErrCluster wraps the errors that mean the cluster itself is gone for the
// run: the manager does not answer or has lost quorum. No probe can be
// judged; the run stops (runners.ErrSetup) and can be resumed.
var ErrCluster = errors.New("swarm cluster unavailable")

// New checks that the engine is a swarm manager, removes what dead runs
// left on the swarm (their services, then what the docker runner's sweep
// removes), and creates the run's overlay network. With more than one
// node, runner.registry must name a registry every node can pull from.
// Zero settings take their defaults.
func New(ctx context.Context, c runners.Config, dc docker.Config, s Config, project string, opts Options) (*Runner, error) {
	cfg := settings{c, dc}
	cfg.Config.Defaults(nil)
	cfg.dockerConfig.Defaults()
	cli, err := docker.Connect(ctx)
	if err != nil {
		return nil, err
	}
	info, err := cli.Info(ctx)
	if err != nil {
		cli.Close()
		return nil, fmt.Errorf("docker engine info: %w", err)
	}
	if info.Swarm.LocalNodeState != swarm.LocalNodeStateActive || !info.Swarm.ControlAvailable {
		cli.Close()
		return nil, fmt.Errorf("the docker engine at %s is not a swarm manager (node state %q): run docker swarm init there, or point DOCKER_HOST at a manager", cli.DaemonHost(), info.Swarm.LocalNodeState)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	removed, err := sweepServices(ctx, cli, docker.CleanOptions{})
	cli.Close()
	for _, o := range removed {
		log.Info("removed what a dead run left", "object", o)
	}
	if err != nil {
		log.Warn("could not remove every service dead runs left (bisect clean retries)", "err", err)
	}
	d, err := docker.New(ctx, c, dc, project, opts)
	if err != nil {
		return nil, err
	}
	r := &Runner{d: d, cli: d.Client(), cfg: cfg, registry: strings.TrimSuffix(s.Registry, "/"), keep: opts.Keep, log: log, pushed: map[string]*pushOnce{}}
	fail := func(err error) (*Runner, error) {
		d.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if r.memory, err = docker.MemoryBytes(cfg.Memory); err != nil {
		return fail(err)
	}
	nodes, err := r.cli.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return fail(fmt.Errorf("%w: list nodes: %w", ErrCluster, err))
	}
	if len(nodes) > 1 && r.registry == "" {
		return fail(fmt.Errorf("runner.registry: the swarm has %d nodes, and each must pull the candidate images from a registry (such as 127.0.0.1:5000)", len(nodes)))
	}
	if len(nodes) == 1 {
		// One node: the image the manager built serves; a push would
		// only cost time.
		r.registry = ""
	}
	labels := d.Labels("")
	delete(labels, docker.LabelCandidate)
	r.netName = name("lockbisect-swarm-" + d.RunID())
	n, err := r.cli.NetworkCreate(ctx, r.netName, network.CreateOptions{Driver: "overlay", Attachable: true, Labels: labels})
	if err != nil {
		return fail(fmt.Errorf("create network %s: %w", r.netName, err))
	}
	r.netID = n.ID
	log.Debug("swarm runner ready", "manager", r.cli.DaemonHost(), "nodes", len(nodes), "registry", r.registry, "network", r.netName)
	return r, nil
}

// Close removes the run's services still there and its network (unless
// Options.Keep), then what the docker runner holds. It works after Ctrl-C,
// within a bounded time.
func (r *Runner) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var errs []error
	if !r.keep {
		svcs, err := r.cli.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("label", docker.LabelRun+"="+r.d.Labels("")[docker.LabelRun]))})
		if err != nil {
			errs = append(errs, fmt.Errorf("list services of the run: %w", err))
		}
		for _, s := range svcs {
			if err := r.cli.ServiceRemove(ctx, s.ID); err != nil && !cerrdefs.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("remove service %s: %w", s.Spec.Name, err))
			}
		}
		run := r.d.Labels("")[docker.LabelRun]
		if err := waitGone(ctx, r.cli, "the services of run "+run, docker.LabelRun+"="+run, func(t swarm.Task) bool {
			return t.Spec.ContainerSpec != nil && t.Spec.ContainerSpec.Labels[docker.LabelRun] == run
		}); err != nil {
			errs = append(errs, err)
		}
		if err := removeNetwork(ctx, r.cli, r.netID); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", r.netName, err))
		}
	}
	if err := r.d.Close(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Start builds the candidate's image (as the docker runner does), pushes
// it to runner.registry when the swarm has more than one node, and runs it
// as a one-replica service until the task's server answers ready.path on
// its node's published port.
func (r *Runner) Start(ctx context.Context, p runners.Request) (*runners.Instance, error) {
	inst, err := r.start(ctx, p)
	if err != nil && ctx.Err() == nil && !errors.Is(err, runners.ErrSetup) {
		// Infrastructure trouble is retried, and an untestable candidate
		// judged so, unless the cluster itself is gone (a build cut off
		// by the manager's daemon stopping reads as a failed build): no
		// retry can help then, and the run must stop.
		if cerr := r.cluster(ctx); cerr != nil {
			return nil, fmt.Errorf("%w: %w: %w (the probe failed with: %w)", runners.ErrSetup, ErrCluster, cerr, err)
		}
	}
	return inst, err
}

// cluster returns an error when the manager does not answer, is no longer
// a manager, or the swarm has no leader (lost quorum: the manager cannot
// list the nodes).
func (r *Runner) cluster(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, err := r.cli.Info(ctx)
	if err != nil {
		return fmt.Errorf("the swarm manager at %s does not answer: %w", r.cli.DaemonHost(), err)
	}
	if !info.Swarm.ControlAvailable {
		return fmt.Errorf("the engine at %s is no longer a swarm manager (node state %q)", r.cli.DaemonHost(), info.Swarm.LocalNodeState)
	}
	if _, err := r.cli.NodeList(ctx, swarm.NodeListOptions{}); err != nil {
		return fmt.Errorf("the swarm cannot list its nodes (no leader: quorum lost?): %w", err)
	}
	return nil
}

func (r *Runner) start(ctx context.Context, p runners.Request) (*runners.Instance, error) {
	if r.cfg.Port == 0 {
		// Nothing is served: the image is built on the manager and the
		// exec oracle alone decides, on this host.
		return r.d.Start(ctx, p)
	}
	img, err := r.d.Image(ctx, p)
	if err != nil {
		return nil, err
	}
	ref, err := r.distribute(ctx, img.Tag)
	if err != nil {
		return nil, err
	}
	logs := p.Logs
	if logs == nil {
		logs = io.Discard
	}
	inst := &runners.Instance{Cached: img.Cached, BuildSeconds: img.Seconds}
	if err := r.serve(ctx, ref, p.Candidate.Hash(), logs, inst); err != nil {
		return nil, err
	}
	if err := r.d.WorkDir(ctx, p, img, inst); err != nil {
		return nil, err
	}
	return inst, nil
}

// distribute returns the reference the nodes run: the local tag on one
// node, else the tag in runner.registry, pushed once per run.
func (r *Runner) distribute(ctx context.Context, tag string) (string, error) {
	if r.registry == "" {
		return tag, nil
	}
	ref := r.registry + "/" + tag
	r.mu.Lock()
	po, ok := r.pushed[ref]
	if !ok {
		po = &pushOnce{}
		r.pushed[ref] = po
	}
	r.mu.Unlock()
	po.once.Do(func() {
		begin := time.Now()
		po.err = r.push(ctx, tag, ref)
		if po.err == nil {
			r.Pushes.Add(1)
			r.log.Info("pushed image", "ref", ref, "seconds", time.Since(begin).Seconds())
		}
	})
	if po.err != nil {
		// A later probe of the same image tries again.
		r.mu.Lock()
		delete(r.pushed, ref)
		r.mu.Unlock()
	}
	return ref, po.err
}

func (r *Runner) push(ctx context.Context, tag, ref string) error {
	if err := r.cli.ImageTag(ctx, tag, ref); err != nil {
		return fmt.Errorf("tag %s as %s: %w", tag, ref, err)
	}
	// The engine wants an auth header even for a registry without
	// authentication: "{}" in base64.
	rc, err := r.cli.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: "e30="})
	if err != nil {
		return fmt.Errorf("push %s to runner.registry: %w", ref, err)
	}
	defer rc.Close()
	if err := jsonmessage.DisplayJSONMessagesStream(rc, io.Discard, 0, false, nil); err != nil {
		return fmt.Errorf("push %s to runner.registry: %w", ref, err)
	}
	return nil
}

// service is one probe's service.
type service struct {
	r        *Runner
	id, name string
	readyURL string // on the task's node, once it is ready
	tail     docker.Tail
	logsDone chan struct{}
	cancel   context.CancelFunc
	once     sync.Once
	err      error
}

// serve creates the probe's service and fills inst once its task answers.
func (r *Runner) serve(ctx context.Context, ref, hash string, logs io.Writer, inst *runners.Instance) (err error) {
	inside := runners.Vars{Port: r.cfg.Port, Host: "0.0.0.0"}
	env, err := runners.Environ(r.cfg.Env, inside)
	if err != nil {
		return fmt.Errorf("%w: runner.env: %w", runners.ErrSetup, err)
	}
	var cmd []string
	if r.cfg.Start != "" {
		start, err := runners.Expand(r.cfg.Start, inside)
		if err != nil {
			return fmt.Errorf("%w: runner.start: %w", runners.ErrSetup, err)
		}
		cmd = []string{"/bin/sh", "-c", start}
	}
	labels := r.d.Labels(hash)
	nm := name(fmt.Sprintf("lockbisect-%s-%s-%d", r.d.RunID(), short(hash), r.seq.Add(1)))
	one := uint64(1)
	// The verdict is in when the service goes: its server gets no
	// graceful shutdown to wait for (the docker runner force-removes).
	grace := time.Second
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: nm, Labels: labels},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{Image: ref, Command: cmd, Env: env, Labels: labels, StopGracePeriod: &grace},
			Resources:     r.resources(),
			// The candidate's exit is its verdict's evidence, never a
			// reason to start it again.
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: r.netID}},
		},
		Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
		// No routing mesh and no virtual IP: the port is published on the
		// node that runs the task, and only while it runs.
		EndpointSpec: &swarm.EndpointSpec{
			Mode:  swarm.ResolutionModeDNSRR,
			Ports: []swarm.PortConfig{{Protocol: swarm.PortConfigProtocolTCP, TargetPort: uint32(r.cfg.Port), PublishMode: swarm.PortConfigPublishModeHost}},
		},
	}
	created, err := r.cli.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{QueryRegistry: false})
	if err != nil {
		return managerError(fmt.Errorf("create service %s: %w", nm, err))
	}
	s := &service{r: r, id: created.ID, name: nm, tail: docker.NewTail(), logsDone: make(chan struct{})}
	defer func() {
		if err != nil {
			if serr := s.stop(ctx); serr != nil {
				r.log.Warn("could not remove service", "service", nm, "err", serr)
			}
		}
	}()
	s.followLogs(ctx, io.MultiWriter(logs, s.tail))
	addr, node, port, err := s.waitReady(ctx)
	if err != nil {
		return err
	}
	outside := runners.Vars{Port: port, Host: addr}
	if inst.Env, err = runners.Environ(r.cfg.Env, outside); err != nil {
		return fmt.Errorf("%w: runner.env: %w", runners.ErrSetup, err)
	}
	inst.Host, inst.Port, inst.Node = addr, port, node
	inst.BaseURL = "http://" + net.JoinHostPort(addr, strconv.Itoa(port))
	inst.Stop = s.stop
	inst.Intact = s.intact
	r.log.Debug("service ready", "service", nm, "node", node, "url", inst.BaseURL)
	return nil
}

// resources are the task's reservations and limits, the same: the
// scheduler packs probes by what they reserve and a probe never takes more.
func (r *Runner) resources() *swarm.ResourceRequirements {
	cpus := int64(r.cfg.CPUs * 1e9)
	if cpus == 0 && r.memory == 0 {
		return nil
	}
	return &swarm.ResourceRequirements{
		Limits:       &swarm.Limit{NanoCPUs: cpus, MemoryBytes: r.memory},
		Reservations: &swarm.Resources{NanoCPUs: cpus, MemoryBytes: r.memory},
	}
}

// waitReady follows the service's task until its server answers
// ready.path on the node's published port: the address of the node that
// runs it, the node's host name and the port. A task still unplaced, or a
// server not ready, after runner.ready.timeout is untestable with the
// reason; a task that exits is untestable with its output; a task the
// cluster rejects, orphans or shuts down is an infrastructure error
// (retried, on another node if its node is down).
func (s *service) waitReady(ctx context.Context) (addr, node string, port int, err error) {
	timeout := s.r.cfg.Ready.Timeout
	deadline := time.Now().Add(timeout)
	hc := &http.Client{
		Timeout:       2 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var last string // the last reason it is not ready
	for interval := 50 * time.Millisecond; ; interval = min(interval*2, 250*time.Millisecond) {
		t, err := s.task(ctx)
		if err != nil {
			return "", "", 0, err
		}
		if t != nil && t.NodeID != "" && !final(t.Status.State) {
			// A task given to a node that then went down stays where it
			// is: the cluster's trouble, not the candidate's.
			if err := s.r.nodeUp(ctx, t.NodeID); err != nil {
				return "", "", 0, fmt.Errorf("service %s: %w", s.name, err)
			}
		}
		if t != nil {
			st := t.Status
			switch st.State {
			case swarm.TaskStateFailed, swarm.TaskStateComplete:
				code := 0
				if st.ContainerStatus != nil {
					code = st.ContainerStatus.ExitCode
				}
				return "", "", 0, fmt.Errorf("%w: service %s: the task exited with code %d before it answered (%s):\n%s", runners.ErrUntestable, s.name, code, cmp.Or(st.Err, st.Message), s.logTail())
			case swarm.TaskStateRejected, swarm.TaskStateOrphaned, swarm.TaskStateShutdown, swarm.TaskStateRemove:
				on := t.NodeID
				if _, host, err := s.r.nodeAddr(ctx, t.NodeID); err == nil {
					on = host
				}
				return "", "", 0, fmt.Errorf("service %s: the cluster %s the task on node %s: %s", s.name, st.State, on, cmp.Or(st.Err, st.Message))
			case swarm.TaskStateRunning:
				if addr == "" {
					addr, node, err = s.r.nodeAddr(ctx, t.NodeID)
					if err != nil {
						return "", "", 0, err
					}
				}
				port = publishedPort(t, uint32(s.r.cfg.Port))
				if port == 0 {
					last = "the task's port is not published yet"
					break
				}
				// "Running" proves nothing: the server must answer.
				url := "http://" + net.JoinHostPort(addr, strconv.Itoa(port)) + joinPath(s.r.cfg.Ready.Path)
				ok, why := ready(ctx, hc, url)
				if ok {
					s.readyURL = url
					return addr, node, port, nil
				}
				last = url + ": " + why
			default:
				last = fmt.Sprintf("task %s: %s", st.State, cmp.Or(st.Err, st.Message))
			}
		} else {
			last = "no task yet"
		}
		if time.Now().After(deadline) {
			return "", "", 0, fmt.Errorf("%w: service %s not ready after runner.ready.timeout %s (%s):\n%s", runners.ErrUntestable, s.name, timeout, last, s.logTail())
		}
		select {
		case <-ctx.Done():
			return "", "", 0, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// intact reports an error when the server may have been lost to the
// cluster since it was ready (its node went down, the task was moved),
// since the oracle may then have judged a server that was not there. A
// server that still answers ready.path on a ready node is intact; one that
// does not is given up to 10s for the cluster to say why: a task that
// exited by itself (failed, complete) is the candidate's doing, and the
// verdict stands.
func (s *service) intact(ctx context.Context) error {
	hc := &http.Client{Timeout: 2 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i := 0; ; i++ {
		answered, why := ready(ctx, hc, s.readyURL)
		t, err := s.task(ctx)
		if err != nil {
			return err
		}
		if t == nil {
			return fmt.Errorf("service %s has no task left", s.name)
		}
		switch t.Status.State {
		case swarm.TaskStateFailed, swarm.TaskStateComplete:
			return nil
		case swarm.TaskStateRunning:
		default:
			return fmt.Errorf("service %s: the cluster moved the task to %s: %s", s.name, t.Status.State, cmp.Or(t.Status.Err, t.Status.Message))
		}
		if err := s.r.nodeUp(ctx, t.NodeID); err != nil {
			return fmt.Errorf("service %s: %w", s.name, err)
		}
		if answered {
			return nil
		}
		if i == 40 {
			return fmt.Errorf("service %s: %s no longer answers (%s) while the cluster says its task runs", s.name, s.readyURL, why)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// task is the service's newest task, nil before the orchestrator made one.
func (s *service) task(ctx context.Context) (*swarm.Task, error) {
	ts, err := s.r.cli.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", s.id))})
	if err != nil {
		return nil, managerError(fmt.Errorf("tasks of service %s: %w", s.name, err))
	}
	var newest *swarm.Task
	for i := range ts {
		if newest == nil || ts[i].Meta.CreatedAt.After(newest.Meta.CreatedAt) {
			newest = &ts[i]
		}
	}
	return newest, nil
}

// nodeUp returns an error unless the node is ready.
func (r *Runner) nodeUp(ctx context.Context, id string) error {
	n, _, err := r.cli.NodeInspectWithRaw(ctx, id)
	if err != nil {
		return managerError(fmt.Errorf("inspect node %s: %w", id, err))
	}
	if n.Status.State != swarm.NodeStateReady {
		return fmt.Errorf("node %s is %s", cmp.Or(n.Description.Hostname, id), n.Status.State)
	}
	return nil
}

// nodeAddr is the address the node advertises (where its host-mode ports
// are open) and its host name.
func (r *Runner) nodeAddr(ctx context.Context, id string) (addr, host string, err error) {
	n, _, err := r.cli.NodeInspectWithRaw(ctx, id)
	if err != nil {
		return "", "", managerError(fmt.Errorf("inspect node %s: %w", id, err))
	}
	addr = n.Status.Addr
	if addr == "" || addr == "0.0.0.0" {
		addr = "127.0.0.1"
	}
	return addr, cmp.Or(n.Description.Hostname, id), nil
}

func publishedPort(t *swarm.Task, target uint32) int {
	for _, p := range t.Status.PortStatus.Ports {
		if p.TargetPort == target && p.PublishMode == swarm.PortConfigPublishModeHost && p.PublishedPort > 0 {
			return int(p.PublishedPort)
		}
	}
	return 0
}

func ready(ctx context.Context, hc *http.Client, url string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err.Error()
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400, "answered " + resp.Status
}

// followLogs copies the service's task output to w until the service is
// removed.
func (s *service) followLogs(ctx context.Context, w io.Writer) {
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	go func() {
		defer close(s.logsDone)
		rc, err := s.r.cli.ServiceLogs(lctx, s.id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
		if err != nil {
			fmt.Fprintf(w, "bisect: cannot read the logs of service %s: %v\n", s.name, err)
			return
		}
		defer rc.Close()
		stdcopy.StdCopy(w, w, rc)
	}()
}

func (s *service) logTail() string {
	select {
	case <-s.logsDone:
	case <-time.After(time.Second):
	}
	if t := strings.TrimSpace(s.tail.String()); t != "" {
		return t
	}
	return "(no output)"
}

// stop removes the service (with Options.Keep it stays, to be looked at).
// The cluster stops its task and removes its container in the background
// (seconds, which the next probe need not wait for); Close waits for all
// of the run's before it removes the network. It runs once; later calls
// return its result.
func (s *service) stop(ctx context.Context) error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if !s.r.keep {
			if err := s.r.cli.ServiceRemove(ctx, s.id); err != nil && !cerrdefs.IsNotFound(err) {
				s.err = fmt.Errorf("remove service %s: %w", s.name, err)
			}
		}
		if s.cancel != nil {
			// The task's output came as it ran; the stream need not be
			// drained to its end.
			select {
			case <-s.logsDone:
			case <-time.After(500 * time.Millisecond):
			}
			s.cancel()
			<-s.logsDone
		}
	})
	return s.err
}

// removeService removes a service and waits, a bounded while, until its
// tasks and their containers are gone (see waitGone).
func removeService(ctx context.Context, cli *client.Client, id string) error {
	if err := cli.ServiceRemove(ctx, id); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove service %s: %w", id, err)
	}
	return waitGone(ctx, cli, "service "+id, "com.docker.swarm.service.id="+id, func(t swarm.Task) bool { return t.ServiceID == id })
}

// waitGone waits, at most 30s, until no task that ours matches still has a
// container in the cluster and no container with the label is left on this
// engine, so that the networks they used can go. The manager no longer
// filters tasks by a removed service: they are picked from all.
func waitGone(ctx context.Context, cli *client.Client, what, label string, ours func(swarm.Task) bool) error {
	cf := filters.NewArgs(filters.Arg("label", label))
	for i := 0; i < 150; i++ {
		ts, err := cli.TaskList(ctx, swarm.TaskListOptions{})
		if err != nil {
			return fmt.Errorf("tasks of %s: %w", what, err)
		}
		cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: cf})
		if err != nil {
			return fmt.Errorf("containers of %s: %w", what, err)
		}
		nodes, err := cli.NodeList(ctx, swarm.NodeListOptions{})
		if err != nil {
			return fmt.Errorf("nodes: %w", err)
		}
		down := map[string]bool{}
		for _, n := range nodes {
			down[n.ID] = n.Status.State != swarm.NodeStateReady
		}
		// A task whose container is gone stays listed a while, in a
		// final state, until the manager reaps it; one on a node that is
		// down is the node's to end when it comes back.
		live := slices.ContainsFunc(ts, func(t swarm.Task) bool { return ours(t) && !final(t.Status.State) && !down[t.NodeID] })
		if !live && len(cs) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s removed, but its tasks are still there: %w", what, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s removed, but its tasks are still there after 30s", what)
}

// final reports whether a task in state st has no container running.
func final(st swarm.TaskState) bool {
	switch st {
	case swarm.TaskStateComplete, swarm.TaskStateShutdown, swarm.TaskStateFailed, swarm.TaskStateRejected, swarm.TaskStateOrphaned, swarm.TaskStateRemove:
		return true
	}
	return false
}

// removeNetwork removes a network, retrying while the tasks of removed
// services still hold it.
func removeNetwork(ctx context.Context, cli *client.Client, id string) error {
	var err error
	for i := 0; i < 150; i++ {
		err = cli.NetworkRemove(ctx, id)
		if err == nil || cerrdefs.IsNotFound(err) {
			return nil
		}
		if client.IsErrConnectionFailed(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
	return err
}

// managerError marks an error of a call to the manager that says the
// cluster cannot serve the run at all (no quorum, no leader, the manager
// gone): the run stops, to be resumed.
func managerError(err error) error {
	if client.IsErrConnectionFailed(err) || strings.Contains(err.Error(), "rpc error: code = Unknown desc = The swarm does not have a leader") ||
		strings.Contains(err.Error(), "does not have a leader") || strings.Contains(err.Error(), "not a swarm manager") {
		return fmt.Errorf("%w: %w: %w", runners.ErrSetup, ErrCluster, err)
	}
	return err
}

// name makes s a valid service or network name: at most 63 characters.
func name(s string) string {
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.TrimRight(s, "-._")
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

func joinPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "/" + p
	}
	return p
}
