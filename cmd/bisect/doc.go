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
// markdown report for an issue.
//
// # Usage
//
//	bisect diff   --lock-old A --lock-new B [--repo DIR] [--config FILE] [--json]
//	bisect run    --lock-old A --lock-new B [--config FILE] [--parallel N] [--repeat N]
//	              [--resume JOURNAL] [--report-md FILE] [--report-json FILE] [--keep]
//	              [--drill none|release|commit] [--repo-map PACKAGE=URL] [--dry-run]
//	              [--build-failure untestable|bad]
//	bisect oracle --url URL [--config FILE] [--profile PROFILE[,PROFILE…]|all] [--json]
//	bisect clean  [--all] [--older-than DURATION]
//	bisect version | completion bash|zsh|fish
//
// A lock reference is a path (composer.lock, go.mod; the sibling
// composer.json or go.sum is read too) or REV:PATH read through git from
// --repo. --build-failure bad counts a candidate whose build fails as bad
// (to bisect a compile or install failure); the default, untestable, goes
// around it. The config file is YAML (config.example.yaml documents every
// key); BISECT_<KEY> environment variables override it and flags override
// both. -q prints only results, -v debug events.
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
