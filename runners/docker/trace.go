package docker

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// BuildKit reports a build's progress in the engine's JSON stream as aux
// messages with the id traceID: each a base64 protobuf StatusResponse of
// github.com/moby/buildkit's control API. The runner reads a few fields of
// it with protowire (already in the module graph through the Docker
// client) rather than importing buildkit, whose generated types would bring
// its whole module, gRPC and containerd's API with them for these few
// lines; protobuf's unknown-field rule keeps the decoder valid for newer
// engines that add fields.
const traceID = "moby.buildkit.trace"

// status is what the runner reads of one StatusResponse.
type status struct {
	vertexes []vertex       // field 1
	statuses []vertexStatus // field 2
	logs     []vertexLog    // field 3
}

// vertex is a step of the build graph (a Dockerfile instruction, or an
// internal step such as loading the context).
type vertex struct {
	digest    string    // field 1: the step's identity across messages
	name      string    // field 3: "[2/5] RUN go mod download"
	cached    bool      // field 4
	started   time.Time // field 5 (google.protobuf.Timestamp); zero = not yet
	completed time.Time // field 6; zero = not yet
	err       string    // field 7
}

// vertexStatus is a part of a step's work with its own progress, such as
// "exporting layers" or "writing image sha256:…" of "exporting to image".
type vertexStatus struct {
	id        string    // field 1
	vertex    string    // field 2: the digest of its step
	started   time.Time // field 7
	completed time.Time // field 8
}

// vertexLog is output of a step's process.
type vertexLog struct {
	vertex string // field 1: the digest of its step
	msg    []byte // field 4
}

// decodeStatus decodes a StatusResponse, ignoring the fields the runner
// does not read (statuses, warnings, and whatever later versions add).
func decodeStatus(b []byte) (status, error) {
	var s status
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			vx, err := decodeVertex(v)
			if err != nil {
				return fmt.Errorf("vertex: %w", err)
			}
			s.vertexes = append(s.vertexes, vx)
		case 2:
			vs, err := decodeVertexStatus(v)
			if err != nil {
				return fmt.Errorf("status: %w", err)
			}
			s.statuses = append(s.statuses, vs)
		case 3:
			l, err := decodeLog(v)
			if err != nil {
				return fmt.Errorf("log: %w", err)
			}
			s.logs = append(s.logs, l)
		}
		return nil
	})
	return s, err
}

func decodeVertex(b []byte) (vertex, error) {
	var vx vertex
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			vx.digest = string(v)
		case num == 3 && typ == protowire.BytesType:
			vx.name = string(v)
		case num == 4 && typ == protowire.VarintType:
			n, _ := protowire.ConsumeVarint(v)
			vx.cached = n != 0
		case num == 5 && typ == protowire.BytesType:
			vx.started = decodeTimestamp(v)
		case num == 6 && typ == protowire.BytesType:
			vx.completed = decodeTimestamp(v)
		case num == 7 && typ == protowire.BytesType:
			vx.err = string(v)
		}
		return nil
	})
	return vx, err
}

func decodeVertexStatus(b []byte) (vertexStatus, error) {
	var vs vertexStatus
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			vs.id = string(v)
		case 2:
			vs.vertex = string(v)
		case 7:
			vs.started = decodeTimestamp(v)
		case 8:
			vs.completed = decodeTimestamp(v)
		}
		return nil
	})
	return vs, err
}

// decodeTimestamp reads a google.protobuf.Timestamp (seconds 1, nanos 2).
// Its zero value is still a time that was sent: the Unix epoch, not zero.
func decodeTimestamp(b []byte) time.Time {
	var sec, nsec int64
	eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ == protowire.VarintType {
			n, _ := protowire.ConsumeVarint(v)
			switch num {
			case 1:
				sec = int64(n)
			case 2:
				nsec = int64(n) % 1e9
			}
		}
		return nil
	})
	return time.Unix(sec, nsec)
}

func decodeLog(b []byte) (vertexLog, error) {
	var l vertexLog
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			l.vertex = string(v)
		case num == 4 && typ == protowire.BytesType:
			l.msg = v
		}
		return nil
	})
	return l, err
}

// eachField calls f with every field of a message: its number, wire type
// and value (a length-delimited field's contents; a varint's own bytes;
// nil for groups). The loop is bounded by len(b): every step consumes at
// least one byte or fails.
func eachField(b []byte, f func(protowire.Number, protowire.Type, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			_, n = protowire.ConsumeVarint(b)
			if n >= 0 {
				v = b[:n]
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := f(num, typ, v); err != nil {
			return err
		}
	}
	return nil
}
