// Package docker is the runner that turns a candidate into an image built
// from the project's own Dockerfile and a container the oracle talks to,
// through the Docker Engine API (runner.kind: docker).
//
// # Configuration
//
//	runner:
//	  kind: docker
//	  dockerfile: Dockerfile     # relative to the project, may be outside it; "" = Dockerfile
//	  port: 8080                 # container port, published on 127.0.0.1 only; 0 = only build (exec oracle)
//	  env: {PORT: "{{.Port}}"}   # container env; {{.Port}} is the container port, {{.Host}} 0.0.0.0
//	  start: ""                  # optional: overrides the image's CMD, run with /bin/sh -c
//	  ready: {path: /healthz, timeout: 60s}
//	  build_args: {APP_ENV: prod}
//	  memory: 512m               # optional limits
//	  cpus: 1.5
//	  builder: auto              # auto | buildkit | classic
//	  build_parallel: 0          # image builds at a time; 0 = the engine's CPUs
//
// The engine is the one the environment names (DOCKER_HOST,
// DOCKER_TLS_VERIFY, DOCKER_CERT_PATH; else the local socket); the API
// version is negotiated, so old engines (API 1.41) work.
//
// # What a probe does
//
// Build: the project directory becomes a tar build context, honouring the
// ignore file (the Dockerfile's own <Dockerfile>.dockerignore if there is
// one, else the project's .dockerignore), with the candidate's lock files
// written in. Headers are normalised (owner root, a fixed mtime, permission
// bits kept) so that identical candidates give identical bytes and hit the
// builder's layer cache: a Dockerfile that copies the lock files and
// installs dependencies before copying the source rebuilds only from the
// first layer whose inputs changed. The Dockerfile may live outside the
// project (dockerfile: ../Dockerfile); it is sent with the context, as the
// docker CLI does.
//
// Builder (runner.builder): BuildKit by default (auto: where the engine's
// ping names it, or on any Linux engine of API 1.39 or later, which has it
// built in), else the classic builder. BuildKit goes through the same
// Engine API call (POST /build?version=2) with the context as the request
// body: no session, and without a "# syntax=" line the daemon's own
// Dockerfile frontend, so nothing is pulled. It commits no layer per step,
// runs independent steps at once, and keeps RUN --mount=type=cache
// directories between builds (the Go module and build caches, composer's
// cache: see the examples' Dockerfiles), which the classic builder cannot
// parse: Preflight and New refuse such a Dockerfile with runner.builder:
// classic. Its progress comes as trace messages (protobuf StatusResponse
// of BuildKit's control API, read with protowire), rendered to Probe.Logs
// as the docker CLI's plain progress ("#4 [3/5] RUN go mod download",
// "#4 CACHED", the step's output, "#4 DONE"); a failed build's error
// quotes the failing step and its own last lines. BuildKit applies no
// ignore file to a context sent this way: the runner applies the
// project's, drops the .dockerignore itself, and sends the Dockerfile
// unchanged where it is (one from outside the project goes in as
// .lockbisect.Dockerfile, where COPY . sees it). The labels are build
// options. On the classic builder the labels are appended to the
// Dockerfile that is sent as a single LABEL instruction (given as build
// options, each label would cost a builder step of its own); that copy
// never reaches COPY instructions.
//
// Builds at a time (runner.build_parallel; 0, the default, is the
// engine's CPU count): probes beyond it wait for a build slot, and their
// containers run in parallel. BenchmarkParallelBuilds measured two builds
// at a time on a 2-CPU engine as fast as one after the other or faster.
//
// Cache: the image is tagged lockbisect/<project>:<key>, where key is a
// digest of the context bytes, the Dockerfile and the build arguments;
// not of the builder, since both make the same files from the same input
// (a Dockerfile with cache mounts builds on BuildKit only). A tag that exists is reused (Instance.Cached, nothing built,
// Probe.Validate skipped: the same bytes passed it before), so a repeated
// or resumed run builds nothing it built already, and a changed source
// never reuses a stale image. Images carry the candidate's hash in the
// org.lockbisect.candidate label.
//
// Run: one container per probe on the run's own bridge network, the
// container port published on 127.0.0.1 with a port the engine picks (so
// parallel probes never collide), never privileged, with the optional
// memory and CPU limits. The runner polls GET ready.path on the published
// port until it answers 2xx or 3xx; a container that exits first, or a
// timeout, makes the probe untestable with the server's last output. The
// container's stdout and stderr, demultiplexed, go to Probe.Logs together
// with the build output. Instance.Stop force-removes the container.
//
// Time: every phase of a probe is a debug event "timing" (reading and
// hashing the context, looking the tag up, the build and each of
// BuildKit's steps and parts of steps with the engine's own times, the
// container's create, start, port, ready and remove), so that `bisect run
// -v` shows where a candidate's time went. BenchmarkCandidates adds them
// up per candidate; BenchmarkFloor measures the engine's floor.
//
// Untestable (runners.ErrUntestable): a build the Dockerfile makes fail
// (the error quotes the build's last lines, and wraps runners.ErrBuild), a
// build that outlives runner.build_timeout (10m), a Probe.Validate error, a
// container that cannot start, exits or never gets ready. What the tool
// itself cannot do (read the project or the Dockerfile, render runner.env,
// make or fill its validation directory) wraps runners.ErrSetup: the run
// stops. Anything else (the engine unreachable, a broken stream) is an
// infrastructure error, retried.
//
// # Labels and cleaning up
//
// Every image, container and network carries org.lockbisect.tool=bisect,
// org.lockbisect.run (run id), org.lockbisect.candidate (images and
// containers), org.lockbisect.pid, org.lockbisect.start and
// org.lockbisect.host (the bisect process that made it: its pid, its start
// time, so that a later process with the same pid is not taken for it, and
// its host) and org.lockbisect.created (unix seconds). (*Runner).Close
// removes the run's leftover containers and its network; images stay as
// the cache. New first sweeps what dead runs (their process no longer
// exists on this host) left: containers, networks and dangling images,
// which is what a SIGKILLed run leaves. Clean, behind `bisect clean
// [--all] [--older-than DURATION]`, does the same on demand, and with All
// removes the cached images too. BuildKit leaves no step images or step
// containers, and its build cache (layers, cache mounts) is not the tool's
// to prune: the cache mounts are keyed by their target and shared with
// every build on the engine (docker builder prune removes it). The steps
// of a classic build (step images, the containers of RUN steps) carry only
// the tool's label, so they cannot be
// told from those of a build in progress: they are swept only when no run
// of the tool is alive on this host. Nothing of a live run is touched.
//
// Base images cannot be pulled where no registry is reachable;
// scripts/images.sh makes lockbisect/go:<version> and
// lockbisect/php:bookworm locally with docker import.
package docker
