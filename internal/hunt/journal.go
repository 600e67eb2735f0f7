package hunt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/lockbisect/lockbisect/bisect"
	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/internal/gitrev"
	"github.com/lockbisect/lockbisect/manifests"
)

// runNames say what a journal header's entries identify, for the message
// that refuses another run's journal.
var runNames = map[string]string{
	"lock_old": "its old lock (--lock-old)",
	"lock_new": "its new lock (--lock-new)",
	"config":   "its runner, oracle or search settings (--config)",
	"source":   "its source (--source: a revision's commit, or the work tree)",
}

// sourceWords says a header's source entry (source.key) in words: "commit
// 3f2a1c9", "the work tree".
func sourceWords(key string) string {
	if commit, ok := strings.CutPrefix(key, "revision "); ok {
		return "commit " + gitrev.Short(commit)
	}
	return "the work tree"
}

// headerDefaults are what a header written before an entry existed
// meant: runs took the project from the work tree before --source.
var headerDefaults = map[string]string{"source": SourceWorktree}

// runHeader identifies this run for its journal: the bytes of both lock
// references' files (the lock and the siblings any ecosystem reads) and
// the settings that decide how candidates are built and judged.
func runHeader(ctx context.Context, o Options, src *source) (bisect.Header, error) {
	var siblings []string
	for _, e := range o.Ecosystems {
		siblings = append(siblings, e.Siblings()...)
	}
	h := bisect.Header{Run: map[string]string{}}
	for key, ref := range map[string]string{"lock_old": o.LockOld, "lock_new": o.LockNew} {
		snap, err := manifests.Read(ctx, ref, o.Repo, siblings)
		if err != nil {
			return h, err
		}
		sum := sha256.New()
		for _, name := range slices.Sorted(maps.Keys(snap.Files)) {
			fmt.Fprintf(sum, "%s %d\n", name, len(snap.Files[name]))
			sum.Write(snap.Files[name])
		}
		h.Run[key] = hex.EncodeToString(sum.Sum(nil)[:12])
	}
	h.Run["config"] = configHash(o.Config)
	h.Run["source"] = src.key()
	return h, nil
}

// configHash covers settingsHash and the search settings that shape what
// the journal records (repeat: the trials per probe; the drill-down's
// depth and release source).
func configHash(cfg *config.Config) string {
	b, _ := json.Marshal(struct {
		Settings            string
		Repeat              int
		Drill, ComposerRepo string
	}{settingsHash(cfg), cfg.Search.Repeat, string(cfg.Search.Drill), cfg.Search.ComposerRepo})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// openJournal opens a new journal at path and writes its header, or, when
// resume is set, the journal of an interrupted run: a torn last line (the
// write a crash cut short) is cut off, so that the records appended next
// start on a line of their own, and a journal whose header names another
// run is refused. A journal without a header (written before headers were)
// is accepted with a warning: nothing tells whose it is.
func openJournal(path string, resume bool, h bisect.Header, log *slog.Logger) (*os.File, []bisect.Record, error) {
	if !resume {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("journal: %w", err)
		}
		if err := bisect.WriteHeader(f, h); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("journal %s: %w", path, err)
		}
		return f, nil, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	recs, err := resumeJournal(f, path, h, log)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, recs, nil
}

func resumeJournal(f *os.File, path string, h bisect.Header, log *slog.Logger) ([]bisect.Record, error) {
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	if keep := bytes.LastIndexByte(b, '\n') + 1; keep < len(b) {
		log.Warn("resume: dropping the journal's torn last line (its probe runs again)", "journal", path, "bytes", len(b)-keep)
		if err := f.Truncate(int64(keep)); err != nil {
			return nil, fmt.Errorf("--resume %s: cut off the torn last line: %w", path, err)
		}
		b = b[:keep]
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	if got, ok := bisect.ReadHeader(bytes.NewReader(b)); ok {
		var differ []string
		sources := ""
		for _, k := range slices.Sorted(maps.Keys(h.Run)) {
			v, ok := got.Run[k]
			if !ok {
				v = headerDefaults[k]
			}
			if v != h.Run[k] {
				differ = append(differ, runNames[k])
				if k == "source" {
					sources = fmt.Sprintf(" (the journal's source is %s, this run's %s)", sourceWords(v), sourceWords(h.Run[k]))
				}
			}
		}
		if len(differ) > 0 {
			verb := "differs"
			if len(differ) > 1 {
				verb = "differ"
			}
			return nil, fmt.Errorf("--resume %s: the journal belongs to another run: %s %s from this run's%s; resume with the locks, config and source it was started with, or start a new run without --resume", path, strings.Join(differ, " and "), verb, sources)
		}
	} else if len(b) > 0 {
		log.Warn("resume: the journal has no header (an older bisect wrote it), so it cannot be checked to belong to this run", "journal", path)
	}
	recs, err := bisect.ReadJournal(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	return recs, nil
}
