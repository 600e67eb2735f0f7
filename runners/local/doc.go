// Package local runs candidates as processes on this host; it is the
// default runner of bisect and needs no daemon.
//
// # What one probe does
//
// Start takes a candidate (its lock files) and returns a running server:
//
//  1. The project directory is copied into a fresh work directory in this
//     process's directory below the root (Options.TempDir, by default
//     $TMPDIR/lockbisect-local-<uid>; see Root and "What a killed run leaves"). The
//     top-level .git, vendor and node_modules are left out (the build
//     installs dependencies afresh from the candidate's lock), as is every
//     nested .git. File modes and symbolic links are kept; links keep their
//     targets as written. The user's directory is only ever read.
//  2. The candidate's files are written over the copy.
//  3. A free port on 127.0.0.1 is picked, and runner.env, runner.build and
//     runner.start are rendered as templates with runners.Vars:
//     {{.Port}}, {{.Host}} (127.0.0.1) and {{.Dir}} (the work directory).
//  4. Probe.Validate, when set, checks the prepared directory (the go
//     command's view of a go.mod candidate, for instance).
//  5. Each runner.build command runs with sh -c in the work directory, in
//     the environment of bisect plus the rendered runner.env, its output
//     going to Probe.Logs, for at most runner.build_timeout (10m).
//  6. When runner.start is empty nothing is served: the Instance has a Dir
//     and no BaseURL, and the exec oracle alone decides. Otherwise the start
//     command runs with sh -c as the leader of its own process group, and
//     Start waits until GET http://127.0.0.1:PORT{runner.ready.path}
//     answers 2xx or 3xx (redirects are not followed), polling with a
//     growing pause, for at most runner.ready.timeout. The server must stay
//     in the foreground: when the start command ends, the server is taken
//     to have exited.
//
// # Outcomes
//
// A candidate that cannot be validated, built or started is untestable:
// the error wraps runners.ErrUntestable and carries the last 20 lines of
// the failing command's output; a build command that ran and failed also
// wraps runners.ErrBuild (search.build_failure: bad counts it as bad), one
// that outlived runner.build_timeout does not (a hang is not a failure).
// Errors that are not the candidate's doing do not wrap ErrUntestable: a
// config template that does not render or a work directory that cannot be
// made or filled wrap runners.ErrSetup (the caller stops: retrying cannot
// help); the port taken by another process between picking and listening,
// or a cancelled context, are plain errors the caller retries or ends on.
//
// Whatever Start created (processes, the work directory) is gone when it
// returns an error. Cancelling its context kills the running build
// command's whole process group.
//
// # Stopping
//
// Instance.Stop sends SIGTERM to the server's process group, SIGKILL to
// whatever still runs after runner.stop (5s by default), waits for it, and
// removes the work directory, read-only files and all, unless
// Options.Keep is set, in which case the directory's path is logged. Stop
// runs once (later calls return its first result) and cleans up fully
// even when its context is already cancelled.
//
// Processes that outlive their group's leader are re-parented; when bisect
// is their reaper (PID 1 in a container, or a child subreaper, which bisect
// makes itself) Stop reaps them, and in any case a group whose processes
// are all zombies counts as gone. Every process of a probe carries
// BISECT_PROBE=<owner>/<work directory> in its environment (ProbeEnv),
// which runner.env cannot override and every descendant inherits: Stop
// also kills what left the process group (a daemon that called setsid, an
// oracle's background child).
//
// # What a killed run leaves
//
// A Runner's work directories live in a directory named for the bisect
// process (pid and start time) with an owner record. When bisect dies
// without stopping (SIGKILL, a crash), the first Start of the next run, and
// `bisect clean`, find the owners that no longer run (Sweep), kill the
// processes carrying their mark and remove their directories; directories
// kept with Options.Keep only go with `bisect clean --all`. Close removes
// the runner's own directory at the end of a run. A caller that keeps
// other files of the run there too (bisect run writes the source tree and
// the ecosystems' temporary files into it) makes it with Own and passes it
// as Options.Owned, and removes it itself.
//
// # Parallel probes
//
// A Runner is safe for concurrent use. Every Start has its own work
// directory and port, so probes can run side by side; they share the
// machine's build caches (GOCACHE, composer's cache), which the go command
// and composer lock themselves.
//
// # Example
//
//	r := local.New(cfg.Runner, "./server", local.Options{Logger: log})
//	inst, err := r.Start(ctx, runners.Request{Candidate: c, Logs: logFile})
//	if errors.Is(err, runners.ErrUntestable) {
//		// the candidate does not build or start: neither good nor bad
//	}
//	defer inst.Stop(ctx)
package local
