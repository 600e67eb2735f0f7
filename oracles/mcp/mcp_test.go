package mcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/internal/fixtures/mcpserver"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/oracles/mcp"
)

// oracleConfig is the mcp oracle configuration the fixture tests use; the
// consent form of the fixture needs a user name.
func oracleConfig() testConfig {
	return testConfig{
		Config: oracles.Config{Kind: "mcp", Path: "/mcp", Timeout: 30 * time.Second},
		mcpConfig: mcp.Config{
			Profile: []string{"spec"},
			MCP:     mcp.Settings{OAuth: mcp.OAuth{Consent: map[string]string{"user": "alice"}}},
		},
	}
}

// testConfig is the oracle section as the tests edit it (c.Path,
// c.Profile, c.MCP).
type testConfig struct {
	oracles.Config
	mcpConfig
}

type mcpConfig = mcp.Config

func newOracle(c testConfig, log *slog.Logger) *mcp.Oracle {
	return mcp.New(c.Config, c.mcpConfig, log)
}

func claude(c *testConfig) { c.Profile = []string{"claude"} }

func callSearch(c *testConfig) {
	c.MCP.Calls = []mcp.ToolCall{{Name: "search", Arguments: map[string]any{"query": "q"}}}
}

// serve starts the fixture on 127.0.0.1 and returns it with its target.
func serve(t *testing.T, opts mcpserver.Options) (*mcpserver.Server, oracles.Target) {
	t.Helper()
	fx := mcpserver.New(opts)
	srv := httptest.NewServer(fx)
	t.Cleanup(srv.Close)
	return fx, target(t, srv.URL)
}

func target(t *testing.T, base string) oracles.Target {
	t.Helper()
	host, port, err := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	var p int
	if err := json.Unmarshal([]byte(port), &p); err != nil {
		t.Fatal(err)
	}
	return oracles.Target{BaseURL: base, Host: host, Port: p}
}

// failing lists the ids of the checks that failed.
func failing(v *oracles.Result) []string {
	var ids []string
	for _, c := range v.Checks {
		if c.Status == oracles.Fail {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

func dump(v *oracles.Result) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// TestMCPFixture: the healthy fixture passes every check and each fault
// fails exactly the check that looks for it.
func TestMCPFixture(t *testing.T) {
	cases := []struct {
		name  string
		opts  mcpserver.Options
		cfg   func(*testConfig)
		tweak func(*mcp.Oracle)
		fail  string // the one check that must fail; "" = none
		sev   oracles.Severity
	}{
		{name: "healthy json"},
		{name: "healthy sse", opts: mcpserver.Options{SSE: true}},
		{name: "healthy paginated", opts: mcpserver.Options{PageSize: 1}},
		{name: "healthy claude", cfg: claude},
		{name: "healthy three versions", cfg: func(c *testConfig) {
			c.MCP.ProtocolVersions = []string{"2025-03-26", "2025-06-18", "2025-11-25"}
		}},
		{name: "healthy tools/call", cfg: func(c *testConfig) {
			c.MCP.Calls = []mcp.ToolCall{{Name: "echo", Arguments: map[string]any{"text": "hi"}}}
		}},
		{name: "healthy oauth", opts: mcpserver.Options{OAuth: true}},
		{name: "healthy oauth sse", opts: mcpserver.Options{OAuth: true, SSE: true}},
		{name: "healthy oauth forced", opts: mcpserver.Options{OAuth: true}, cfg: func(c *testConfig) { c.MCP.OAuth.Enabled = true }},
		{name: "healthy oauth, metadata at the root", opts: mcpserver.Options{OAuth: true, RootMetadataOnly: true}},
		{name: "healthy oauth, scope from the challenge", opts: mcpserver.Options{OAuth: true, Scope: "mcp:tools"}},
		{name: "oauth, OpenID discovery tolerated with a warning", opts: mcpserver.Options{OAuth: true, OpenIDOnly: true}, fail: "oauth.as-metadata.rfc8414", sev: oracles.Warning},
		{name: "dotted name is fine for the spec", opts: mcpserver.Options{DottedName: true}},
		{name: "oneOf is fine for the spec", opts: mcpserver.Options{TopLevelOneOf: true}},

		{name: "properties []", opts: mcpserver.Options{PropertiesArray: true}, fail: "tools.input-schema.properties-object", sev: oracles.Fatal},
		{name: "properties [] sse", opts: mcpserver.Options{PropertiesArray: true, SSE: true}, fail: "tools.input-schema.properties-object", sev: oracles.Fatal},
		{name: "missing type", opts: mcpserver.Options{MissingType: true}, fail: "tools.input-schema.type-object", sev: oracles.Fatal},
		{name: "duplicate names", opts: mcpserver.Options{DuplicateNames: true}, fail: "tools.names-unique", sev: oracles.Fatal},
		{name: "null description", opts: mcpserver.Options{NullDescription: true}, fail: "tools.null-fields", sev: oracles.Fatal},
		{name: "output schema array", opts: mcpserver.Options{OutputSchemaArray: true}, fail: "tools.output-schema.type-object", sev: oracles.Fatal},
		{name: "dotted name claude", opts: mcpserver.Options{DottedName: true}, cfg: claude, fail: "tools.claude.name-pattern", sev: oracles.Fatal},
		{name: "long name over the prefix budget", opts: mcpserver.Options{LongName: true}, cfg: func(c *testConfig) {
			c.Profile, c.MCP.ToolPrefix = []string{"claude"}, "mcp__fixture__"
		}, fail: "tools.claude.name-pattern", sev: oracles.Fatal},
		{name: "oneOf claude", opts: mcpserver.Options{TopLevelOneOf: true}, cfg: claude, fail: "tools.claude.no-combinators", sev: oracles.Fatal},
		{name: "claude reads one page", opts: mcpserver.Options{PageSize: 2}, cfg: claude, fail: "tools.claude.first-page", sev: oracles.Warning},
		{name: "pagination loop", opts: mcpserver.Options{PageSize: 1, PaginationLoop: true}, fail: "tools.pagination", sev: oracles.Fatal},
		{name: "tools/call isError", opts: mcpserver.Options{ToolCallError: true}, cfg: func(c *testConfig) {
			c.MCP.Calls = []mcp.ToolCall{{Name: "echo", Arguments: map[string]any{"text": "hi"}}}
		}, fail: "tools.call", sev: oracles.Fatal},
		{name: "healthy tools/call with structured content", cfg: callSearch},
		{name: "tools/call without structured content", opts: mcpserver.Options{NoStructuredContent: true}, cfg: callSearch, fail: "tools.call.structured-content", sev: oracles.Fatal},
		{name: "tools/call with structured content the schema refuses", opts: mcpserver.Options{WrongStructured: true}, cfg: callSearch, fail: "tools.call.structured-content", sev: oracles.Fatal},
		{name: "tools/call of an unlisted tool", cfg: func(c *testConfig) {
			c.MCP.Calls = []mcp.ToolCall{{Name: "gone"}}
		}, fail: "tools.call", sev: oracles.Fatal},
		{name: "no tools capability", opts: mcpserver.Options{NoToolsCapability: true}, fail: "initialize.capabilities", sev: oracles.Fatal},
		{name: "serverInfo without version", opts: mcpserver.Options{ServerInfoNoVersion: true}, fail: "initialize.server-info", sev: oracles.Fatal},
		{name: "wrong protocol version", opts: mcpserver.Options{WrongProtocolVersion: true}, fail: "initialize.protocol-version", sev: oracles.Fatal},
		{name: "wrong id", opts: mcpserver.Options{WrongID: true}, fail: "initialize.id", sev: oracles.Fatal},
		{name: "wrong id sse", opts: mcpserver.Options{WrongID: true, SSE: true}, fail: "initialize.id", sev: oracles.Fatal},
		{name: "bad session id", opts: mcpserver.Options{BadSessionID: true}, fail: "transport.session-id", sev: oracles.Fatal},
		{name: "notification answered 200 with a body", opts: mcpserver.Options{NotificationBody: true}, fail: "transport.notification-202", sev: oracles.Warning},
		{name: "notification refused", opts: mcpserver.Options{NotificationError: true}, fail: "lifecycle.initialized", sev: oracles.Fatal},
		{name: "response over the size limit", tweak: func(m *mcp.Oracle) { m.MaxBody = 64 }, fail: "transport.size-limit", sev: oracles.Fatal},
		{name: "sse over the size limit", opts: mcpserver.Options{SSE: true}, tweak: func(m *mcp.Oracle) { m.MaxBody = 64 }, fail: "transport.size-limit", sev: oracles.Fatal},

		{name: "text/plain", opts: mcpserver.Options{TextPlain: true}, fail: "transport.content-type", sev: oracles.Fatal},
		{name: "truncated JSON", opts: mcpserver.Options{BrokenJSON: true}, fail: "transport.json", sev: oracles.Fatal},
		{name: "truncated JSON in an event", opts: mcpserver.Options{BrokenJSON: true, SSE: true}, fail: "transport.json", sev: oracles.Fatal},
		{name: "no answer within the request timeout", opts: mcpserver.Options{Stall: true}, tweak: func(m *mcp.Oracle) { m.RequestTimeout = 200 * time.Millisecond }, fail: "transport.request", sev: oracles.Fatal},

		{name: "401 without resource_metadata", opts: mcpserver.Options{OAuth: true, NoResourceMetadata: true}, fail: "oauth.www-authenticate", sev: oracles.Warning},
		{name: "resource mismatch", opts: mcpserver.Options{OAuth: true, ResourceMismatch: true}, fail: "oauth.prm.resource-matches", sev: oracles.Fatal},
		{name: "no S256", opts: mcpserver.Options{OAuth: true, NoS256: true}, fail: "oauth.as-metadata.pkce-s256", sev: oracles.Fatal},
		{name: "issuer mismatch", opts: mcpserver.Options{OAuth: true, IssuerMismatch: true}, fail: "oauth.as-metadata.issuer-matches", sev: oracles.Fatal},
		{name: "no registration endpoint", opts: mcpserver.Options{OAuth: true, NoRegistration: true}, fail: "oauth.dcr", sev: oracles.Fatal},
		{name: "state altered", opts: mcpserver.Options{OAuth: true, WrongState: true}, fail: "oauth.authorize.state", sev: oracles.Fatal},
		{name: "consent denied", opts: mcpserver.Options{OAuth: true}, cfg: func(c *testConfig) {
			c.MCP.OAuth.Consent = map[string]string{"user": "alice", "decision": "deny"}
		}, fail: "oauth.authorize", sev: oracles.Fatal},
		{name: "token without no-store", opts: mcpserver.Options{OAuth: true, NoCacheControl: true}, fail: "oauth.token.no-store", sev: oracles.Warning},
		{name: "verifier not checked", opts: mcpserver.Options{OAuth: true, VerifierNotChecked: true}, fail: "oauth.token.pkce-verified", sev: oracles.Warning},
		{name: "refresh not rotated", opts: mcpserver.Options{OAuth: true, RefreshNotRotated: true}, fail: "oauth.refresh.rotation", sev: oracles.Warning},
		{name: "token rejected", opts: mcpserver.Options{OAuth: true, RejectToken: true}, fail: "oauth.bearer-accepted", sev: oracles.Fatal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, tgt := serve(t, tc.opts)
			c := oracleConfig()
			if tc.cfg != nil {
				tc.cfg(&c)
			}
			m := newOracle(c, slog.New(slog.DiscardHandler))
			if tc.tweak != nil {
				tc.tweak(m)
			}
			v, err := m.Check(context.Background(), tgt)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			got := slices.Compact(failing(v))
			var want []string
			if tc.fail != "" {
				want = []string{tc.fail}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("failing checks %q, want %q\n%s", got, want, dump(v))
			}
			wantVerdict := "pass"
			if tc.sev == oracles.Fatal {
				wantVerdict = "fail"
			}
			if string(v.Verdict) != wantVerdict {
				t.Errorf("verdict %q, want %q", v.Verdict, wantVerdict)
			}
			for _, ch := range v.Checks {
				if ch.Spec == "" || ch.Detail == "" {
					t.Errorf("check %s has no spec reference or detail: %+v", ch.ID, ch)
				}
				if ch.ID == tc.fail && ch.Status == oracles.Fail && ch.Severity != tc.sev {
					t.Errorf("check %s has severity %s, want %s", ch.ID, ch.Severity, tc.sev)
				}
			}
		})
	}
}

// TestMCPFixtureCoverage: a healthy OAuth run makes every step's check, so a
// flow that silently skipped a step would show here.
func TestMCPFixtureCoverage(t *testing.T) {
	_, tgt := serve(t, mcpserver.Options{OAuth: true, SSE: true, PageSize: 2})
	v, err := newOracle(oracleConfig(), nil).Check(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	passed := map[string]bool{}
	for _, c := range v.Checks {
		if c.Status == oracles.Pass {
			passed[c.ID] = true
		}
	}
	for _, id := range []string{
		"oauth.www-authenticate", "oauth.prm", "oauth.prm.resource-matches", "oauth.as-metadata",
		"oauth.as-metadata.issuer-matches", "oauth.as-metadata.pkce-s256", "oauth.dcr", "oauth.authorize",
		"oauth.authorize.state", "oauth.token", "oauth.token.no-store", "oauth.token.pkce-verified",
		"oauth.bearer-accepted", "oauth.refresh", "oauth.refresh.rotation",
		"transport.status", "transport.content-type", "transport.session-id", "transport.notification-202",
		"initialize.id", "initialize.result", "initialize.protocol-version", "initialize.capabilities",
		"initialize.server-info", "lifecycle.initialized", "tools.list", "tools.pagination",
		"tools.input-schema.properties-object", "tools.names-unique",
	} {
		if !passed[id] {
			t.Errorf("check %s did not pass\n%s", id, dump(v))
		}
	}
	if !strings.Contains(dump(v), "3 tools on 2 page(s)") {
		t.Errorf("pagination was not followed:\n%s", dump(v))
	}
}

// TestMCPDetail: a detail says what was expected and what was found.
func TestMCPDetail(t *testing.T) {
	_, tgt := serve(t, mcpserver.Options{PropertiesArray: true})
	v, err := newOracle(oracleConfig(), nil).Check(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	f := v.Failed()
	want := `tool "ping": inputSchema.properties is [] (a JSON array), want an object`
	if f == nil || f.Detail != want {
		t.Fatalf("failed check %+v, want detail %q", f, want)
	}
}

// TestMCPUnreachable: nothing listening is an error (the oracle could not
// run), not a failing verdict.
func TestMCPUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, forced := range []bool{false, true} {
		c := oracleConfig()
		c.MCP.OAuth.Enabled = forced
		v, err := newOracle(c, nil).Check(context.Background(), target(t, "http://"+addr))
		if err == nil {
			t.Fatalf("oauth forced %t: Check returned %s, want an error", forced, dump(v))
		}
	}
}

// TestMCPSecretsNeverLeak runs the whole OAuth flow with a debug logger and
// looks for every code and token the server issued in the log and in the
// verdict's JSON.
func TestMCPSecretsNeverLeak(t *testing.T) {
	for _, opts := range []mcpserver.Options{
		{OAuth: true},
		{OAuth: true, SSE: true, RefreshNotRotated: true, VerifierNotChecked: true},
		{OAuth: true, RejectToken: true},
	} {
		fx, tgt := serve(t, opts)
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		v, err := newOracle(oracleConfig(), log).Check(context.Background(), tgt)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(v)
		issued := fx.Issued()
		if len(issued) < 4 {
			t.Fatalf("the fixture issued %d secrets, want at least a code, an access and a refresh token and a second code", len(issued))
		}
		if logs.Len() == 0 {
			t.Fatal("the debug log is empty, so the test proves nothing")
		}
		for _, s := range issued {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("verdict leaks %q: %s", s, out)
			}
			if strings.Contains(logs.String(), s) {
				t.Errorf("log leaks %q", s)
			}
		}
	}
}

// TestMCPRedactsConfiguredHeaders: a server that echoes the request's
// credential headers in an error does not make them reach the verdict.
func TestMCPRedactsConfiguredHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "denied: "+r.Header.Get("X-Api-Key")+" "+r.Header.Get("Authorization"), http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	c := oracleConfig()
	c.MCP.Headers = map[string]string{"X-Api-Key": "key-0123456789", "Authorization": "Bearer tok-9876543210"}
	v, err := newOracle(c, nil).Check(context.Background(), target(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	out := dump(v)
	if f := v.Failed(); f == nil || f.ID != "transport.status" || !strings.Contains(f.Detail, "HTTP 403") {
		t.Fatalf("want transport.status failing with HTTP 403\n%s", out)
	}
	for _, s := range []string{"key-0123456789", "tok-9876543210"} {
		if strings.Contains(out, s) {
			t.Errorf("verdict leaks %q:\n%s", s, out)
		}
	}
}
