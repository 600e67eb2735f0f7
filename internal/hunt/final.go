package hunt

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/lockbisect/lockbisect/reports"
)

// final is the journal's last line once a run has finished: the report,
// with what its JSON leaves out but the markdown shows, so that
// `bisect report --journal` renders both reports again as the run did.
type final struct {
	Report       *reports.Report   `json:"report"`
	Repositories map[string]string `json:"repositories,omitempty"`
	Rollback     [][][]string      `json:"rollback,omitempty"` // per culprit
}

// appendReport appends the finished run's report to its journal (the
// engine's ReadJournal skips it; a resume replays the probes before it).
func appendReport(path string, rep *reports.Report) error {
	fin := final{Report: rep, Repositories: rep.Repositories}
	for _, c := range rep.Culprits {
		fin.Rollback = append(fin.Rollback, c.Rollback)
	}
	b, err := json.Marshal(fin)
	if err != nil {
		return fmt.Errorf("journal %s: report: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("journal %s: %w", path, err)
	}
	return f.Close()
}

// ReadReport returns the report of the last finished run a journal holds.
func ReadReport(path string) (*reports.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	var last []byte
	for sc.Scan() {
		var probe struct {
			Report json.RawMessage `json:"report"`
		}
		if json.Unmarshal(sc.Bytes(), &probe) == nil && len(probe.Report) > 0 {
			last = append(last[:0], sc.Bytes()...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if last == nil {
		return nil, errors.New("journal " + path + ": no finished run (the run was interrupted or is still going: resume it with --resume)")
	}
	var fin final
	if err := json.Unmarshal(last, &fin); err != nil {
		return nil, fmt.Errorf("journal %s: report: %w", path, err)
	}
	fin.Report.Repositories = fin.Repositories
	for i := range fin.Report.Culprits {
		if i < len(fin.Rollback) {
			fin.Report.Culprits[i].Rollback = fin.Rollback[i]
		}
	}
	return fin.Report, nil
}
