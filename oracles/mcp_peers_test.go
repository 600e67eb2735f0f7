package oracles_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	mcpgoserver "github.com/mark3labs/mcp-go/server"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/oracles"
)

// goSDKServer is an MCP server built with the official Go SDK; its
// Streamable HTTP handler answers requests with event streams.
func goSDKServer() http.Handler {
	type greetIn struct {
		Name string `json:"name" jsonschema:"who to greet"`
	}
	type greetOut struct {
		Greeting string `json:"greeting"`
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "go-sdk-peer", Version: "v0.0.1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "greet", Description: "Say hello"},
		func(_ context.Context, _ *mcp.CallToolRequest, in greetIn) (*mcp.CallToolResult, greetOut, error) {
			return nil, greetOut{Greeting: "hello " + in.Name}, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "ping", Description: "Answer pong"},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "pong"}}}, nil, nil
		})
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
}

// mcpGoServer is an MCP server built with mark3labs/mcp-go; its streamable
// HTTP server answers requests with JSON.
func mcpGoServer() http.Handler {
	s := mcpgoserver.NewMCPServer("mcp-go-peer", "1.0.0", mcpgoserver.WithToolCapabilities(false))
	s.AddTool(mcpgo.NewTool("echo", mcpgo.WithDescription("Echo the text"), mcpgo.WithString("text", mcpgo.Required())),
		func(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
			return mcpgo.NewToolResultText(req.GetString("text", "")), nil
		})
	s.AddTool(mcpgo.NewTool("now", mcpgo.WithDescription("Tell the time")),
		func(context.Context, mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
			return mcpgo.NewToolResultText("noon"), nil
		})
	return mcpgoserver.NewStreamableHTTPServer(s)
}

// TestMCPPeers: servers written by others with the two most used Go SDKs
// pass both profiles, in two protocol versions, including tools/call.
func TestMCPPeers(t *testing.T) {
	cases := []struct {
		name    string
		handler http.Handler
		call    config.ToolCall
		content string // the content type the peer is known to answer with
	}{
		{"go-sdk", goSDKServer(), config.ToolCall{Name: "greet", Arguments: map[string]any{"name": "bisect"}}, "text/event-stream"},
		{"mcp-go", mcpGoServer(), config.ToolCall{Name: "echo", Arguments: map[string]any{"text": "bisect"}}, "application/json"},
	}
	for _, tc := range cases {
		for _, profile := range []string{"spec", "claude"} {
			t.Run(tc.name+"/"+profile, func(t *testing.T) {
				srv := httptest.NewServer(tc.handler)
				t.Cleanup(srv.Close)
				c := oracleConfig()
				c.Profile = profile
				c.MCP.ProtocolVersions = []string{"2025-03-26", "2025-06-18"}
				c.MCP.Calls = []config.ToolCall{tc.call}
				v, err := oracles.NewMCP(c, nil).Check(context.Background(), target(t, srv.URL))
				if err != nil {
					t.Fatal(err)
				}
				if v.Verdict != "pass" || len(failing(v)) > 0 {
					t.Fatalf("verdict %s, failing %q\n%s", v.Verdict, failing(v), dump(v))
				}
				var calls, types int
				for _, ch := range v.Checks {
					if ch.ID == "tools.call" && ch.Status == oracles.Pass {
						calls++
					}
					if ch.ID == "transport.content-type" && strings.HasSuffix(ch.Detail, tc.content) {
						types++
					}
				}
				if calls != 2 || types != 2 {
					t.Errorf("got %d passing tools.call and %d %s answers, want 2 of each (one per version)\n%s", calls, types, tc.content, dump(v))
				}
				if !strings.Contains(dump(v), "2 tools on 1 page(s)") {
					t.Errorf("want both tools listed\n%s", dump(v))
				}
			})
		}
	}
}

// TestMCPPeerDefect: the defect of the motivating case, an empty PHP array
// as properties, served through mcp-go's raw schema path, fails exactly the
// check that looks for it.
func TestMCPPeerDefect(t *testing.T) {
	s := mcpgoserver.NewMCPServer("mcp-go-peer", "1.0.0", mcpgoserver.WithToolCapabilities(false))
	s.AddTool(mcpgo.NewToolWithRawSchema("list_items", "List items", []byte(`{"type":"object","properties":[]}`)),
		func(context.Context, mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
			return mcpgo.NewToolResultText("none"), nil
		})
	srv := httptest.NewServer(mcpgoserver.NewStreamableHTTPServer(s))
	t.Cleanup(srv.Close)
	v, err := oracles.NewMCP(oracleConfig(), nil).Check(context.Background(), target(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if got := failing(v); v.Verdict != "fail" || len(got) != 1 || got[0] != "tools.input-schema.properties-object" {
		t.Fatalf("verdict %s, failing %q, want fail on tools.input-schema.properties-object\n%s", v.Verdict, got, dump(v))
	}
}
