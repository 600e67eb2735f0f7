package mcp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	mcpgoserver "github.com/mark3labs/mcp-go/server"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lockbisect/lockbisect/oracles"
	oracle "github.com/lockbisect/lockbisect/oracles/mcp"
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

// peerFindings are the checks the real SDKs fail under each client's
// profile: what these SDK versions emit that the client rejects (or, for a
// warning, would reject in a mode it can turn on). They are findings about
// the SDKs, kept visible here rather than hidden:
//
//   - go-sdk v1.8.0 (google/jsonschema-go v0.4.3) infers every struct's
//     schema with "additionalProperties": false, a member Gemini's Schema
//     does not have: an agent that passes these schemas to Gemini as
//     function-declaration parameters is refused ("Unknown name").
//   - mcp-go v1.2.1 emits objects without "additionalProperties": false,
//     which OpenAI's strict mode requires (a warning: strict mode is opt-in).
var peerFindings = map[string]map[string][]string{
	"go-sdk": {"gemini": {"tools.gemini.additional-properties"}},
	"mcp-go": {"openai": {"tools.openai.strict"}},
}

// TestMCPPeers: servers written by others with the two most used Go SDKs
// pass every profile they conform to, in two protocol versions, including
// tools/call, and fail exactly the recorded findings elsewhere.
func TestMCPPeers(t *testing.T) {
	cases := []struct {
		name    string
		handler http.Handler
		call    oracle.ToolCall
		content string // the content type the peer is known to answer with
	}{
		{"go-sdk", goSDKServer(), oracle.ToolCall{Name: "greet", Arguments: map[string]any{"name": "bisect"}}, "text/event-stream"},
		{"mcp-go", mcpGoServer(), oracle.ToolCall{Name: "echo", Arguments: map[string]any{"text": "bisect"}}, "application/json"},
	}
	for _, tc := range cases {
		for _, profile := range oracle.ProfileNames() {
			t.Run(tc.name+"/"+profile, func(t *testing.T) {
				srv := httptest.NewServer(tc.handler)
				t.Cleanup(srv.Close)
				c := oracleConfig()
				c.Profile = []string{profile}
				c.MCP.ProtocolVersions = []string{"2025-03-26", "2025-06-18"}
				c.MCP.Calls = []oracle.ToolCall{tc.call}
				v, err := newOracle(c, nil).Check(context.Background(), target(t, srv.URL))
				if err != nil {
					t.Fatal(err)
				}
				want := peerFindings[tc.name][profile]
				wantVerdict := "pass"
				for _, ch := range v.Checks {
					if slices.Contains(want, ch.ID) && ch.Severity == oracles.Fatal {
						wantVerdict = "fail"
					}
				}
				if got := slices.Compact(failing(v)); string(v.Verdict) != wantVerdict || !slices.Equal(got, want) {
					t.Fatalf("verdict %s, failing %q, want %s failing %q\n%s", v.Verdict, got, wantVerdict, want, dump(v))
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
	v, err := newOracle(oracleConfig(), nil).Check(context.Background(), target(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if got := failing(v); v.Verdict != "fail" || len(got) != 1 || got[0] != "tools.input-schema.properties-object" {
		t.Fatalf("verdict %s, failing %q, want fail on tools.input-schema.properties-object\n%s", v.Verdict, got, dump(v))
	}
}

// TestMCPPeerSlices records a finding: the official Go SDK (v1.8.0, with
// google/jsonschema-go v0.4.3) infers "type": ["null", "array"] for a slice
// argument, valid JSON Schema that Gemini's one-type Schema refuses.
func TestMCPPeerSlices(t *testing.T) {
	type tagIn struct {
		Tags []string `json:"tags" jsonschema:"the tags to set"`
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "go-sdk-peer", Version: "v0.0.1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "tag", Description: "Set tags"},
		func(context.Context, *mcp.CallToolRequest, tagIn) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil, nil
		})
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil))
	t.Cleanup(srv.Close)
	c := oracleConfig()
	c.Profile = []string{"gemini"}
	v, err := newOracle(c, nil).Check(context.Background(), target(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"tools.gemini.type-single", "tools.gemini.additional-properties"}
	if got := failing(v); v.Verdict != "fail" || !slices.Equal(got, want) || !strings.Contains(dump(v), `tags.type is [\"null\",\"array\"]`) {
		t.Fatalf("verdict %s, failing %q, want the finding %q with the type list named\n%s", v.Verdict, got, want, dump(v))
	}
}
