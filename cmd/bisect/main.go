// Command bisect finds which dependency change between two lock files broke
// a server. See the package documentation of doc.go for usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(exitCode(newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx), os.Stderr))
}
