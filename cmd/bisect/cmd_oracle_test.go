package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/fixtures/mcpserver"
)

// runBisect runs the command line through the real root command and returns
// the process exit code and what was printed.
func runBisect(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd(&out, &errOut)
	root.SetArgs(args)
	code = exitCode(root.ExecuteContext(context.Background()), &errOut)
	return code, out.String(), errOut.String()
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bisect.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// httpSteps is an http oracle config with no runner section at all: bisect
// oracle must not ask for runner.start.
const httpSteps = `
oracle:
  kind: http
  steps:
    - name: health
      url: "{{.BaseURL}}/health"
      expect:
        status: 200
        json: {status: ok}
    - name: login
      method: POST
      url: "{{.BaseURL}}/login"
      json: {userName: alice}
      capture: {sessionToken: "json:$.sessionToken"}
    - name: me
      url: "{{.BaseURL}}/me"
      headers: {Authorization: "Bearer {{.sessionToken}}"}
      expect:
        match: {$.user.displayName: "^Alice"}
`

func newOracleFixture(t *testing.T, healthStatus int) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(healthStatus)
		fmt.Fprint(w, `{"status": "ok"}`)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		if json.NewDecoder(r.Body).Decode(&body) != nil || body["userName"] != "alice" {
			http.Error(w, "who?", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, `{"sessionToken": "sess-0a1b2c3d4e5f"}`)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sess-0a1b2c3d4e5f" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"user": {"displayName": "Alice Liddell"}}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestOracleCommand(t *testing.T) {
	healthy := newOracleFixture(t, http.StatusOK)
	broken := newOracleFixture(t, http.StatusServiceUnavailable)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	httpConfig := writeConfig(t, httpSteps)

	mcpHealthy := httptest.NewServer(mcpserver.New(mcpserver.Options{}))
	t.Cleanup(mcpHealthy.Close)
	mcpDotted := httptest.NewServer(mcpserver.New(mcpserver.Options{DottedName: true}))
	t.Cleanup(mcpDotted.Close)
	mcpEmptyProps := httptest.NewServer(mcpserver.New(mcpserver.Options{PropertiesArray: true}))
	t.Cleanup(mcpEmptyProps.Close)
	mcpTypeList := httptest.NewServer(mcpserver.New(mcpserver.Options{NullableArrayType: true}))
	t.Cleanup(mcpTypeList.Close)

	// An exec command runs in --dir, else in the config's project (relative
	// to the config, as a run takes it).
	markerDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(markerDir, "marker"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	projectConfig := filepath.Join(markerDir, "bisect.yaml")
	if err := os.WriteFile(projectConfig, []byte("project: .\noracle: {kind: exec, command: 'test -f marker'}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr []string // substrings
	}{
		{name: "http pass", args: []string{"oracle", "--url", healthy.URL, "--config", httpConfig}, code: 0,
			stdout: []string{"ID  ", "SEVERITY", "step.me.match.$.user.displayName  fatal     pass", "verdict: pass"}},
		{name: "http fatal check fails", args: []string{"oracle", "--url", broken.URL, "--config", httpConfig}, code: 1,
			stdout: []string{"expected 200, got 503", "step.login  ", "skip", "verdict: fail (first failing check: step.health.status)"}},
		{name: "nothing listening", args: []string{"oracle", "--url", closed.URL, "--config", httpConfig}, code: 2,
			stderr: []string{"nothing is listening"}},
		{name: "unknown flag", args: []string{"oracle", "--nope"}, code: 2, stderr: []string{"unknown flag: --nope"}},
		{name: "no url", args: []string{"oracle", "--config", httpConfig}, code: 2, stderr: []string{"--url: the http oracle needs the URL"}},
		{name: "not an http url", args: []string{"oracle", "--url", "ftp://127.0.0.1/", "--config", httpConfig}, code: 2, stderr: []string{`"ftp://127.0.0.1/" is not an http://`}},
		{name: "invalid config", args: []string{"oracle", "--url", healthy.URL, "--config", writeConfig(t, "oracle: {kind: soap}\n")}, code: 2,
			stderr: []string{`oracle.kind: "soap" is not mcp, http or exec`}},
		{name: "invalid step", args: []string{"oracle", "--url", healthy.URL, "--config", writeConfig(t, "oracle: {kind: http, steps: [{url: x, capture: {a: 'cookie:b'}}]}\n")}, code: 2,
			stderr: []string{`oracle.steps[0].capture.a`}},
		{name: "bad profile flag", args: []string{"oracle", "--url", mcpHealthy.URL + "/mcp", "--profile", "strict"}, code: 2,
			stderr: []string{`oracle.profile: "strict" is not a profile (spec, claude, gemini, openai, cursor, vscode, or all)`}},
		{name: "exec sees oracle.path joined to the url", args: []string{"oracle", "--url", healthy.URL + "/x", "--config",
			writeConfig(t, "oracle:\n  kind: exec\n  path: /mcp\n  command: test \"$BISECT_URL\" = \"$EXPECTED_URL\"\n")}, code: 0,
			stdout: []string{"exec.exit  fatal     pass    exit 0", "verdict: pass"}},
		{name: "exec runs in --dir", args: []string{"oracle", "--dir", markerDir, "--config", writeConfig(t, "oracle: {kind: exec, command: 'test -f marker'}\n")}, code: 0,
			stdout: []string{"verdict: pass"}},
		{name: "exec runs in the config's project", args: []string{"oracle", "--config", projectConfig}, code: 0, stdout: []string{"verdict: pass"}},
		{name: "exec --dir wins over the project", args: []string{"oracle", "--dir", t.TempDir(), "--config", projectConfig}, code: 1, stdout: []string{"verdict: fail"}},
		{name: "exec --dir missing", args: []string{"oracle", "--dir", filepath.Join(markerDir, "nope"), "--config", projectConfig}, code: 2, stderr: []string{"not a directory"}},
		{name: "exec without url fails", args: []string{"oracle", "--config", writeConfig(t, "oracle: {kind: exec, command: 'echo no server; exit 3'}\n")}, code: 1,
			stdout: []string{"exit 3: no server", "output (tail):\nno server\n"}},
		{name: "exec untestable", args: []string{"oracle", "--config", writeConfig(t, "oracle: {kind: exec, command: 'exit 125'}\n")}, code: 2,
			stdout: []string{"verdict: fail (untestable)"}, stderr: []string{"cannot be tested"}},
		{name: "mcp pass", args: []string{"oracle", "--url", mcpHealthy.URL + "/mcp"}, code: 0, stdout: []string{"verdict: pass"}},
		{name: "the shipped example config", args: []string{"oracle", "--url", mcpHealthy.URL + "/mcp", "--config", "../../config.example.yaml"}, code: 0,
			stdout: []string{"verdict: pass"}},
		{name: "mcp spec accepts a dotted name", args: []string{"oracle", "--url", mcpDotted.URL + "/mcp"}, code: 0, stdout: []string{"verdict: pass"}},
		{name: "mcp claude rejects a dotted name", args: []string{"oracle", "--url", mcpDotted.URL + "/mcp", "--profile", "claude"}, code: 1,
			stdout: []string{"files.read", "verdict: fail"}},
		{name: "mcp a profile list as one flag", args: []string{"oracle", "--url", mcpTypeList.URL + "/mcp", "--profile", "claude,gemini"}, code: 1,
			stdout: []string{"tools.claude.name-pattern", "fatal     fail    tool \"search\": inputSchema.properties.tags.type is [\"null\",\"array\"]", "verdict: fail (first failing check: tools.gemini.type-single)"}},
		{name: "mcp a profile list in the config", args: []string{"oracle", "--url", mcpTypeList.URL + "/mcp", "--config", writeConfig(t, "oracle: {profile: [claude, gemini]}\n")}, code: 1,
			stdout: []string{"verdict: fail (first failing check: tools.gemini.type-single)"}},
		{name: "mcp one profile in the config", args: []string{"oracle", "--url", mcpTypeList.URL + "/mcp", "--config", writeConfig(t, "oracle: {profile: claude}\n")}, code: 0,
			stdout: []string{"tools.claude.name-pattern", "verdict: pass"}},
		{name: "mcp the client matrix", args: []string{"oracle", "--url", mcpTypeList.URL + "/mcp", "--profile", "all"}, code: 1,
			stdout: []string{"CHECK", "SPEC  CLAUDE  GEMINI  OPENAI  CURSOR  VSCODE",
				"tools.gemini.type-single              ·     ·       FAIL    ·       ·       ·",
				"tools.openai.strict                   ·     ·       ·       warn    ·       ·",
				"usable                                yes   yes     NO      yes     yes     yes", "verdict: fail"}},
		{name: "mcp empty properties array", args: []string{"oracle", "--url", mcpEmptyProps.URL + "/mcp"}, code: 1, stdout: []string{"verdict: fail"}},
	}
	t.Setenv("EXPECTED_URL", healthy.URL+"/x/mcp")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runBisect(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout does not contain %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr does not contain %q:\n%s", s, stderr)
				}
			}
			if strings.Contains(stdout+stderr, "sess-0a1b2c3d4e5f") {
				t.Errorf("the session token was printed")
			}
		})
	}
}

// TestOracleCommandJSON checks the --json contract other tools read.
func TestOracleCommandJSON(t *testing.T) {
	healthy := newOracleFixture(t, http.StatusOK)
	broken := newOracleFixture(t, http.StatusServiceUnavailable)
	cfg := writeConfig(t, httpSteps)
	for _, tt := range []struct {
		url     string
		code    int
		verdict string
	}{{healthy.URL, 0, "pass"}, {broken.URL, 1, "fail"}} {
		t.Run(tt.verdict, func(t *testing.T) {
			code, stdout, stderr := runBisect(t, "oracle", "--url", tt.url, "--config", cfg, "--json")
			if code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr %s", code, tt.code, stderr)
			}
			var got struct {
				Verdict string                       `json:"verdict"`
				Checks  []map[string]json.RawMessage `json:"checks"`
			}
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
			}
			if got.Verdict != tt.verdict || len(got.Checks) == 0 {
				t.Fatalf("verdict %q with %d checks, want %q", got.Verdict, len(got.Checks), tt.verdict)
			}
			for _, c := range got.Checks {
				for _, k := range []string{"id", "severity", "status", "detail", "spec"} {
					if _, ok := c[k]; !ok {
						t.Errorf("check %s has no %q", c["id"], k)
					}
				}
			}
		})
	}
}
