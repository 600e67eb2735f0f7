// Bisect finds which dependency change between two lock files broke a
// server.
//
// It diffs two lock files (composer.lock, or go.mod/go.sum) per package,
// groups the changes that must move together, builds the server with
// subsets of them rolled back (processes on this host, or images through
// the Docker Engine API), judges each candidate with an oracle (an MCP
// Streamable-HTTP + OAuth 2.1 handshake, declarative HTTP steps, or any
// command), searches to the smallest set of package changes that makes it
// fail, drills down to the upstream release and commit, and writes a
// markdown report for an issue. It runs on Unix systems only (process
// groups, /proc).
//
// # Usage
//
//	bisect diff   --lock-old A --lock-new B [--repo DIR] [--config FILE] [--json]
//	bisect run    --lock-old A --lock-new B [--config FILE] [--parallel N] [--repeat N]
//	              [--resume JOURNAL] [--report-md FILE] [--report-json FILE] [--keep]
//	              [--drill none|release|commit] [--repo-map PACKAGE=URL] [--dry-run]
//	              [--build-failure untestable|bad] [--source REV|worktree]
//	bisect oracle [--url URL] [--config FILE] [--dir DIR] [--profile PROFILE[,PROFILE…]|all] [--json]
//	bisect report --journal FILE [--report-md FILE] [--report-json FILE]
//	bisect clean  [--all] [--runs] [--older-than DURATION]
//	bisect version | completion bash|zsh|fish
//
// A lock reference is a path (composer.lock, go.mod; the sibling
// composer.json or go.sum is read too) or REV:PATH read through git from
// --repo. bisect run builds the project from one tree, its source: with
// a REV:PATH --lock-new that revision's tree, written out for the run
// (the work tree and the index are never touched, and uncommitted changes
// are left out, with a note), else the files on disk; --source picks
// another revision, or worktree for the files on disk. The config's
// project: names a directory of that tree. The config file is YAML (config.example.yaml documents every
// key); BISECT_<KEY> environment variables override it and flags override
// both. The contract (commands, config keys, JSON, exit codes) is
// docs/contracts.md.
//
// # Flags
//
// Every command:
//
//	--config FILE      the YAML config file
//	-q, --quiet        print only results and errors
//	-v, --verbose      print debug events
//
// bisect diff:
//
//	--lock-old REF     the old lock: a path or REV:PATH (required)
//	--lock-new REF     the new lock: a path or REV:PATH (required)
//	--repo DIR         the git repository for REV:PATH references (default .)
//	--json             print the diff as JSON
//
// bisect run:
//
//	--lock-old REF     the old lock: a path or REV:PATH (required)
//	--lock-new REF     the new lock: a path or REV:PATH (required)
//	--repo DIR         the git repository for REV:PATH references (default .)
//	--parallel N       probes built and judged at once (default 1; search.parallel)
//	--repeat N         oracle runs per probe, for flaky servers (default 1; search.repeat)
//	--resume JOURNAL   continue an interrupted run from its journal
//	--report-md FILE   write the markdown report (report.markdown)
//	--report-json FILE write the JSON report (report.json)
//	--keep             keep the candidates' work directories
//	--drill MODE       after a single-package culprit: none, release or commit
//	                   (default commit; search.drill)
//	--repo-map P=URL   the upstream repository of package P for the drill-down
//	                   (repeatable)
//	--dry-run          load, diff and couple only; print the units and the
//	                   expected number of probes
//	--build-failure K  what a candidate whose build fails counts as: untestable
//	                   (the default: the search goes around it) or bad (to
//	                   bisect a compile or install failure; search.build_failure)
//	--source SRC       where the project's files come from: a revision of
//	                   --repo (its tree is written out for the run) or
//	                   worktree (the files on disk, uncommitted changes
//	                   included); default the revision of a REV:PATH
//	                   --lock-new, else the work tree
//
// bisect oracle:
//
//	--url URL          the running server's URL, to which oracle.path is
//	                   joined (required unless oracle.kind is exec)
//	--dir DIR          exec: where the command runs (default the config's
//	                   project, else the current directory)
//	--profile LIST     mcp: client profiles, comma-separated: spec, claude,
//	                   gemini, openai, cursor, vscode, or all (default spec)
//	--json             print {"verdict", "checks"} as JSON
//
// bisect report:
//
//	--journal FILE     the journal of a finished run, whose last line is its
//	                   report; the reports are written again from it
//	--report-md FILE   write the markdown report here
//	--report-json FILE write the JSON report here
//
// bisect clean:
//
//	--all              also remove the cached candidate images and kept work
//	                   directories
//	--runs             also remove the run directories (journals and logs)
//	                   of runs no longer in progress, each listed with its size
//	--older-than D     only what was created longer ago than D (such as 24h);
//	                   0 = any age
//
// # Exit codes
//
// bisect run: 0 culprit, 1 error (before the first probe where it can be
// found: config, templates, project, directories, docker engine and base
// images, report paths) or a lock that could not be judged (verdict
// old-untestable or new-untestable), 2 not reproduced (the new lock passes),
// 3 the old lock fails too, 4 flaky, 5 no changes, 130 interrupted (resume
// with --resume and the journal the run named). bisect oracle: 0 no fatal
// check failed, 1 one did, 2 it could not run. Other commands: 0, or 1 on
// error.
//
// # Example
//
//	bisect run --config examples/go-mcp/bisect.yaml \
//	    --lock-old examples/go-mcp/old/go.mod --lock-new examples/go-mcp/server/go.mod \
//	    --report-md report.md
package main
