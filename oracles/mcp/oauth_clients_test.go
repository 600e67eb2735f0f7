package mcp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/fixtures/mcpserver"
	"github.com/lockbisect/lockbisect/oracles"
)

// status returns the status and severity of the first check with id, or
// "absent".
func status(v *oracles.Result, id string) string {
	for _, c := range v.Checks {
		if c.ID == id {
			return string(c.Status) + "/" + string(c.Severity)
		}
	}
	return "absent"
}

// TestOAuthClients: the ways a client gets a client_id (pre-registered,
// Client ID Metadata Document, dynamic registration), the scope chosen
// without a challenge scope, what is tolerated with a warning, and the
// issuer compared exactly with each profile's severity.
func TestOAuthClients(t *testing.T) {
	const secret = "fixture-secret-0123456789"
	docs := http.NewServeMux()
	doc := httptest.NewServer(docs)
	t.Cleanup(doc.Close)
	docURL := doc.URL + "/client.json"
	docs.HandleFunc("GET /client.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"client_id": docURL, "client_name": "lockbisect",
			"redirect_uris": []string{"http://127.0.0.1:8976/callback"}, "token_endpoint_auth_method": "none"})
	})

	cases := []struct {
		name    string
		opts    mcpserver.Options
		cfg     func(*testConfig)
		verdict string
		want    map[string]string // check id → status/severity
		detail  []string          // substrings of the verdict
	}{
		{"pre-registered confidential client, no registration endpoint",
			mcpserver.Options{OAuth: true, NoRegistration: true, PreRegisteredSecret: secret},
			func(c *testConfig) {
				c.MCP.OAuth.ClientID, c.MCP.OAuth.ClientSecret = mcpserver.PreRegisteredID, secret
			},
			"pass", map[string]string{"oauth.dcr": "skip/fatal", "oauth.token": "pass/fatal", "oauth.refresh": "pass/fatal"},
			[]string{"pre-registered confidential client"}},
		{"no registration endpoint and no client_id",
			mcpserver.Options{OAuth: true, NoRegistration: true}, nil,
			"fail", map[string]string{"oauth.dcr": "fail/fatal"}, []string{"set oracle.mcp.oauth.client_id"}},
		{"client ID metadata document",
			mcpserver.Options{OAuth: true, NoRegistration: true, ClientIDMetadata: true},
			func(c *testConfig) { c.MCP.OAuth.ClientMetadataURL = docURL },
			"pass", map[string]string{"oauth.dcr": "skip/fatal", "oauth.token": "pass/fatal"}, []string{"client_id is " + docURL}},
		{"the metadata's hint when a document would do",
			mcpserver.Options{OAuth: true, NoRegistration: true, ClientIDMetadata: true}, nil,
			"fail", map[string]string{"oauth.dcr": "fail/fatal"}, []string{"client_metadata_url"}},
		{"scopes from the resource metadata when the challenge has none",
			mcpserver.Options{OAuth: true, Scope: "mcp:tools offline_access", ScopeInMetadata: true}, nil,
			"pass", map[string]string{"oauth.scope": "pass/warning", "oauth.token": "pass/fatal", "oauth.refresh": "pass/fatal"},
			[]string{"requesting the resource's scopes_supported: mcp:tools offline_access"}},
		{"null members in the registration response",
			mcpserver.Options{OAuth: true, NullRegistration: true}, nil,
			"pass", map[string]string{"oauth.dcr.nulls": "fail/warning", "oauth.dcr": "pass/fatal"}, []string{"null members (client_secret, logo_uri)"}},
		{"issuer with a trailing slash, spec",
			mcpserver.Options{OAuth: true, IssuerTrailingSlash: true}, nil,
			"fail", map[string]string{"oauth.as-metadata.issuer-matches": "fail/fatal"}, []string{"differ only by a trailing slash"}},
		{"issuer with a trailing slash, claude",
			mcpserver.Options{OAuth: true, IssuerTrailingSlash: true}, func(c *testConfig) { c.Profile = []string{"claude"} },
			"pass", map[string]string{"oauth.as-metadata.issuer-matches": "fail/warning", "oauth.claude.issuer": "fail/warning", "oauth.token": "pass/fatal"},
			[]string{"does not compare the issuer"}},
		{"issuer with a trailing slash, all",
			mcpserver.Options{OAuth: true, IssuerTrailingSlash: true}, func(c *testConfig) { c.Profile = []string{"all"} },
			"fail", map[string]string{"oauth.as-metadata.issuer-matches": "fail/fatal", "oauth.vscode.issuer": "fail/warning"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, tgt := serve(t, tc.opts)
			c := oracleConfig()
			if tc.cfg != nil {
				tc.cfg(&c)
			}
			v, err := newOracle(c, nil).Check(context.Background(), tgt)
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
			for _, d := range tc.detail {
				if !strings.Contains(out, d) {
					t.Errorf("no detail says %q", d)
				}
			}
			if strings.Contains(out, secret) {
				t.Errorf("the client secret leaks into the verdict")
			}
			if t.Failed() {
				t.Log(out)
			}
		})
	}
}

// TestOAuthIssuerNamesBoth: a failing issuer check names both strings, and
// an exact match passes.
func TestOAuthIssuerNamesBoth(t *testing.T) {
	srv := httptest.NewServer(mcpserver.New(mcpserver.Options{OAuth: true, IssuerTrailingSlash: true}))
	t.Cleanup(srv.Close)
	v, err := newOracle(oracleConfig(), nil).Check(context.Background(), target(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(v.Checks, func(c oracles.Check) bool { return c.ID == "oauth.as-metadata.issuer-matches" })
	if i < 0 || v.Checks[i].Status != oracles.Fail || !strings.Contains(v.Checks[i].Detail, `"`+srv.URL+`/"`) || !strings.Contains(v.Checks[i].Detail, `"`+srv.URL+`"`) {
		t.Fatalf("issuer check does not fail naming %q and %q\n%s", srv.URL+"/", srv.URL, dump(v))
	}
}
