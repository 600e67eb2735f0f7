package docker

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// traceVertex and traceLog build the protobuf of BuildKit's control API
// (StatusResponse.vertexes, .logs) as the engine sends it.
func traceVertex(digest, name string, cached, started, completed bool, errMsg string) []byte {
	var v []byte
	v = protowire.AppendTag(v, 1, protowire.BytesType)
	v = protowire.AppendString(v, digest)
	v = protowire.AppendTag(v, 2, protowire.BytesType) // inputs: not read
	v = protowire.AppendString(v, "sha256:input")
	v = protowire.AppendTag(v, 3, protowire.BytesType)
	v = protowire.AppendString(v, name)
	if cached {
		v = protowire.AppendTag(v, 4, protowire.VarintType)
		v = protowire.AppendVarint(v, 1)
	}
	timestamp := func(sec, nanos uint64) []byte {
		t := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), sec)
		return protowire.AppendVarint(protowire.AppendTag(t, 2, protowire.VarintType), nanos)
	}
	if started {
		v = protowire.AppendTag(v, 5, protowire.BytesType)
		v = protowire.AppendBytes(v, timestamp(1700000000, 0))
	}
	if completed {
		// 1.5s after it started.
		v = protowire.AppendTag(v, 6, protowire.BytesType)
		v = protowire.AppendBytes(v, timestamp(1700000001, 5e8))
	}
	if errMsg != "" {
		v = protowire.AppendTag(v, 7, protowire.BytesType)
		v = protowire.AppendString(v, errMsg)
	}
	return protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), v)
}

func traceLog(digest, msg string) []byte {
	var l []byte
	l = protowire.AppendTag(l, 1, protowire.BytesType)
	l = protowire.AppendString(l, digest)
	l = protowire.AppendTag(l, 3, protowire.VarintType) // stream: not read
	l = protowire.AppendVarint(l, 2)
	l = protowire.AppendTag(l, 4, protowire.BytesType)
	l = protowire.AppendString(l, msg)
	return protowire.AppendBytes(protowire.AppendTag(nil, 3, protowire.BytesType), l)
}

// traceStatus builds a StatusResponse.statuses entry: a part of a step,
// started at second start and completed at second end after the epoch of
// traceVertex's timestamps (end < 0: not yet).
func traceStatus(id, digest string, start, end float64) []byte {
	timestamp := func(s float64) []byte {
		sec, nanos := uint64(1700000000+int(s)), uint64((s-float64(int(s)))*1e9)
		t := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), sec)
		return protowire.AppendVarint(protowire.AppendTag(t, 2, protowire.VarintType), nanos)
	}
	var v []byte
	v = protowire.AppendTag(v, 1, protowire.BytesType)
	v = protowire.AppendString(v, id)
	v = protowire.AppendTag(v, 2, protowire.BytesType)
	v = protowire.AppendString(v, digest)
	v = protowire.AppendTag(v, 4, protowire.VarintType) // current: not read
	v = protowire.AppendVarint(v, 1024)
	v = protowire.AppendTag(v, 7, protowire.BytesType)
	v = protowire.AppendBytes(v, timestamp(start))
	if end >= 0 {
		v = protowire.AppendTag(v, 8, protowire.BytesType)
		v = protowire.AppendBytes(v, timestamp(end))
	}
	return protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), v)
}

// TestBuildKitTimes: the steps and their parts come back in the order
// they first appeared, each with the time from its earliest start to its
// latest completion; a cached step with none.
func TestBuildKitTimes(t *testing.T) {
	stream := traceMessage(traceVertex("sha256:a", "[1/2] FROM base", true, false, false, "")) +
		traceMessage(traceVertex("sha256:b", "[2/2] RUN make", false, true, false, "")) +
		traceMessage(traceVertex("sha256:b", "[2/2] RUN make", false, true, true, "")) +
		traceMessage(traceVertex("sha256:e", "exporting to image", false, true, false, ""), traceStatus("exporting layers", "sha256:e", 0, -1)) +
		traceMessage(traceStatus("exporting layers", "sha256:e", 0.25, 1.25)) +
		traceMessage(traceStatus("writing image sha256:1234", "sha256:e", 1.25, 1.5), traceVertex("sha256:e", "exporting to image", false, true, true, ""))
	_, times, err := decodeBuild(strings.NewReader(stream), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []stepTime{
		{Name: "[1/2] FROM base", Cached: true},
		{Name: "[2/2] RUN make", Seconds: 1.5},
		{Name: "exporting to image", Seconds: 1.5},
		{Name: "exporting to image: exporting layers", Seconds: 1.25},
		{Name: "exporting to image: writing image sha256:1234", Seconds: 0.25},
	}
	if len(times) != len(want) {
		t.Fatalf("times %+v, want %+v", times, want)
	}
	for i, w := range want {
		g := times[i]
		if g.Name != w.Name || g.Cached != w.Cached || math.Abs(g.Seconds-w.Seconds) > 1e-6 {
			t.Errorf("step %d: %s %v cached=%v, want %s %v cached=%v", i, g.Name, g.Seconds, g.Cached, w.Name, w.Seconds, w.Cached)
		}
	}
	if !times[0].Started.IsZero() || times[1].Started.IsZero() {
		t.Errorf("started %v and %v, want none for the cached step and a time for the run", times[0].Started, times[1].Started)
	}
}

// traceMessage is the engine's JSON message carrying a StatusResponse.
func traceMessage(parts ...[]byte) string {
	b, _ := json.Marshal(map[string]any{"id": traceID, "aux": base64.StdEncoding.EncodeToString(bytes.Join(parts, nil))})
	return string(b)
}

func TestDecodeBuildKit(t *testing.T) {
	many := make([][]byte, 0, 40)
	for i := range 40 {
		many = append(many, traceLog("sha256:b", "line "+strings.Repeat("x", i)+"\n"))
	}
	tests := []struct {
		name     string
		stream   string
		wantErr  []string // "" = success
		notInErr string
		wantLogs string
	}{
		{
			name: "success",
			stream: traceMessage(traceVertex("sha256:a", "[1/2] FROM lockbisect/go:1.26.8", false, true, false, "")) +
				traceMessage(traceVertex("sha256:a", "[1/2] FROM lockbisect/go:1.26.8", true, true, true, "")) +
				traceMessage(traceVertex("sha256:b", "[2/2] RUN go build", false, true, false, ""), traceLog("sha256:b", "compiling\n")) +
				traceMessage(traceVertex("sha256:b", "[2/2] RUN go build", false, true, true, "")) +
				`{"id":"moby.image.id","aux":{"ID":"sha256:1234"}}`,
			wantLogs: "#1 [1/2] FROM lockbisect/go:1.26.8\n#1 CACHED\n#2 [2/2] RUN go build\n#2 compiling\n#2 DONE 1.5s\n",
		},
		{
			name: "failing step with its own tail",
			stream: traceMessage(traceVertex("sha256:a", "[1/3] COPY . .", false, true, false, "")) +
				traceMessage(traceVertex("sha256:b", "[2/3] RUN composer install", false, true, false, ""), traceLog("sha256:b", "Installing acme/log (2.0.0)\n")) +
				// Another step's output, interleaved: not in the failing step's tail.
				traceMessage(traceLog("sha256:a", "unrelated\n")) +
				traceMessage(traceLog("sha256:b", "acme/log 2 needs acme/util 1.0.1\n")) +
				traceMessage(traceVertex("sha256:b", "[2/3] RUN composer install", false, true, true, "exit code: 2")) +
				`{"errorDetail":{"message":"executor failed running [/bin/sh -c composer install]: exit code: 2"},"error":"executor failed running [/bin/sh -c composer install]: exit code: 2"}`,
			wantErr:  []string{"executor failed running", "failing step: [2/3] RUN composer install\nInstalling acme/log (2.0.0)\nacme/log 2 needs acme/util 1.0.1"},
			notInErr: "unrelated",
			wantLogs: "#1 [1/3] COPY . .\n#2 [2/3] RUN composer install\n#2 Installing acme/log (2.0.0)\n#1 unrelated\n#2 acme/log 2 needs acme/util 1.0.1\n#2 ERROR: exit code: 2\n",
		},
		{
			name:     "a long failing step keeps its last lines",
			stream:   traceMessage(append([][]byte{traceVertex("sha256:b", "[1/1] RUN make", false, true, false, "")}, many...)...) + traceMessage(traceVertex("sha256:b", "[1/1] RUN make", false, true, true, "exit code: 1")) + `{"error":"failed"}`,
			wantErr:  []string{"failing step: [1/1] RUN make\nline " + strings.Repeat("x", 21) + "\n", strings.Repeat("x", 39)},
			notInErr: "line " + strings.Repeat("x", 20) + "\n",
		},
		{
			name:     "error before any step: the stream's tail",
			stream:   traceMessage(traceVertex("sha256:a", "[internal] load build definition from Dockerfile", false, true, true, "")) + `{"error":"dockerfile parse error line 3: unknown instruction: RUNN"}`,
			wantErr:  []string{"unknown instruction: RUNN", "#1 [internal] load build definition"},
			wantLogs: "#1 [internal] load build definition from Dockerfile\n#1 DONE 1.5s\n",
		},
		{
			name:     "undecodable trace is skipped",
			stream:   `{"id":"moby.buildkit.trace","aux":"////"}` + traceMessage(traceVertex("sha256:a", "[1/1] RUN true", false, true, true, "")),
			wantLogs: "(buildkit trace skipped: unexpected EOF)\n#1 [1/1] RUN true\n#1 DONE 1.5s\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			last, _, err := decodeBuild(strings.NewReader(tt.stream), &logs)
			if last != "" {
				t.Errorf("step image %q from a BuildKit stream", last)
			}
			var be *buildError
			switch {
			case len(tt.wantErr) == 0 && err != nil:
				t.Fatalf("error %v", err)
			case len(tt.wantErr) > 0 && !errors.As(err, &be):
				t.Fatalf("error %v, want a build error", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if tt.notInErr != "" && strings.Contains(err.Error(), tt.notInErr) {
				t.Errorf("error has %q:\n%v", tt.notInErr, err)
			}
			if !strings.HasPrefix(logs.String(), tt.wantLogs) {
				t.Errorf("logs %q, want prefix %q", logs.String(), tt.wantLogs)
			}
		})
	}
}

func FuzzDecodeStatus(f *testing.F) {
	f.Add(append(traceVertex("sha256:a", "[1/2] RUN x", true, true, true, "boom"), traceLog("sha256:a", "out\n")...))
	f.Add(traceStatus("exporting layers", "sha256:e", 0.5, 2))
	f.Add([]byte{0x0a, 0x80})
	f.Add([]byte{0x0b, 0x0c})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeStatus(b)
		if err != nil {
			return
		}
		for _, v := range s.vertexes {
			if !bytes.Contains(b, []byte(v.digest)) || !bytes.Contains(b, []byte(v.name)) || !bytes.Contains(b, []byte(v.err)) {
				t.Errorf("vertex %+v is not in the message %x", v, b)
			}
		}
		for _, st := range s.statuses {
			if !bytes.Contains(b, []byte(st.id)) || !bytes.Contains(b, []byte(st.vertex)) {
				t.Errorf("status %+v is not in the message %x", st, b)
			}
		}
		for _, l := range s.logs {
			if !bytes.Contains(b, l.msg) {
				t.Errorf("log %q is not in the message %x", l.msg, b)
			}
		}
		// Rendered as part of a stream, it never panics and a build error
		// keeps the tail bound.
		stream := traceMessage(b) + `{"error":"failed"}`
		_, times, err := decodeBuild(strings.NewReader(stream), &bytes.Buffer{})
		for _, st := range times {
			if st.Seconds < 0 {
				t.Errorf("step %q took %v s", st.Name, st.Seconds)
			}
		}
		var be *buildError
		if !errors.As(err, &be) {
			t.Fatalf("error %v, want the build error", err)
		}
		if got := strings.Count(be.tail, "\n"); got >= tailLines {
			t.Errorf("tail of %d lines, want fewer than %d", got+1, tailLines)
		}
	})
}
