package mcp_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/lockbisect/lockbisect/internal/fixtures/hydra"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/oracles/mcp"
)

// hydraBinary builds (once, then from the cache) the real authorization
// server. With CI=true a failure fails the test; elsewhere it skips.
func hydraBinary(t *testing.T) string {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if testing.Short() && !ci {
		t.Skip("-short: Hydra is built from source")
	}
	var log bytes.Buffer
	bin, err := hydra.Build(context.Background(), &log)
	if err != nil {
		if ci {
			t.Fatalf("%v\n%s", err, log.String())
		}
		t.Skipf("%v\n%s", err, log.String())
	}
	return bin
}

// resourceServer is an MCP server of the official Go SDK behind the SDK's
// own bearer-token middleware, whose tokens Hydra's introspection vouches
// for. Its protected-resource metadata names authServer and lists scopes;
// its challenge names no scope.
func resourceServer(t *testing.T, h *hydra.Server, authServer string, scopes []string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	verify := func(ctx context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
		active, granted, exp, err := h.Introspect(ctx, token)
		if err != nil {
			return nil, err
		}
		if !active {
			return nil, fmt.Errorf("%w: inactive", auth.ErrInvalidToken)
		}
		return &auth.TokenInfo{Scopes: granted, Expiration: exp}, nil
	}
	metaURL := srv.URL + "/.well-known/oauth-protected-resource/mcp"
	mux.Handle("GET /.well-known/oauth-protected-resource/mcp", auth.ProtectedResourceMetadataHandler(&oauthex.ProtectedResourceMetadata{
		Resource:             srv.URL + "/mcp",
		AuthorizationServers: []string{authServer},
		ScopesSupported:      scopes,
	}))
	mux.Handle("/mcp", auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{ResourceMetadataURL: metaURL})(goSDKServer()))
	return srv
}

// TestHydra judges a go-sdk resource server whose authorization server is
// Ory Hydra v2.3.0 in its default configuration: with a pre-registered
// client, with dynamic registration, and with protected-resource metadata
// that names Hydra's issuer with a trailing slash.
func TestHydra(t *testing.T) {
	bin := hydraBinary(t)
	ctx := context.Background()
	var logs bytes.Buffer
	plain, err := hydra.Start(ctx, bin, hydra.Options{Log: &logs})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	t.Cleanup(plain.Stop)
	dcr, err := hydra.Start(ctx, bin, hydra.Options{DynamicRegistration: true, Log: &logs})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	t.Cleanup(dcr.Stop)

	const redirect = "http://127.0.0.1:8976/callback"
	// Refresh tokens come with Hydra's offline_access scope, which the
	// resource lists beside its own.
	scopes := []string{"mcp", "offline_access"}
	client, err := plain.CreateClient(ctx, redirect, strings.Join(scopes, " "))
	if err != nil {
		t.Fatal(err)
	}
	preRegistered := func(c *testConfig) {
		c.MCP.OAuth.ClientID, c.MCP.OAuth.ClientSecret = client.ID, client.Secret
	}

	cases := []struct {
		name       string
		as         *hydra.Server
		authServer string // the issuer the resource's metadata names
		cfg        func(*testConfig)
		verdict    string
		want       map[string]string // check id → status/severity
	}{
		{"default configuration, no client_id: no way to register", plain, plain.Issuer, nil,
			"fail", map[string]string{"oauth.dcr": "fail/fatal", "oauth.as-metadata.rfc8414": "fail/warning"}},
		{"default configuration, pre-registered client", plain, plain.Issuer, preRegistered,
			"pass", map[string]string{"oauth.dcr": "skip/fatal", "oauth.scope": "pass/warning", "oauth.token": "pass/fatal",
				"oauth.bearer-accepted": "pass/fatal", "oauth.refresh": "pass/fatal", "oauth.refresh.rotation": "pass/warning",
				"oauth.as-metadata.issuer-matches": "pass/fatal", "tools.call": "pass/fatal"}},
		{"dynamic registration", dcr, dcr.Issuer, nil,
			"pass", map[string]string{"oauth.dcr": "pass/fatal", "oauth.dcr.nulls": "fail/warning", "oauth.token": "pass/fatal", "oauth.refresh": "pass/fatal", "tools.call": "pass/fatal"}},
		{"issuer differing by a trailing slash, spec", plain, plain.Issuer + "/", preRegistered,
			"fail", map[string]string{"oauth.as-metadata.issuer-matches": "fail/fatal"}},
		{"issuer differing by a trailing slash, claude", plain, plain.Issuer + "/", func(c *testConfig) {
			preRegistered(c)
			c.Profile = []string{"claude"}
		}, "pass", map[string]string{"oauth.as-metadata.issuer-matches": "fail/warning", "oauth.claude.issuer": "fail/warning", "oauth.token": "pass/fatal"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := resourceServer(t, tc.as, tc.authServer, scopes)
			c := oracleConfig()
			c.MCP.Calls = []mcp.ToolCall{{Name: "greet", Arguments: map[string]any{"name": "hydra"}}}
			if tc.cfg != nil {
				tc.cfg(&c)
			}
			v, err := newOracle(c, nil).Check(ctx, target(t, rs.URL))
			if err != nil {
				t.Fatal(err)
			}
			out := dump(v)
			if string(v.Verdict) != tc.verdict {
				t.Errorf("verdict %s, want %s", v.Verdict, tc.verdict)
			}
			for id, want := range tc.want {
				if got := status(v, id); got != want {
					t.Errorf("%s is %s, want %s", id, got, want)
				}
			}
			if client.Secret == "" || strings.Contains(out, client.Secret) {
				t.Errorf("the client secret is empty or leaks into the verdict")
			}
			// Hydra's access, refresh and registration access tokens.
			for _, prefix := range []string{"ory_at_", "ory_rt_", "ory_ac_"} {
				if strings.Contains(out, prefix) {
					t.Errorf("a Hydra token (%s…) leaks into the verdict", prefix)
				}
			}
			if strings.HasSuffix(tc.authServer, "/") {
				want := fmt.Sprintf("issuer is %q, the authorization server's URL %q", tc.as.Issuer, tc.authServer)
				if !slices.ContainsFunc(v.Checks, func(c oracles.Check) bool {
					return c.ID == "oauth.as-metadata.issuer-matches" && c.Status == oracles.Fail && strings.HasPrefix(c.Detail, want)
				}) {
					t.Errorf("no failing issuer check names both strings (%s)", want)
				}
			}
			if t.Failed() {
				t.Logf("%s\nhydra:\n%s", out, tail(logs.String(), 3000))
			}
		})
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
