package mcp

import (
	"slices"
	"strings"
	"testing"
)

func collectSSE(t *testing.T, stream string) []sseEvent {
	t.Helper()
	var got []sseEvent
	if err := readSSE(strings.NewReader(stream), 1<<16, func(ev sseEvent) bool {
		got = append(got, ev)
		return true
	}); err != nil {
		t.Fatalf("readSSE: %v", err)
	}
	return got
}

func TestReadSSE(t *testing.T) {
	cases := []struct {
		name, stream string
		want         []sseEvent
	}{
		{"one event", "data: {}\n\n", []sseEvent{{Data: "{}"}}},
		{"multi-line data joined with LF", "event: message\ndata: {\"a\":\ndata: 1}\n\n", []sseEvent{{Event: "message", Data: "{\"a\":\n1}"}}},
		{"CRLF and lone CR", "data: a\r\n\r\ndata: b\r\rdata:c\n\n", []sseEvent{{Data: "a"}, {Data: "b"}, {Data: "c"}}},
		{"comments and unknown fields skipped", ": hi\nretry: 5\nfoo: bar\ndata: x\n\n", []sseEvent{{Data: "x"}}},
		{"only one leading space stripped", "data:  two\n\n", []sseEvent{{Data: " two"}}},
		{"id persists to later events", "id: 7\ndata: a\n\ndata: b\n\n", []sseEvent{{ID: "7", Data: "a"}, {ID: "7", Data: "b"}}},
		{"an event without data is not dispatched", "event: ping\n\ndata: x\n\n", []sseEvent{{Data: "x"}}},
		{"unterminated last event discarded", "data: a\n\ndata: b", []sseEvent{{Data: "a"}}},
		{"byte order mark", "\ufeffdata: a\n\n", []sseEvent{{Data: "a"}}},
		{"empty data line", "data\n\n", []sseEvent{{Data: ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := collectSSE(t, tc.stream)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestReadSSEStopsEarly(t *testing.T) {
	n := 0
	err := readSSE(strings.NewReader("data: a\n\ndata: b\n\n"), 1024, func(sseEvent) bool { n++; return false })
	if err != nil || n != 1 {
		t.Fatalf("got %d events, err %v; want 1 and nil", n, err)
	}
}

func TestReadSSELineLimit(t *testing.T) {
	err := readSSE(strings.NewReader("data: "+strings.Repeat("x", 100)+"\n\n"), 32, func(sseEvent) bool { return true })
	if err == nil {
		t.Fatal("a line over the limit was accepted")
	}
}

// FuzzReadSSE: any input parses without panic; data never holds a CR; and a
// stream we frame ourselves round-trips.
func FuzzReadSSE(f *testing.F) {
	f.Add("data: {}\n\n", "{\"jsonrpc\":\"2.0\"}")
	f.Add("event: message\r\ndata: a\r\ndata: b\r\n\r\n", "a\nb")
	f.Add(":\r\r\n\n", "")
	f.Fuzz(func(t *testing.T, stream, data string) {
		_ = readSSE(strings.NewReader(stream), 1<<16, func(ev sseEvent) bool {
			if strings.ContainsRune(ev.Data, '\r') {
				t.Fatalf("data %q holds a CR", ev.Data)
			}
			return true
		})
		if strings.ContainsRune(data, '\r') || len(data) > 1<<15 {
			return
		}
		var b strings.Builder
		for _, line := range strings.Split(data, "\n") {
			b.WriteString("data: " + line + "\n")
		}
		b.WriteString("\n")
		got := collectSSE(t, b.String())
		if len(got) != 1 || got[0].Data != data {
			t.Fatalf("framed %q, parsed %+v", data, got)
		}
	})
}
