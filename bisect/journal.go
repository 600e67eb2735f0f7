package bisect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Header is the first line of a journal: the run its records belong to,
// as the caller identifies it (hashes of its inputs by name), so that a
// resume can refuse the journal of another run.
type Header struct {
	Run map[string]string `json:"run"`
}

// WriteHeader writes h as a journal's first line.
func WriteHeader(w io.Writer, h Header) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ReadHeader returns a journal's header; ok is false when its first line
// is a record (a journal written before headers were) or there is none.
func ReadHeader(r io.Reader) (h Header, ok bool) {
	line, err := bufio.NewReader(r).ReadBytes('\n')
	if err != nil {
		return Header{}, false
	}
	if json.Unmarshal(line, &h) != nil || h.Run == nil {
		return Header{}, false
	}
	return h, true
}

// ReadJournal reads the records a run appended to its journal, after its
// header if it has one. A last line without its newline is the write an
// interruption tore: it is dropped. Any other line that is not a record is
// an error naming its line.
func ReadJournal(r io.Reader) ([]Record, error) {
	br := bufio.NewReader(r)
	var out []Record
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// Torn or absent final line: the probe it described is simply
			// probed again.
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read journal: line %d: %w", n, err)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if n == 1 {
			var h Header
			if json.Unmarshal(line, &h) == nil && h.Run != nil {
				continue
			}
		}
		var final struct {
			Report json.RawMessage `json:"report"`
		}
		if json.Unmarshal(line, &final) == nil && len(final.Report) > 0 {
			continue // the caller's record of the finished run, not a probe
		}
		var rec Record
		if err := json.Unmarshal(line, &rec); err != nil {
			return out, fmt.Errorf("read journal: line %d: %w", n, err)
		}
		switch rec.Outcome {
		case Good, Bad, Untestable:
		default:
			return out, fmt.Errorf("read journal: line %d: outcome %q is not good, bad or untestable", n, rec.Outcome)
		}
		out = append(out, rec)
	}
}
