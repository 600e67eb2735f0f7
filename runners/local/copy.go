package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// skipped are top-level entries of the project that are never copied:
// history is not needed to build, and dependency trees are exactly what the
// candidate's build commands must install afresh from its lock files.
var skipped = []string{".git", "vendor", "node_modules"}

// ErrTooLarge: the project holds more than the limit a candidate may copy.
var ErrTooLarge = errors.New("project too large to copy per candidate")

// CheckSize walks the project as copyTree would (the same entries left
// out) and fails with ErrTooLarge as soon as it holds more than maxFiles
// files or maxBytes bytes, without reading further: a project that names a
// home directory or / is refused quickly, before anything is copied.
func CheckSize(ctx context.Context, project string, maxFiles int, maxBytes int64) error {
	real, err := realPath(project)
	if err != nil {
		return fmt.Errorf("project %s: %w", project, err)
	}
	files, bytes := 0, int64(0)
	err = filepath.WalkDir(real, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(real, path)
		if filepath.Base(rel) == ".git" || slices.Contains(skipped, rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files++
		bytes += info.Size()
		switch {
		case files > maxFiles:
			return fmt.Errorf("%w: %s holds more than %d files (runner.copy_limit.files)", ErrTooLarge, project, maxFiles)
		case bytes > maxBytes:
			return fmt.Errorf("%w: %s holds more than %d MB (runner.copy_limit.megabytes)", ErrTooLarge, project, maxBytes>>20)
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrTooLarge) {
		return fmt.Errorf("project %s: %w", project, err)
	}
	return err
}

// copyTree copies the project src into the existing, empty directory dst,
// preserving file modes and symlinks (as links, with their targets
// unchanged). Sockets, pipes and devices are left out. src is only read.
func copyTree(ctx context.Context, src, dst string) error {
	type dirMode struct {
		path string
		mode fs.FileMode
	}
	// Directories are created writable and get their own mode at the end,
	// so that a read-only directory can still be filled.
	var dirs []dirMode
	// The project may be given through a symlink, which WalkDir would not
	// enter; resolved paths also let dst be recognised below src.
	real, err := realPath(src)
	if err != nil {
		return fmt.Errorf("project %s: %w", src, err)
	}
	src = real
	if dst, err = realPath(dst); err != nil {
		return err
	}
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		// A work directory below the project (TMPDIR inside it) must not
		// be copied into itself.
		if path == dst || path == filepath.Dir(dst) {
			return filepath.SkipDir
		}
		if filepath.Base(rel) == ".git" || slices.Contains(skipped, rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch mode := info.Mode(); {
		case mode.IsDir():
			if err := os.Mkdir(target, 0o700); err != nil {
				return err
			}
			dirs = append(dirs, dirMode{target, mode.Perm()})
		case mode&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case mode.IsRegular():
			return copyFile(path, target, mode.Perm())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("copy project %s to %s: %w", src, dst, err)
	}
	for _, d := range slices.Backward(dirs) {
		if err := os.Chmod(d.path, d.mode); err != nil {
			return fmt.Errorf("copy project %s to %s: %w", src, dst, err)
		}
	}
	return nil
}

func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if perm&0o111 != 0 {
		// A process forked meanwhile (another probe's build or server)
		// would inherit the open file until it execs, and executing the
		// copy would then fail with "text file busy": no fork while an
		// executable is open for writing.
		syscall.ForkLock.Lock()
		defer syscall.ForkLock.Unlock()
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	// The umask may have dropped bits of perm at creation.
	return os.Chmod(dst, perm)
}

// removeAll removes dir even when the build left read-only files and
// directories behind (a Go module cache without -modcacherw is one).
func removeAll(dir string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			if info, ierr := d.Info(); ierr == nil {
				_ = os.Chmod(path, info.Mode().Perm()|0o700)
			}
		}
		return nil
	})
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove work directory %s: %w", dir, err)
	}
	return nil
}
