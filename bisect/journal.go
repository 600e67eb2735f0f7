package bisect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ReadJournal reads the records a run appended to its journal. A last line
// without its newline is the write an interruption tore: it is dropped.
// Any other line that is not a record is an error naming its line.
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
