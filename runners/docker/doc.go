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
// docker CLI does. The build runs on the engine's classic builder (BuildKit
// would need a session and may pull its frontend). The labels are appended
// to the Dockerfile that is sent as a single LABEL instruction (given as
// build options, each label would cost a builder step of its own); that
// copy never reaches COPY instructions.
//
// Cache: the image is tagged lockbisect/<project>:<key>, where key is a
// digest of the context bytes, the Dockerfile name and the build
// arguments. A tag that exists is reused (Instance.Cached, nothing built,
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
// removes the cached images too. The steps of a build (step images, the
// containers of RUN steps) carry only the tool's label, so they cannot be
// told from those of a build in progress: they are swept only when no run
// of the tool is alive on this host. Nothing of a live run is touched.
//
// Base images cannot be pulled where no registry is reachable;
// scripts/images.sh makes lockbisect/go:<version> and
// lockbisect/php:bookworm locally with docker import.
package docker
