package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/lockbisect/lockbisect/bisect"
	"github.com/lockbisect/lockbisect/internal/hunt"
	"github.com/lockbisect/lockbisect/internal/quote"
)

// Exit codes: every one the tool uses, in this one place (the contract in
// docs/contracts.md). A run's verdict maps to its code through verdictCode
// (below); everything else is 1, cancellation 130.
const (
	exitOK            = 0
	exitError         = 1
	exitNotReproduced = 2
	exitOldFails      = 3
	exitFlaky         = 4
	exitNoChanges     = 5
	exitCancelled     = 130

	// bisect oracle: 0 pass, 1 a fatal check failed, 2 the oracle could
	// not run.
	exitCheckFailed = 1
	exitCannotRun   = 2
)

// exitError carries an exit code for an outcome that is not a failure of the
// tool (a verdict, a failing oracle check). Its message, if any, has already
// been printed.
type codeError struct {
	code int
	msg  string
}

func (e *codeError) Error() string { return e.msg }

// exitCode prints err for the user and maps it to the process exit code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ce *codeError
	if errors.As(err, &ce) {
		if ce.msg != "" {
			fmt.Fprintln(stderr, "bisect:", ce.msg)
		}
		return ce.code
	}
	code := exitError
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "bisect: interrupted")
		code = exitCancelled
	} else {
		fmt.Fprintln(stderr, "bisect:", err)
	}
	var stopped *hunt.Stopped
	if errors.As(err, &stopped) {
		fmt.Fprintln(stderr, "bisect: the journal keeps the probes so far; continue with --resume", quote.Arg(stopped.Journal))
	}
	return code
}

// verdictCode is the exit code of a run's verdict.
func verdictCode(v string) int {
	switch bisect.Verdict(v) {
	case bisect.Culprit:
		return exitOK
	case bisect.NotReproduced:
		return exitNotReproduced
	case bisect.OldFails:
		return exitOldFails
	case bisect.Flaky:
		return exitFlaky
	case bisect.NoChanges:
		return exitNoChanges
	}
	// old-untestable, new-untestable: a baseline could not be judged, which
	// is no answer about the diff.
	return exitError
}
