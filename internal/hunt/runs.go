package hunt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// A run holds a shared lock on its run directory (and on the directory of
// the journal it resumes) while it lives, so that PruneRuns, which takes
// the lock exclusively, never removes a run in progress.

// lockDir takes a shared lock on dir until the returned function runs.
func lockDir(dir string) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return nil, fmt.Errorf("run directory %s: lock: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

// PruneRuns removes the run directories (journal and logs) below the
// runs directory, <user cache dir>/lockbisect/runs, whose last change is
// older than olderThan (0 = any age), but never one of a run in progress.
// It returns a line per removed directory with the space it held; an
// error names what could not be removed, after trying everything.
func PruneRuns(olderThan time.Duration) ([]string, error) {
	return pruneRuns(runsParent(), olderThan)
}

func pruneRuns(parent string, olderThan time.Duration) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("prune runs in %s: %w", parent, err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		size, latest, err := usage(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if olderThan > 0 && time.Since(latest) <= olderThan {
			continue
		}
		f, err := os.Open(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close() // a run in progress holds it
			continue
		}
		err = os.RemoveAll(dir)
		f.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("remove run directory: %w", err))
			continue
		}
		removed = append(removed, fmt.Sprintf("run directory %s (%s)", dir, byteSize(size)))
	}
	return removed, errors.Join(errs...)
}

// usage is the bytes the files below dir hold and the latest change of
// any of them (or of dir).
func usage(dir string) (size int64, latest time.Time, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if !d.IsDir() {
			size += fi.Size()
		}
		if fi.ModTime().After(latest) {
			latest = fi.ModTime()
		}
		return nil
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("run directory %s: %w", dir, err)
	}
	return size, latest, nil
}

// byteSize is n in the largest binary unit that keeps it at least 1.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
