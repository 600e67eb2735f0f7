package docker

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

	"github.com/lockbisect/lockbisect/runners"
)

// Options are the run-wide settings of a Runner.
type Options struct {
	// RunID names the run in labels and object names; "" = generated.
	RunID string
	// Project is the image repository's last part (lockbisect/<Project>);
	// "" = the base name of the project directory.
	Project string
	// Keep leaves containers (stopped) and the network in place after Stop
	// and Close, for inspection; `bisect clean` removes them later.
	Keep bool
	// Logger receives progress and debug events; nil = discard.
	Logger *slog.Logger
	// TempDir holds the copies of candidates that a Request's Validate
	// checks: the run's own directory, swept should the run be killed.
	// "" = the system's temporary directory.
	TempDir string
}

// Runner builds candidates into images and runs them as containers through
// the Docker Engine API. It is safe for concurrent Starts (parallel probes
// get separate containers on separate published ports).
type Runner struct {
	cli *client.Client
	cfg settings
	dir string // project directory: the build context
	// dockerfilePath is the Dockerfile, read per probe; dockerfile its
	// name inside the context ("" when it lives outside the project).
	dockerfilePath, dockerfile string
	ignore                     string // the ignore file (it need not exist)
	repo                       string // lockbisect/<project>
	runID                      string
	keep                       bool
	tempDir                    string // Options.TempDir
	log                        *slog.Logger
	labels                     map[string]string // tool, run, pid, host, created
	netID                      string
	netName                    string
	seq                        atomic.Int64
	builder                    build.BuilderVersion
	// buildSlots holds a token per image build in progress
	// (runner.build_parallel of them at most).
	buildSlots chan struct{}

	mu     sync.Mutex
	builds map[string]*sync.Mutex // per image tag: one build of a candidate at a time
}

var _ runners.Runner = (*Runner)(nil)

// Connect returns a client of the engine named by the environment
// (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH; the local socket
// otherwise), negotiating the API version, after checking that the engine
// answers. Contexts are per call: a client-wide timeout would cut streaming
// builds.
func Connect(ctx context.Context) (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		return nil, fmt.Errorf("docker engine at %s does not answer (is dockerd running, is DOCKER_HOST right?): %w", cli.DaemonHost(), err)
	}
	return cli, nil
}

// New connects to the engine, removes what dead runs left behind (their
// containers and networks, see Clean), and creates this run's network.
// project is the directory sent as the build context; the Dockerfile is
// relative to it. Zero settings take their defaults. Close releases the
// network and the client.
func New(ctx context.Context, c runners.Config, d Config, project string, opts Options) (*Runner, error) {
	cfg := settings{c, d}
	cfg.Config.Defaults(nil)
	cfg.own.Defaults()
	dir, err := filepath.Abs(project)
	if err != nil {
		return nil, fmt.Errorf("project %s: %w", project, err)
	}
	dockerfilePath, dockerfile, err := locateDockerfile(dir, cfg.Dockerfile)
	if err != nil {
		return nil, err
	}
	if _, err := memoryBytes(cfg.Memory); err != nil {
		return nil, err
	}
	if cfg.CPUs < 0 {
		return nil, fmt.Errorf("runner.cpus: %v is negative", cfg.CPUs)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	runID := opts.RunID
	if runID == "" {
		runID = newRunID()
	}
	name := opts.Project
	if name == "" {
		name = filepath.Base(dir)
	}
	cli, err := Connect(ctx)
	if err != nil {
		return nil, err
	}
	builder, err := chooseBuilder(ctx, cli, cfg.Builder)
	if err == nil {
		err = checkMounts(dockerfilePath, builder)
	}
	if err == nil && cfg.BuildParallel <= 0 {
		cfg.BuildParallel, err = engineCPUs(ctx, cli)
	}
	if err != nil {
		cli.Close()
		return nil, err
	}
	r := &Runner{
		cli:            cli,
		cfg:            cfg,
		dir:            dir,
		dockerfilePath: dockerfilePath,
		dockerfile:     dockerfile,
		ignore:         ignoreFile(dir, dockerfilePath),
		repo:           "lockbisect/" + cmp.Or(sanitize(name), "project"),
		runID:          cmp.Or(sanitize(runID), "run"),
		keep:           opts.Keep,
		tempDir:        opts.TempDir,
		log:            log,
		labels: map[string]string{
			LabelTool:    toolName,
			LabelRun:     runID,
			LabelPID:     strconv.Itoa(os.Getpid()),
			LabelStart:   startLabel(),
			LabelHost:    hostname(),
			LabelCreated: strconv.FormatInt(time.Now().Unix(), 10),
		},
		builds:     map[string]*sync.Mutex{},
		builder:    builder,
		buildSlots: make(chan struct{}, cfg.BuildParallel),
	}
	removed, err := sweep(ctx, cli, sweepOptions{})
	for _, o := range removed {
		log.Info("removed what a dead run left", "object", o)
	}
	if err != nil {
		log.Warn("could not remove everything dead runs left (bisect clean retries)", "err", err)
	}
	r.netName = "lockbisect-" + r.runID
	n, err := cli.NetworkCreate(ctx, r.netName, network.CreateOptions{Driver: "bridge", Labels: r.labels})
	if err != nil {
		cli.Close()
		return nil, fmt.Errorf("create network %s: %w", r.netName, err)
	}
	r.netID = n.ID
	log.Debug("docker runner ready", "engine", cli.DaemonHost(), "api", cli.ClientVersion(), "builder", builderName(builder), "builds", cfg.BuildParallel, "network", r.netName, "images", r.repo)
	return r, nil
}

// Close removes the run's network and any container of the run still
// there (unless Options.Keep), and closes the client. It works even when
// ctx is already cancelled (after Ctrl-C), within a bounded time.
func (r *Runner) Close(ctx context.Context) error {
	ctx, cancel := cleanupContext(ctx)
	defer cancel()
	defer r.cli.Close()
	if r.keep {
		return nil
	}
	var errs []error
	if err := r.removeRunContainers(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := r.cli.NetworkRemove(ctx, r.netID); err != nil && !cerrdefs.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("remove network %s: %w", r.netName, err))
	}
	return errors.Join(errs...)
}

// Start builds the candidate's image, or reuses the image already tagged
// for the same build inputs, and runs it until it answers ready.path. A
// candidate whose image does not build, whose container exits or never
// gets ready is untestable (runners.ErrUntestable, with the output's tail).
func (r *Runner) Start(ctx context.Context, p runners.Request) (*runners.Instance, error) {
	img, err := r.Image(ctx, p)
	if err != nil {
		return nil, err
	}
	logs := p.Logs
	if logs == nil {
		logs = io.Discard
	}
	hash, tag := p.Candidate.Hash(), img.Tag
	inst := &runners.Instance{
		Host:         "127.0.0.1",
		Cached:       img.Cached,
		BuildSeconds: img.Seconds,
		Stop:         func(context.Context) error { return nil },
	}
	if r.cfg.Port == 0 {
		// Nothing is served: the image is built and the exec oracle alone
		// decides, on this host.
		inst.Env, err = runners.Environ(r.cfg.Env, runners.Vars{Host: "127.0.0.1"})
		if err != nil {
			return nil, fmt.Errorf("%w: runner.env: %w", runners.ErrSetup, err)
		}
	} else if err := r.run(ctx, tag, hash, logs, inst); err != nil {
		return nil, err
	}
	if err := r.WorkDir(ctx, p, img, inst); err != nil {
		return nil, err
	}
	return inst, nil
}

// buildContext is what a build sends, read once per probe.
type buildContext struct {
	tag        string
	entries    []entry
	files      map[string][]byte // the candidate's files, by clean slash path
	dockerfile []byte
}

// prepareContext reads the project and returns the image tag of the
// candidate: a digest of everything the build reads (the context bytes,
// which hold the candidate's files, the Dockerfile and the build
// arguments), so that a changed source never reuses a stale image and an
// unchanged candidate always does.
func (r *Runner) prepareContext(files map[string][]byte) (*buildContext, error) {
	entries, err := contextEntries(r.dir, r.ignore, r.dockerfile)
	if err != nil {
		return nil, err
	}
	df, err := os.ReadFile(r.dockerfilePath)
	if err != nil {
		return nil, fmt.Errorf("runner.dockerfile: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "dockerfile\x00%d\x00", len(df))
	h.Write(df)
	for _, k := range sortedKeys(r.cfg.BuildArgs) {
		fmt.Fprintf(h, "arg\x00%s\x00%s\x00", k, r.cfg.BuildArgs[k])
	}
	if err := writeContext(h, r.dir, entries, files); err != nil {
		return nil, err
	}
	return &buildContext{
		tag:        r.repo + ":" + hex.EncodeToString(h.Sum(nil))[:24],
		entries:    entries,
		files:      files,
		dockerfile: df,
	}, nil
}

func (r *Runner) buildLock(tag string) *sync.Mutex {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.builds[tag]
	if !ok {
		m = &sync.Mutex{}
		r.builds[tag] = m
	}
	return m
}

func (r *Runner) imageExists(ctx context.Context, tag string) (bool, error) {
	_, err := r.cli.ImageInspect(ctx, tag)
	if err == nil {
		return true, nil
	}
	if cerrdefs.IsNotFound(err) {
		return false, nil
	}
	return false, fmt.Errorf("inspect image %s: %w", tag, err)
}

// engineCPUs is the default of runner.build_parallel: as many builds at a
// time as the engine has CPUs. BenchmarkParallelBuilds measured two builds
// at a time on a 2-CPU engine as fast as one after the other or faster
// (their steps' waits overlap); more than the CPUs only share them.
func engineCPUs(ctx context.Context, cli *client.Client) (int, error) {
	info, err := cli.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("docker engine info: %w", err)
	}
	return max(info.NCPU, 1), nil
}

// buildInSlot waits for one of the runner.build_parallel build slots, then
// builds.
func (r *Runner) buildInSlot(ctx context.Context, bc *buildContext, hash string, p runners.Request, logs io.Writer) error {
	select {
	case r.buildSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.buildSlots }()
	return r.build(ctx, bc, hash, p, logs)
}

// build validates the candidate (when the probe asks) and builds its image.
// Validation is skipped for a cached image: the same bytes passed it before.
func (r *Runner) build(ctx context.Context, bc *buildContext, hash string, p runners.Request, logs io.Writer) error {
	if p.Validate != nil {
		if err := r.validate(ctx, bc, p.Validate); err != nil {
			return err
		}
	}
	overlay := maps.Clone(bc.files)
	entries := bc.entries
	opts := buildOptions(bc.tag, sentDockerfile, r.cfg.BuildArgs, r.builder)
	if r.builder == build.BuilderBuildKit {
		// BuildKit reads a context sent as the request body as it is: the
		// daemon applies no ignore file to it (the project's patterns were
		// applied here already, so its .dockerignore goes), and it reads
		// the Dockerfile from it. A Dockerfile in the project is sent
		// where it is, unchanged; one from outside goes in under
		// sentDockerfile, where a COPY of the whole context sees it (the
		// same bytes for every candidate: no cache is lost). Labels are
		// build options, which cost BuildKit no step.
		entries = slices.DeleteFunc(slices.Clone(entries), func(e entry) bool { return e.rel == ".dockerignore" })
		opts.Dockerfile = cmp.Or(r.dockerfile, sentDockerfile)
		overlay[opts.Dockerfile] = bc.dockerfile
		opts.Labels = r.objectLabels(hash)
	} else {
		// The labels go into the Dockerfile that is sent, as one LABEL
		// step: the classic builder turns each label of the build options
		// into a step of its own, and each step costs a container commit.
		// It is sent under its own name and the .dockerignore that is sent
		// names it, so that the daemon drops it before COPY sees the
		// context (what the docker CLI does for a Dockerfile outside the
		// context); the project's own ignore patterns were applied here
		// already.
		overlay[sentDockerfile] = labelled(bc.dockerfile, r.objectLabels(hash))
		overlay[".dockerignore"] = []byte(sentDockerfile + "\n.dockerignore\n")
	}
	pr, pw := io.Pipe()
	written := make(chan struct{})
	go func() {
		defer close(written)
		pw.CloseWithError(writeContext(pw, r.dir, entries, overlay))
	}()
	defer func() {
		pr.Close()
		<-written
	}()
	r.log.Info("building image", "tag", bc.tag, "candidate", short(hash))
	begin := time.Now()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, r.cfg.BuildTimeout)
	defer cancel()
	resp, err := r.cli.ImageBuild(ctx, pr, opts)
	if err != nil {
		return fmt.Errorf("build image %s: %w", bc.tag, err)
	}
	defer resp.Body.Close()
	last, steps, err := decodeBuild(resp.Body, logs)
	r.timed(hash, "build", begin)
	for _, s := range steps {
		attrs := []any{"candidate", short(hash), "phase", "step", "step", s.Name, "seconds", s.Seconds, "cached", s.Cached}
		if !s.Started.IsZero() {
			// When it started, from the build request (the engine's clock
			// against the runner's: the same clock on a local engine).
			attrs = append(attrs, "after", s.Started.Sub(begin).Seconds())
		}
		r.log.Debug("timing", attrs...)
	}
	if err != nil && last != "" {
		r.removeUntagged(ctx, last)
	}
	var be *buildError
	if errors.As(err, &be) {
		return fmt.Errorf("%w: %w: build of candidate %s with %s: %w", runners.ErrUntestable, runners.ErrBuild, short(hash), r.cfg.Dockerfile, err)
	}
	if err != nil {
		if parent.Err() != nil {
			return parent.Err()
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w: build of candidate %s did not finish within runner.build_timeout %s", runners.ErrUntestable, short(hash), r.cfg.BuildTimeout)
		}
		return fmt.Errorf("build image %s: %w", bc.tag, err)
	}
	return nil
}

// removeUntagged removes what a failed or interrupted build left: its last
// committed step and the untagged steps below it that nothing else uses.
// Steps a tagged image is built on stay (the engine refuses, as a
// conflict), since they are the cache of other candidates. After an
// interruption the engine may still be removing the step's container, which
// holds the image: that is waited for, briefly.
func (r *Runner) removeUntagged(ctx context.Context, id string) {
	ctx, cancel := cleanupContext(ctx)
	defer cancel()
	info, err := r.cli.ImageInspect(ctx, id)
	if err != nil || len(info.RepoTags) > 0 {
		return
	}
	unused := false // no container used it after a conflict
	for attempt := 0; ; attempt++ {
		_, err := r.cli.ImageRemove(ctx, id, image.RemoveOptions{PruneChildren: true})
		if err == nil || cerrdefs.IsNotFound(err) {
			return
		}
		if !cerrdefs.IsConflict(err) {
			r.log.Warn("could not remove the image a failed build left", "image", id, "err", err)
			return
		}
		users, lerr := r.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("ancestor", id))})
		if lerr != nil || attempt == 50 {
			return
		}
		if len(users) == 0 {
			// The container may have gone between the two calls: one more
			// try; a second conflict is a child image's.
			if unused {
				return
			}
			unused = true
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (r *Runner) validate(ctx context.Context, bc *buildContext, validate func(context.Context, string) error) error {
	dir, err := r.writeOut(bc, "lockbisect-validate-*")
	if err != nil {
		return fmt.Errorf("%w: validate: %w", runners.ErrSetup, err)
	}
	defer os.RemoveAll(dir)
	if err := validate(ctx, dir); err != nil {
		return fmt.Errorf("%w: %w", runners.ErrUntestable, err)
	}
	return nil
}

// writeOut writes what a build context holds (the project, ignore
// file applied, with the candidate's files) into a new directory of the
// run's temporary directory, named by pattern, and returns it.
func (r *Runner) writeOut(bc *buildContext, pattern string) (string, error) {
	dir, err := os.MkdirTemp(r.tempDir, pattern)
	if err != nil {
		return "", err
	}
	if err := copyContext(dir, r.dir, bc.entries, bc.files); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("copy project to %s: %w", dir, err)
	}
	return dir, nil
}

// sentDockerfile is the context name of the Dockerfile a build reads: the
// project's, with the labels added.
const sentDockerfile = ".lockbisect.Dockerfile"

// labelled appends one LABEL instruction with the labels to a Dockerfile,
// and marks every stage with the tool's label right after its FROM: the
// step images a killed build leaves behind then carry it, so that `bisect
// clean` finds them, and the label, the same in every run, costs the layer
// cache nothing.
func labelled(dockerfile []byte, labels map[string]string) []byte {
	var b bytes.Buffer
	continued := false // the line goes on an instruction of the lines before
	for _, line := range bytes.SplitAfter(dockerfile, []byte("\n")) {
		b.Write(line)
		t := bytes.TrimSpace(line)
		from := !continued && len(t) > 5 && bytes.EqualFold(t[:5], []byte("FROM "))
		continued = bytes.HasSuffix(t, []byte("\\"))
		if from && !continued {
			if !bytes.HasSuffix(line, []byte("\n")) {
				b.WriteByte('\n')
			}
			fmt.Fprintf(&b, "LABEL %s=%s\n", LabelTool, strconv.Quote(toolName))
		}
	}
	b.WriteString("\nLABEL")
	for _, k := range sortedKeys(labels) {
		fmt.Fprintf(&b, " %s=%s", k, strconv.Quote(labels[k]))
	}
	b.WriteString("\n")
	return b.Bytes()
}

// locateDockerfile resolves runner.dockerfile against the project: its
// path, and its name inside the context ("" when it lives outside the
// project, such as ../Dockerfile beside a project subdirectory).
func locateDockerfile(dir, name string) (file, inContext string, err error) {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, name)
	}
	info, err := os.Stat(p)
	if err != nil {
		return "", "", fmt.Errorf("runner.dockerfile: %w", err)
	}
	if info.IsDir() {
		return "", "", fmt.Errorf("runner.dockerfile: %s is a directory", p)
	}
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p, "", nil
	}
	return p, filepath.ToSlash(rel), nil
}

func buildOptions(tag, dockerfile string, buildArgs map[string]string, builder build.BuilderVersion) build.ImageBuildOptions {
	args := make(map[string]*string, len(buildArgs))
	for k, v := range buildArgs {
		args[k] = &v
	}
	return build.ImageBuildOptions{
		Tags:        []string{tag},
		Dockerfile:  dockerfile,
		BuildArgs:   args,
		Remove:      true,
		ForceRemove: true,
		// BuildKit without a session reads the context from the request
		// body, and without a "# syntax=" line uses the engine's own
		// Dockerfile frontend: nothing is pulled.
		Version: builder,
	}
}

// objectLabels are the run's labels plus the candidate's hash.
func (r *Runner) objectLabels(hash string) map[string]string {
	l := make(map[string]string, len(r.labels)+1)
	for k, v := range r.labels {
		l[k] = v
	}
	l[LabelCandidate] = hash
	return l
}

// timed logs how long a phase of a candidate's probe took, from since to
// now, as a debug event "timing": "context" (reading the project and
// hashing the build input), "inspect" (looking its tag up), "build" (the
// engine's build, whose BuildKit steps follow as phase "step"), "create",
// "start", "port", "ready" (until ready.path answered) and "remove" of
// the container. BenchmarkCandidates adds them up per phase; `bisect run
// -v` shows them.
func (r *Runner) timed(hash, phase string, since time.Time) {
	r.log.Debug("timing", "candidate", short(hash), "phase", phase, "seconds", time.Since(since).Seconds())
}

// cleanupContext bounds cleanup that must happen even after the caller's
// context was cancelled.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}

func newRunID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return time.Now().UTC().Format("20060102t150405") + "-" + hex.EncodeToString(b)
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_.-]+`)

// sanitize makes s usable in container and network names and as an image
// repository path component; it may return "".
func sanitize(s string) string {
	s = unsafeName.ReplaceAllString(strings.ToLower(s), "-")
	s = repeatedSeparators.ReplaceAllString(s, "-")
	return strings.Trim(s, "-._")
}

var repeatedSeparators = regexp.MustCompile(`[._-]{2,}`)

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
