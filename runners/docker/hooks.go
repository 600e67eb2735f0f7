package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/docker/docker/client"

	"github.com/lockbisect/lockbisect/runners"
)

// What other runners that run the docker runner's images elsewhere
// (runners/swarm) share with it: the build, the labels, the liveness test
// of the sweep.

// Image is a candidate's image, built or found in the cache.
type Image struct {
	Tag     string  // lockbisect/<project>:<key>
	Cached  bool    // the tag existed: nothing was built
	Seconds float64 // time spent preparing and building

	bc *buildContext // what it was built from (WorkDir writes it out)
}

// Image builds the candidate's image, or finds it tagged already, exactly
// as Start does before it runs a container. Errors are Start's: untestable
// (runners.ErrUntestable, runners.ErrBuild), runners.ErrSetup, or
// infrastructure.
func (r *Runner) Image(ctx context.Context, p runners.Request) (Image, error) {
	if p.Candidate == nil {
		return Image{}, errors.New("docker runner: probe without a candidate")
	}
	logs := p.Logs
	if logs == nil {
		logs = io.Discard
	}
	files := make(map[string][]byte, len(p.Candidate.Files))
	for name, data := range p.Candidate.Files {
		files[path.Clean(filepath.ToSlash(name))] = data
	}
	if err := safeOverlay(files); err != nil {
		return Image{}, err
	}
	hash := p.Candidate.Hash()
	begin := time.Now()
	bc, err := r.prepareContext(files)
	if err != nil {
		// The project or the Dockerfile cannot be read: no candidate can be.
		return Image{}, fmt.Errorf("%w: %w", runners.ErrSetup, err)
	}
	r.timed(hash, "context", begin)
	lock := r.buildLock(bc.tag)
	lock.Lock()
	inspect := time.Now()
	cached, err := r.imageExists(ctx, bc.tag)
	r.timed(hash, "inspect", inspect)
	if err == nil && !cached {
		err = r.buildInSlot(ctx, bc, hash, p, logs)
	}
	lock.Unlock()
	if err != nil {
		return Image{}, err
	}
	img := Image{Tag: bc.tag, Cached: cached, Seconds: time.Since(begin).Seconds(), bc: bc}
	r.log.Debug("image ready", "tag", img.Tag, "candidate", short(hash), "cached", cached, "seconds", img.Seconds)
	return img, nil
}

// WorkDir gives a started instance the candidate's work directory when the
// request asks for one (runners.Request.WorkDir): what img was built from
// (the project, ignore file applied, with the candidate's files), written
// into the run's temporary directory; the instance's Stop removes it. On
// an error the instance is stopped.
func (r *Runner) WorkDir(ctx context.Context, p runners.Request, img Image, inst *runners.Instance) error {
	if !p.WorkDir {
		return nil
	}
	dir, err := r.writeOut(img.bc, "lockbisect-candidate-*")
	if err != nil {
		inst.Stop(context.WithoutCancel(ctx))
		return fmt.Errorf("%w: the candidate's work directory for the oracle: %w", runners.ErrSetup, err)
	}
	inst.Dir = dir
	stop := inst.Stop
	inst.Stop = func(ctx context.Context) error {
		return errors.Join(stop(ctx), os.RemoveAll(dir))
	}
	return nil
}

// Client is the runner's engine client (closed by Close).
func (r *Runner) Client() *client.Client { return r.cli }

// Labels are the labels of the run's objects for a candidate: the tool,
// run, pid, start time, host and creation time, and the candidate's hash.
func (r *Runner) Labels(hash string) map[string]string { return r.objectLabels(hash) }

// RunID is the run id as it appears in the names of the run's objects.
func (r *Runner) RunID() string { return r.runID }

// Alive reports whether the run that labelled an object may still be
// running (see Clean): its process exists on this host, or the object was
// made by a bisect on another host.
func Alive(labels map[string]string) bool { return alive(labels) }

// MemoryBytes parses runner.memory ("512m", "1g"); "" = no limit.
func MemoryBytes(s string) (int64, error) { return memoryBytes(s) }

// Tail is a writer that keeps the last lines of output written to it, as
// much as an untestable error quotes; String returns them.
type Tail interface {
	io.Writer
	String() string
}

// NewTail returns an empty Tail.
func NewTail() Tail { return &lineTail{max: tailLines} }
