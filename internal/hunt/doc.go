// Package hunt joins the parts of a bisect run: it loads and couples the two
// locks (manifests), turns each set of applied units the search asks for
// (bisect) into a candidate, starts it with the configured runner (runners),
// judges it with the configured oracle (oracles), and turns the search's
// result into a report (reports).
//
// The run directory (journal.jsonl and one log per candidate) lives under
// the user's cache directory, never in the project: the user's checkout is
// never written.
package hunt
