//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() { os.Exit(run()) }

// run executes the command line and returns the exit code. Ctrl-C, SIGTERM
// and a closed terminal (SIGHUP) cancel the run, which then stops what it
// started and removes what it made.
func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := becomeSubreaper(); err != nil {
		fmt.Fprintln(os.Stderr, "bisect: become the reaper of the probes' processes:", err)
		return exitError
	}
	return exitCode(newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx), os.Stderr)
}
