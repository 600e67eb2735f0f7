// Command gen regenerates the go-mcp example's fabricated dependencies:
// the file module proxy server/proxy and the two locks, old/go.mod +
// old/go.sum and server/go.mod + server/go.sum, tidied by the real go
// command against that proxy. Its output is committed, so the example
// works without running it; run it after changing a module below:
//
//	go run ./examples/go-mcp/gen            # from the repository root
//	go run ./examples/go-mcp/gen -dir PATH  # the example directory elsewhere
//	go run ./examples/go-mcp/gen -upstream DIR  # only example.com/schema's git repository
//
// Between the old and the new lock six modules change:
//
//	example.com/jsonrpc   v1.1.0 → v1.2.0  direct; v1.2.0 requires util v1.4.0
//	example.com/util      v1.1.0 → v1.4.0  direct; coupled: jsonrpc needs it
//	example.com/schema    v1.2.0 → v1.3.0  direct; the culprit: a tool without
//	                                       arguments gets "properties": null
//	example.com/registry  v1.0.0 → v1.1.0  direct
//	example.com/logfmt    v0.3.0 → v0.4.0  direct
//	example.com/ansi      v1.0.0 → v1.0.2  indirect only (logfmt imports it)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/lockbisect/lockbisect/internal/fixtures/goproxy"
)

func main() {
	dir := flag.String("dir", filepath.Join("examples", "go-mcp"), "the example directory")
	upstream := flag.String("upstream", "", "write example.com/schema's upstream git repository (for the drill-down) into this new directory, and nothing else")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *upstream != "" {
		if err := writeUpstream(*upstream); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string) error {
	proxy := filepath.Join(dir, "server", "proxy")
	if err := os.RemoveAll(proxy); err != nil {
		return err
	}
	for i, m := range modules() {
		// Release dates one day apart, in the order listed, so that .info
		// files read like a real history.
		m.Time = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)
		if err := goproxy.WriteModule(proxy, m); err != nil {
			return err
		}
	}
	for _, lock := range []struct{ dest, gomod string }{
		{filepath.Join(dir, "old"), oldGoMod},
		{filepath.Join(dir, "server"), newGoMod},
	} {
		if err := tidy(ctx, dir, proxy, lock.dest, lock.gomod); err != nil {
			return err
		}
	}
	return nil
}

// tidy runs `go mod tidy` on the server's source with the given go.mod in a
// temporary directory and copies the resulting go.mod and go.sum to dest.
func tidy(ctx context.Context, dir, proxy, dest, gomod string) error {
	tmp, err := os.MkdirTemp("", "go-mcp-gen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src, err := os.ReadFile(filepath.Join(dir, "server", "main.go"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "main.go"), src, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "mod", "tidy")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), goproxy.Env(proxy, filepath.Join(tmp, "cache"))...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod tidy for %s: %w\n%s", dest, err, out)
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(tmp, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dest, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

const oldGoMod = `module example.com/mcpserver

go 1.22

require (
	example.com/jsonrpc v1.1.0
	example.com/logfmt v0.3.0
	example.com/registry v1.0.0
	example.com/schema v1.2.0
	example.com/util v1.1.0
)

require example.com/ansi v1.0.0 // indirect
`

const newGoMod = `module example.com/mcpserver

go 1.22

require (
	example.com/jsonrpc v1.2.0
	example.com/logfmt v0.4.0
	example.com/registry v1.1.0
	example.com/schema v1.3.0
	example.com/util v1.4.0
)

require example.com/ansi v1.0.2 // indirect
`

// modules are every fabricated module version; the drill-down's releases
// of example.com/schema come last, so that the dates of the others stay.
func modules() []goproxy.Module {
	return append([]goproxy.Module{
		{Path: "example.com/ansi", Version: "v1.0.0", Files: map[string]string{"ansi.go": ansiV100}},
		{Path: "example.com/ansi", Version: "v1.0.2", Files: map[string]string{"ansi.go": ansiV102}},
		{Path: "example.com/util", Version: "v1.1.0", Files: map[string]string{"util.go": utilV110}},
		{Path: "example.com/util", Version: "v1.4.0", Files: map[string]string{"util.go": utilV140}},
		{Path: "example.com/jsonrpc", Version: "v1.1.0", Files: map[string]string{"jsonrpc.go": jsonrpcV110}},
		{Path: "example.com/jsonrpc", Version: "v1.2.0", Require: map[string]string{"example.com/util": "v1.4.0"},
			Files: map[string]string{"jsonrpc.go": jsonrpcV120}},
		{Path: "example.com/schema", Version: "v1.2.0", Files: map[string]string{"schema.go": schemaV120}},
		{Path: "example.com/schema", Version: "v1.3.0", Files: map[string]string{"schema.go": schemaV130}},
		{Path: "example.com/registry", Version: "v1.0.0", Files: map[string]string{"registry.go": registryV100}},
		{Path: "example.com/registry", Version: "v1.1.0", Files: map[string]string{"registry.go": registryV110}},
		{Path: "example.com/logfmt", Version: "v0.3.0", Require: map[string]string{"example.com/ansi": "v1.0.0"},
			Files: map[string]string{"logfmt.go": logfmtV030}},
		{Path: "example.com/logfmt", Version: "v0.4.0", Require: map[string]string{"example.com/ansi": "v1.0.0"},
			Files: map[string]string{"logfmt.go": logfmtV040}},
	}, schemaReleases()...)
}

const ansiV100 = `// Package ansi removes terminal color codes.
package ansi

// Strip removes ESC [ ... m sequences.
func Strip(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && s[j] != 'm' {
				j++
			}
			i = j
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}
`

// ansiV102 also removes erase-line sequences (ESC [ K).
const ansiV102 = `// Package ansi removes terminal color and erase codes.
package ansi

// Strip removes ESC [ ... m and ESC [ ... K sequences.
func Strip(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && s[j] != 'm' && s[j] != 'K' {
				j++
			}
			i = j
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}
`

const utilV110 = `// Package util holds small helpers.
package util

import "os"

// Getenv returns the variable's value, or def when it is unset or empty.
func Getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
`

const utilV140 = `// Package util holds small helpers.
package util

import (
	"bytes"
	"os"
)

// Getenv returns the variable's value, or def when it is unset or empty.
func Getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Compact drops trailing white space.
func Compact(b []byte) []byte { return bytes.TrimRight(b, " \t\r\n") }
`

const jsonrpcV110 = `// Package jsonrpc decodes JSON-RPC 2.0 requests and encodes responses.
package jsonrpc

import (
	"encoding/json"
	"fmt"
	"io"
)

` + jsonrpcCommon + `func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"jsonrpc": "2.0", "id": nil, "error": map[string]any{"code": -32603, "message": err.Error()}})
	}
	return b
}
`

// jsonrpcV120 streams responses through an Encoder and trims its newline
// with util.Compact, new in util v1.4.0: the coupling is real.
const jsonrpcV120 = `// Package jsonrpc decodes JSON-RPC 2.0 requests and encodes responses.
package jsonrpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"example.com/util"
)

` + jsonrpcCommon + `func encode(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.Reset()
		_ = enc.Encode(map[string]any{"jsonrpc": "2.0", "id": nil, "error": map[string]any{"code": -32603, "message": err.Error()}})
	}
	return util.Compact(buf.Bytes())
}
`

// jsonrpcCommon is what both versions of example.com/jsonrpc share.
const jsonrpcCommon = `// Error codes.
const (
	ParseError     = -32700
	MethodNotFound = -32601
	InvalidParams  = -32602
)

// Request is a JSON-RPC request or notification.
type Request struct {
	JSONRPC string          ` + "`json:\"jsonrpc\"`" + `
	ID      json.RawMessage ` + "`json:\"id,omitempty\"`" + `
	Method  string          ` + "`json:\"method\"`" + `
	Params  json.RawMessage ` + "`json:\"params,omitempty\"`" + `
}

// IsNotification reports whether the request has no id.
func (r *Request) IsNotification() bool { return len(r.ID) == 0 }

// Decode reads one request.
func Decode(r io.Reader) (*Request, error) {
	var req Request
	if err := json.NewDecoder(r).Decode(&req); err != nil {
		return nil, fmt.Errorf("decode request: %w", err)
	}
	if req.JSONRPC != "2.0" {
		return nil, fmt.Errorf("decode request: jsonrpc is %q, want \"2.0\"", req.JSONRPC)
	}
	return &req, nil
}

// Result encodes a success response.
func Result(id json.RawMessage, result any) []byte {
	return encode(map[string]any{"jsonrpc": "2.0", "id": rawID(id), "result": result})
}

// Error encodes an error response.
func Error(id json.RawMessage, code int, message string) []byte {
	return encode(map[string]any{"jsonrpc": "2.0", "id": rawID(id), "error": map[string]any{"code": code, "message": message}})
}

func rawID(id json.RawMessage) json.RawMessage {
	if len(id) == 0 {
		return json.RawMessage("null")
	}
	return id
}

`

const schemaV120 = `// Package schema builds JSON Schemas for tool arguments.
package schema

import "encoding/json"

// Property is one argument.
type Property struct {
	Type        string ` + "`json:\"type\"`" + `
	Description string ` + "`json:\"description,omitempty\"`" + `
}

// Object returns the schema of an object with these properties.
func Object(props map[string]Property, required ...string) json.RawMessage {
	if props == nil {
		props = map[string]Property{}
	}
	m := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		m["required"] = required
	}
	b, _ := json.Marshal(m)
	return b
}
`

// schemaV130 is the culprit: marshalling a struct instead of a map saves
// allocations, but a nil map now encodes as "properties": null.
const schemaV130 = `// Package schema builds JSON Schemas for tool arguments.
package schema

import "encoding/json"

// Property is one argument.
type Property struct {
	Type        string ` + "`json:\"type\"`" + `
	Description string ` + "`json:\"description,omitempty\"`" + `
}

type object struct {
	Type       string              ` + "`json:\"type\"`" + `
	Properties map[string]Property ` + "`json:\"properties\"`" + `
	Required   []string            ` + "`json:\"required,omitempty\"`" + `
}

// Object returns the schema of an object with these properties. Since
// v1.3.0 it marshals a struct, which allocates less than a map.
func Object(props map[string]Property, required ...string) json.RawMessage {
	b, _ := json.Marshal(object{Type: "object", Properties: props, Required: required})
	return b
}
`

const registryV100 = `// Package registry keeps a server's tools.
package registry

import (
	"encoding/json"
	"fmt"
	"sort"
)

` + registryCommon + `// Call runs the named tool.
func (r *Registry) Call(name string, args map[string]any) (string, error) {
	h, ok := r.handlers[name]
	if !ok {
		return "", fmt.Errorf("unknown tool %q", name)
	}
	return h(args)
}
`

// registryV110 names the known tools when a call asks for an unknown one.
const registryV110 = `// Package registry keeps a server's tools.
package registry

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

` + registryCommon + `// Call runs the named tool.
func (r *Registry) Call(name string, args map[string]any) (string, error) {
	h, ok := r.handlers[name]
	if !ok {
		var names []string
		for _, t := range r.List() {
			names = append(names, t.Name)
		}
		return "", fmt.Errorf("unknown tool %q (known: %s)", name, strings.Join(names, ", "))
	}
	return h(args)
}
`

// registryCommon is what both versions of example.com/registry share.
const registryCommon = `// Tool is what tools/list shows of a tool.
type Tool struct {
	Name        string          ` + "`json:\"name\"`" + `
	Description string          ` + "`json:\"description,omitempty\"`" + `
	InputSchema json.RawMessage ` + "`json:\"inputSchema\"`" + `
}

// Handler runs a tool.
type Handler func(args map[string]any) (string, error)

// Registry holds tools by name.
type Registry struct {
	tools    map[string]Tool
	handlers map[string]Handler
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{tools: map[string]Tool{}, handlers: map[string]Handler{}}
}

// Add registers a tool.
func (r *Registry) Add(t Tool, h Handler) {
	r.tools[t.Name] = t
	r.handlers[t.Name] = h
}

// List returns the tools sorted by name.
func (r *Registry) List() []Tool {
	out := make([]Tool, 0, len(r.tools))
	for _, t := range r.tools {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

`

const logfmtV030 = `// Package logfmt formats key=value log lines.
package logfmt

import (
	"fmt"
	"strings"

	"example.com/ansi"
)

// Line formats alternating keys and values.
func Line(kv ...any) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, fmt.Sprint(kv[i])+"="+ansi.Strip(fmt.Sprint(kv[i+1])))
	}
	return strings.Join(parts, " ")
}
`

// logfmtV040 quotes values that contain spaces.
const logfmtV040 = `// Package logfmt formats key=value log lines.
package logfmt

import (
	"fmt"
	"strconv"
	"strings"

	"example.com/ansi"
)

// Line formats alternating keys and values; values with spaces are quoted.
func Line(kv ...any) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		v := ansi.Strip(fmt.Sprint(kv[i+1]))
		if strings.ContainsAny(v, " \t\"") {
			v = strconv.Quote(v)
		}
		parts = append(parts, fmt.Sprint(kv[i])+"="+v)
	}
	return strings.Join(parts, " ")
}
`
