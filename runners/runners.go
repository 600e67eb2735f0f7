package runners

import (
	"context"
	"errors"
	"io"

	"github.com/lockbisect/lockbisect/manifests"
)

// ErrUntestable wraps every error that means the candidate itself could not
// be built or started (the probe is untestable, never bad). Other errors are
// infrastructure trouble and are retried.
var ErrUntestable = errors.New("untestable")

// ErrBuild wraps, besides ErrUntestable, a build command (or image build)
// that ran and failed: with search.build_failure: bad the caller counts it
// as bad, so that a compile or install failure can be bisected. A build
// that timed out is not a failure of the build and does not carry it.
var ErrBuild = errors.New("build failed")

// ErrSetup wraps an error that means the tool could not even try: a
// template in the config that does not render, its own work directory that
// cannot be made or filled. Retrying is pointless and no outcome may be
// drawn from it; the run stops.
var ErrSetup = errors.New("cannot run the candidate")

// Request is what a runner is asked to start.
type Request struct {
	Candidate *manifests.Candidate
	// Validate, if set, is called on the prepared work directory (project
	// copy with the candidate's files written) before anything is built; an
	// error makes the probe untestable.
	Validate func(ctx context.Context, dir string) error
	Logs     io.Writer // build and server output; never nil
	// WorkDir says that the oracle runs in the candidate's directory (an
	// exec oracle): a runner whose instances have no work directory on
	// this host (docker, swarm) writes the project with the candidate's
	// files into one for Instance.Dir, removed by Stop. Without it the
	// oracle would read the project on disk, which holds the new lock
	// for every candidate.
	WorkDir bool
}

// Instance is a started candidate.
type Instance struct {
	BaseURL      string   // http://127.0.0.1:PORT; "" when nothing is served
	Host         string   // 127.0.0.1
	Port         int      // published port; 0 when nothing is served
	Dir          string   // the candidate's work directory on this host (the exec oracle runs there); "" for an image runner unless Request.WorkDir
	Env          []string // environment the oracle's commands should see
	BuildSeconds float64  // time spent building
	Cached       bool     // the build was reused (docker image tag hit)
	Node         string   // the machine that serves it (swarm: the node's host name); "" = this host
	// Intact, if set, is asked after the oracle whether the instance was
	// served undisturbed throughout (a swarm task whose node went down was
	// not): an error voids the oracle's verdict, and the probe is retried
	// as an infrastructure failure, or the run stops when the error wraps
	// ErrSetup (the cluster itself is gone).
	Intact func(ctx context.Context) error
	// Stop stops everything the instance started and removes what it
	// created (unless kept). It is safe to call more than once.
	Stop func(ctx context.Context) error
}

// Runner builds and starts candidates.
type Runner interface {
	Start(ctx context.Context, p Request) (*Instance, error)
}
