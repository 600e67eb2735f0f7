package docker

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// epoch is the modification time of every entry of a build context. The
// classic builder keys its COPY cache on file metadata as well as content, so
// identical candidates must produce byte-identical archives to share layers.
var epoch = time.Unix(0, 0).UTC()

// entry is one path of the build context.
type entry struct {
	rel  string      // slash-separated path below the context root
	info fs.FileInfo // from Lstat
}

// contextEntries walks the project directory and returns the paths that
// reach the build context, in lexical order: everything not excluded by the
// ignore file (see ignoreFile), except that the Dockerfile and .dockerignore
// themselves are always sent (the daemon needs them, as the docker CLI does).
func contextEntries(root, ignore, dockerfile string) ([]entry, error) {
	pm, err := readIgnore(ignore)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{".dockerignore": true, path.Clean(filepath.ToSlash(dockerfile)): true}
	var entries []entry
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if pm != nil && !keep[rel] {
			excluded, err := pm.MatchesOrParentMatches(rel)
			if err != nil {
				return fmt.Errorf(".dockerignore: %w", err)
			}
			if excluded {
				// An excluded directory may still hold a re-included path
				// ("!dir/keep"); only without exclusions can it be skipped.
				if d.IsDir() && !pm.Exclusions() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		entries = append(entries, entry{rel: rel, info: info})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read build context %s: %w", root, err)
	}
	return entries, nil
}

// ignoreFile is the ignore file of a build, as the docker CLI picks it: the
// Dockerfile's own <Dockerfile>.dockerignore if there is one (it may sit
// outside the context, beside a Dockerfile that does), else the context's
// .dockerignore.
func ignoreFile(root, dockerfilePath string) string {
	if _, err := os.Stat(dockerfilePath + ".dockerignore"); err == nil {
		return dockerfilePath + ".dockerignore"
	}
	return filepath.Join(root, ".dockerignore")
}

// readIgnore returns the matcher of an ignore file, or nil without one.
func readIgnore(name string) (*patternmatcher.PatternMatcher, error) {
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return pm, nil
}

// writeContext writes the build context as a tar stream: the entries read
// from root, with the overlay's files (the candidate's lock files) replacing
// or adding to them. Headers are normalised (owner root, fixed mtime, no
// user or group names) and only the permission bits are kept, so the same
// inputs always give the same bytes.
func writeContext(w io.Writer, root string, entries []entry, overlay map[string][]byte) error {
	tw := tar.NewWriter(w)
	written := map[string]bool{}
	dirs := map[string]bool{}
	for _, e := range entries {
		if e.info.IsDir() {
			dirs[e.rel] = true
		}
	}
	// Overlay files may sit in directories the project does not have.
	var extra []string
	for name := range overlay {
		name = path.Clean(name)
		for d := path.Dir(name); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
			extra = append(extra, d)
		}
	}
	all := append([]entry(nil), entries...)
	for _, d := range extra {
		all = append(all, entry{rel: d})
	}
	for name := range overlay {
		if !containsFile(entries, path.Clean(name)) {
			all = append(all, entry{rel: path.Clean(name)})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].rel < all[j].rel })
	for _, e := range all {
		if written[e.rel] {
			continue
		}
		written[e.rel] = true
		if err := writeEntry(tw, root, e, overlay, dirs[e.rel]); err != nil {
			return err
		}
	}
	return tw.Close()
}

func containsFile(entries []entry, rel string) bool {
	i := sort.Search(len(entries), func(i int) bool { return entries[i].rel >= rel })
	return i < len(entries) && entries[i].rel == rel
}

func writeEntry(tw *tar.Writer, root string, e entry, overlay map[string][]byte, isDir bool) error {
	hdr := &tar.Header{Name: e.rel, ModTime: epoch, Format: tar.FormatPAX}
	if data, ok := overlay[e.rel]; ok {
		hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, int64(len(data))
		if e.info != nil && e.info.Mode().IsRegular() {
			hdr.Mode = int64(e.info.Mode().Perm())
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if e.info == nil {
		if !isDir {
			return fmt.Errorf("build context: %s: no such entry", e.rel)
		}
		hdr.Typeflag, hdr.Mode, hdr.Name = tar.TypeDir, 0o755, e.rel+"/"
		return tw.WriteHeader(hdr)
	}
	mode := e.info.Mode()
	hdr.Mode = int64(mode.Perm())
	full := filepath.Join(root, filepath.FromSlash(e.rel))
	switch {
	case mode.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, e.rel+"/"
		return tw.WriteHeader(hdr)
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(full)
		if err != nil {
			return fmt.Errorf("build context: %w", err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		return tw.WriteHeader(hdr)
	case mode.IsRegular():
		f, err := os.Open(full)
		if err != nil {
			return fmt.Errorf("build context: %w", err)
		}
		defer f.Close()
		hdr.Typeflag, hdr.Size = tar.TypeReg, e.info.Size()
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.CopyN(tw, f, hdr.Size); err != nil {
			return fmt.Errorf("build context: %s changed while being read: %w", full, err)
		}
		return nil
	default:
		// Sockets, fifos and devices cannot be sent; the docker CLI skips
		// them as well.
		return nil
	}
}

// copyContext writes the context's entries and the overlay into dir, which
// is where Probe.Validate looks at the candidate.
func copyContext(dir, root string, entries []entry, overlay map[string][]byte) error {
	for _, e := range entries {
		src := filepath.Join(root, filepath.FromSlash(e.rel))
		dst := filepath.Join(dir, filepath.FromSlash(e.rel))
		mode := e.info.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
		case mode&fs.ModeSymlink != 0:
			target, err := os.Readlink(src)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, dst); err != nil {
				return err
			}
		case mode.IsRegular():
			if _, ok := overlay[e.rel]; ok {
				continue
			}
			if err := copyFile(dst, src, mode.Perm()); err != nil {
				return err
			}
		}
	}
	for name, data := range overlay {
		dst := filepath.Join(dir, filepath.FromSlash(path.Clean(name)))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(dst, src string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// safeOverlay rejects candidate file names that would leave the context.
func safeOverlay(files map[string][]byte) error {
	for name := range files {
		c := path.Clean(filepath.ToSlash(name))
		if c == "." || path.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") {
			return fmt.Errorf("candidate file %q is outside the project", name)
		}
	}
	return nil
}
