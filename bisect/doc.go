// Package bisect finds which changes break a build: given units (opaque ids
// of changes, in the order of the diff) and a trial function that judges
// a candidate with some of them applied, it returns every minimal set of units whose
// application makes the outcome bad.
//
// It knows nothing of lock files, Docker or git: a candidate is the sorted
// list of applied unit ids; the empty list is the old state (expected good),
// the full list the new state (expected bad).
//
// # Glossary
//
// One word, one meaning, in this package and every package of the tool:
//
//   - unit: a group of package changes that can only be applied together
//     (one package, or packages coupled by their requirements).
//   - candidate: the dependency state with exactly some units applied (at
//     their new version) and every other package at its old one; named by
//     its sorted list of applied unit ids.
//   - trial: one judgement of a candidate: built and started by a runner,
//     judged once by an oracle ([Trial], [Config.Trial]).
//   - probe: one candidate judged, possibly over several trials (repeat,
//     retries); it has one outcome and is one journal line ([Record]).
//   - outcome: what a probe or trial says of its candidate: good, bad,
//     untestable or error ([Outcome]).
//   - verdict: what a whole run answers: culprit, not-reproduced, old-fails
//     and so on ([Verdict]); it alone decides the exit code.
//   - request: what a runner is asked to start (runners.Request: the
//     candidate, its validation, where its logs go).
//   - result: what an oracle returns for one trial (oracles.Result): its
//     checks, each with an id, severity and status; Passed when no fatal
//     check fails.
//   - pair: the two lock files opened together, with their diff and the
//     writer of candidates (manifests.Pair).
//   - culprit: a minimal set of units whose application makes the outcome
//     bad ([Set]).
//   - kind: a runner or oracle plugin by the name runner.kind or
//     oracle.kind gives it (local, docker, swarm; mcp, http, exec), with
//     its capabilities (runners.Kind, oracles.Kind); the registries of
//     kinds, like the ecosystems, are composed in cmd/bisect alone.
//
// # Usage
//
//	res, err := bisect.Run(ctx, bisect.Config{
//		Units:    []string{"mcp/sdk", "symfony/mcp-bundle", "symfony/console"},
//		Requires: map[string][]string{"symfony/mcp-bundle": {"mcp/sdk"}},
//		Trial: func(ctx context.Context, applied []string) bisect.Trial {
//			// build the candidate, run the oracle
//			return bisect.Trial{Outcome: bisect.Bad, FailedCheck: "tools-list"}
//		},
//		Key:     candidateHash, // content hash of the candidate's files + settings
//		Repeat:  3,             // oracle runs per probe
//		Workers: 4,             // probes at once
//		Journal: journalFile,   // one JSON line per finished probe
//	})
//
// err is only cancellation, journal I/O, an invalid Config or a Trial's
// Err (the tool could not even try); the answer is res.Verdict: culprit
// (res.Culprits), not-reproduced (the new state passes), old-fails (the old
// state fails: the cause is not in this diff), old-untestable or
// new-untestable (a baseline could not be judged: nothing can be
// concluded), flaky (the oracle contradicts itself; res.Evidence holds the
// probes), or no-changes.
//
// # Outcomes
//
// A probe is good, bad or untestable (the candidate could not be built or
// started). Untestable never counts as bad. A trial that comes back Error
// (infrastructure trouble) is re-run Retries times and then counts as
// untestable. A Trial with Err set is no outcome at all: the run stops.
//
// # Closure
//
// Requires[k] lists the units that applying k needs. Every candidate handed
// to Probe is closed: the engine adds the required units (transitively). The
// search splits along a topological order (required units first, otherwise
// the diff order), so every prefix it probes is closed already. A culprit's
// Set.Requires lists the units its closure drags in; removing a culprit
// also removes everything that needs it.
//
// # Order of work
//
//  1. Baselines: the old state must be good and the new state bad, otherwise
//     the run stops with old-fails, not-reproduced, old-untestable,
//     new-untestable or flaky.
//  2. Search one 1-minimal culprit C: close(C) is bad and, for each unit u
//     of C, close(C∖{u}) is good (or, for units in Set.Untestable,
//     could not be judged).
//  3. Confirm: the culprit alone is probed (the probe that ends the search is
//     exactly that candidate), and the set without each unit is probed.
//  4. Remove the culprit and every unit that needs it; probe what remains.
//     If it is bad, search it again (step 2) for an independent culprit;
//     if it is good, stop.
//
// # The narrowing recursion
//
// With F the units found so far and L the units still in question (in
// closure order), the search keeps two invariants:
//
//   - close(F ∪ L) is bad;
//   - close(F) is not known to be bad.
//
// It finds the least p with close(F ∪ L[:p]) bad (a binary search over
// prefixes, k-ary with several workers). L[p-1] is then needed given F and
// L[:p-1] (the probe of close(F ∪ L[:p-1]) passed), so it joins F and L
// becomes L[:p-1]; both invariants hold again. When close(F) alone is bad,
// F is the culprit. This is the x/tools bisect recursion ("when both
// halves pass, find each side with the other applied") unrolled along one
// order: units that fail only together are found one after the other, each
// with the ones found before applied, so interactions of two, three or
// more units cost about one binary search each.
//
// # Untestable candidates
//
// A split point whose probe is untestable is skipped and the middle one of
// the range's remaining points is tried instead (as git bisect skip does). When every point
// of a range is untestable, the whole range joins F as a group; the
// verification step then probes the set without each member, dropping
// members whose removal still fails. What cannot be separated is reported
// honestly: the culprit lists all its units and Set.Untestable those whose
// need could not be judged ("culprit among {a, b}; b could not be built").
//
// # Flaky oracles
//
// Each probe runs the oracle Repeat times; when the runs disagree, more
// runs follow until one outcome leads the other by Repeat (at most
// 5×Repeat runs; beyond that the probe is Mixed). With Repeat above one,
// the probes a culprit rests on (the culprit alone bad, the culprit
// without each unit good), unexpected baselines and remainders, and any
// pair of probes contradicting monotonicity (a good candidate holding a bad
// one) are re-checked with fresh runs that must lead by 2×Repeat without
// counting the doubted ones. If a re-check overturns a fact the search
// starts over (memo intact), at most three times; if contradictions
// persist, or a fact stays Mixed, the verdict is flaky with the probes as
// evidence. The engine never reports a culprit its re-checked probes do
// not support. With Repeat = 1 nothing is re-checked (each candidate is
// probed exactly once) and a contradiction is reported as flaky at once.
// Measured: an oracle flipping 20% of all answers, Repeat = 3, 100 seeded
// runs: 100 right culprits, none wrong (TestFlakyOracle).
//
// # Memo, journal and resume
//
// Each candidate is named by Key (the caller's content hash). No key is
// probed twice in a run, except for the re-checks above and a probe
// cancelled as unneeded (its answer was never taken). Each finished
// probe is appended to Journal as one JSON line (a Record) and synced when
// Journal is an *os.File. The caller may write a Header first (WriteHeader)
// naming the run, so that a resume can refuse another run's journal
// (ReadHeader). ReadJournal reads such a file, skipping the header and
// dropping a last line torn by an interruption; passed as Replay, its records answer their
// keys without probing, appear in Result.Probes with Replayed set when the
// search uses them, and are not journaled again (append to the same file).
//
// # Parallel probes
//
// With W workers, the binary search probes W split points of the current
// range at once, so rounds fall from log2(n) toward log_(W+1)(n); a split
// point whose answer no longer matters (a lower one came back bad, a higher
// one good) is cancelled through its context and its answer discarded.
// Spare workers start the first split points beside the two baselines, and
// the check of the culprit alone runs beside the probe of the remainder
// that would follow it. With W = 1 the sequence of probes is deterministic for
// given outcomes. OnStart and OnProbe are called from the engine's
// goroutine, one at a time.
//
// # Cost
//
// go test ./bisect -run '^$' -bench BenchmarkSearch reports probes/op
// (including baselines, confirmations and the remainder check) and
// rounds/op over random culprit positions. With one culprit among 64
// units and one worker a search takes 10 probes (2 baselines, 6 splits,
// the culprit alone, the remainder); two units failing only together take
// about 17; four workers need 4 rounds. The ddmin variant of the benchmark
// (Zeller's delta debugging, what other dependency bisectors run) needs 11
// and 34 probes for the same cases, and one round per probe.
package bisect
