// Command server is a small MCP server over Streamable HTTP, the project of
// the go-mcp example: its dependencies are fabricated modules served from
// ./proxy, and one of their upgrades breaks the tools/list handshake.
//
// It listens on 127.0.0.1:$PORT and serves POST /mcp (JSON-RPC: initialize,
// notifications/initialized, tools/list, tools/call) and GET /healthz.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"example.com/jsonrpc"
	"example.com/logfmt"
	"example.com/registry"
	"example.com/schema"
	"example.com/util"
)

const protocolVersion = "2025-06-18"

func main() {
	port := util.Getenv("PORT", "8080")
	tools := newTools()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("POST /mcp", func(w http.ResponseWriter, r *http.Request) { serveMCP(w, r, tools) })
	// HOST is 127.0.0.1 unless set (a container listens on every interface
	// for its published port to reach it).
	addr := util.Getenv("HOST", "127.0.0.1") + ":" + port
	fmt.Fprintln(os.Stderr, logfmt.Line("msg", "listening", "addr", addr))
	if err := http.ListenAndServe(addr, mux); err != nil {
		fmt.Fprintln(os.Stderr, logfmt.Line("msg", "serve failed", "err", err))
		os.Exit(1)
	}
}

// newTools registers the server's tools: echo (one argument) and ping
// (none).
func newTools() *registry.Registry {
	reg := registry.New()
	reg.Add(registry.Tool{
		Name:        "echo",
		Description: "Repeat the given text.",
		InputSchema: schema.Object(map[string]schema.Property{
			"text": {Type: "string", Description: "what to repeat"},
		}, "text"),
	}, func(args map[string]any) (string, error) {
		text, ok := args["text"].(string)
		if !ok {
			return "", fmt.Errorf("argument text: want a string")
		}
		return text, nil
	})
	reg.Add(registry.Tool{
		Name:        "ping",
		Description: "Answer pong.",
		InputSchema: schema.Object(nil),
	}, func(map[string]any) (string, error) { return "pong", nil })
	return reg
}

func serveMCP(w http.ResponseWriter, r *http.Request, tools *registry.Registry) {
	req, err := jsonrpc.Decode(r.Body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, jsonrpc.Error(nil, jsonrpc.ParseError, err.Error()))
		return
	}
	fmt.Fprintln(os.Stderr, logfmt.Line("msg", "request", "method", req.Method))
	if req.IsNotification() {
		// Notifications (notifications/initialized among them) are
		// accepted with 202 and no body, as Streamable HTTP requires.
		w.WriteHeader(http.StatusAccepted)
		return
	}
	switch req.Method {
	case "initialize":
		w.Header().Set("Mcp-Session-Id", sessionID())
		writeJSON(w, http.StatusOK, jsonrpc.Result(req.ID, map[string]any{
			"protocolVersion": protocolVersion,
			"capabilities":    map[string]any{"tools": map[string]any{}},
			"serverInfo":      map[string]any{"name": "go-mcp-example", "version": "1.0.0"},
		}))
	case "ping":
		writeJSON(w, http.StatusOK, jsonrpc.Result(req.ID, map[string]any{}))
	case "tools/list":
		writeJSON(w, http.StatusOK, jsonrpc.Result(req.ID, map[string]any{"tools": tools.List()}))
	case "tools/call":
		var p struct {
			Name      string         `json:"name"`
			Arguments map[string]any `json:"arguments"`
		}
		if err := json.Unmarshal(req.Params, &p); err != nil {
			writeJSON(w, http.StatusOK, jsonrpc.Error(req.ID, jsonrpc.InvalidParams, err.Error()))
			return
		}
		text, err := tools.Call(p.Name, p.Arguments)
		isError := err != nil
		if isError {
			text = err.Error()
		}
		writeJSON(w, http.StatusOK, jsonrpc.Result(req.ID, map[string]any{
			"content": []map[string]any{{"type": "text", "text": text}},
			"isError": isError,
		}))
	default:
		writeJSON(w, http.StatusOK, jsonrpc.Error(req.ID, jsonrpc.MethodNotFound, "unknown method "+strings.TrimSpace(req.Method)))
	}
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func sessionID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
