package mcp

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// sseEvent is one dispatched server-sent event.
type sseEvent struct {
	Event string // "" means the default type "message"
	ID    string
	Data  string // data lines joined with "\n"
}

// readSSE parses a text/event-stream as the WHATWG HTML standard defines it
// (section 9.2.6) and calls yield for each dispatched event until yield
// returns false or the stream ends. Lines may end in CRLF, LF or CR; an event
// without a terminating blank line at end of stream is discarded, as browsers
// and the official SDKs' parsers do, so a server relying on it is caught.
// maxLine bounds a single line so that a hostile stream cannot grow memory.
func readSSE(r io.Reader, maxLine int, yield func(sseEvent) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(4096, maxLine)), maxLine)
	sc.Split(scanSSELines)
	var (
		ev      sseEvent
		data    strings.Builder
		hasData bool
		first   = true
	)
	for sc.Scan() {
		line := sc.Text()
		if first {
			line = strings.TrimPrefix(line, "\ufeff")
			first = false
		}
		if line == "" {
			if hasData {
				ev.Data = data.String()
				if !yield(ev) {
					return nil
				}
			}
			ev = sseEvent{ID: ev.ID}
			data.Reset()
			hasData = false
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		switch field {
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.WriteString(value)
			hasData = true
		case "event":
			ev.Event = value
		case "id":
			if !strings.ContainsRune(value, 0) {
				ev.ID = value
			}
		}
	}
	return sc.Err()
}

// scanSSELines splits on CRLF, LF or a lone CR. A CR at the very end of the
// buffer waits for more input, because it may be the first half of a CRLF.
func scanSSELines(data []byte, atEOF bool) (int, []byte, error) {
	i := bytes.IndexAny(data, "\r\n")
	if i < 0 {
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	}
	if data[i] == '\n' {
		return i + 1, data[:i], nil
	}
	if i+1 < len(data) {
		if data[i+1] == '\n' {
			return i + 2, data[:i], nil
		}
		return i + 1, data[:i], nil
	}
	if atEOF {
		return i + 1, data[:i], nil
	}
	return 0, nil, nil
}
