package httpsteps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/oracles"
)

// secretToken is what the fixture's token endpoint issues; no check detail
// may ever show it.
const secretToken = "tok-4f9c2b7e-very-secret"

// newHTTPFixture serves a small login → authorize → token → API flow on
// 127.0.0.1, with a few broken endpoints beside it.
func newHTTPFixture(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("user") != "alice" || r.FormValue("password") != "wonderland" {
			http.Error(w, "bad credentials", http.StatusForbidden)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s-1", Path: "/"})
		http.Redirect(w, r, "/authorize?state=xyz", http.StatusFound)
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err != nil || c.Value != "s-1" {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, "/callback?code=code-123456&state="+r.URL.Query().Get("state"), http.StatusFound)
	})
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "done")
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Code, Client string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Code != "code-123456" || req.Client != "c-"+r.Host {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token": %q, "expires_in": 3600}`, secretToken)
	})
	mux.HandleFunc("GET /api/tools", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secretToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "r-42")
		fmt.Fprint(w, `{"result": {"tools": [{"name": "echo", "inputSchema": {"type": "object", "properties": []}}], "count": 1, "id": 12345678901234567890}}`)
	})
	mux.HandleFunc("GET /leak", func(w http.ResponseWriter, r *http.Request) {
		// A server that echoes the credential in an error page.
		http.Error(w, "rejected "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat("x", 4096))
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /text", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "not json")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// targetOf is the Target a runner would hand over for srv.
func targetOf(t *testing.T, srv *httptest.Server) oracles.Target {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return oracles.Target{BaseURL: srv.URL, Host: u.Hostname(), Port: port}
}

// flowSteps is the healthy flow through the fixture, as a user would write it.
func flowSteps() []Step {
	return []Step{
		{Name: "login", Method: "POST", URL: "{{.BaseURL}}/login", Form: map[string]string{"user": "alice", "password": "wonderland"},
			Expect: Expect{Status: 302, Headers: map[string]string{"Location": `^/authorize\?`}}},
		{Name: "authorize", URL: "{{.BaseURL}}/authorize?state=xyz", Expect: Expect{Status: 302},
			Capture: map[string]string{"code": "location:code"}},
		{Name: "token", URL: "{{.BaseURL}}/token", JSON: map[string]any{"code": "{{.code}}", "client": "c-{{.Host}}:{{.Port}}"},
			Expect: Expect{JSON: map[string]any{"expires_in": 3600}}, Capture: map[string]string{"token": "json:$.access_token"}},
		{Name: "tools", URL: "{{.BaseURL}}/api/tools", Headers: map[string]string{"Authorization": "Bearer {{.token}}"},
			Expect: Expect{
				Status:  200,
				Headers: map[string]string{"content-type": "^application/json"},
				JSON:    map[string]any{"result.tools.0.name": "echo", "$.result.count": 1.0},
				Match:   map[string]string{"result.tools.0.inputSchema.type": "^object$"},
			},
			Capture: map[string]string{"rid": "header:X-Request-Id", "big": "json:result.id"}},
		{Name: "echo-capture", URL: "{{.BaseURL}}/callback?rid={{.rid}}&id={{.big}}", Expect: Expect{Status: 200}},
	}
}

func TestHTTPCheck(t *testing.T) {
	srv := newHTTPFixture(t)
	target := targetOf(t, srv)
	withStep := func(i int, edit func(*Step)) []Step {
		steps := flowSteps()
		edit(&steps[i])
		return steps
	}
	tests := []struct {
		name      string
		steps     []Step
		maxBody   int64
		wantFail  string // id of the first failing fatal check; "" = pass
		detail    string // substring of its detail
		skipped   string // id of a check that must be skipped
		wantCheck string // id of a check that must pass
	}{
		{name: "healthy flow", steps: flowSteps(), wantCheck: "step.echo-capture.status"},
		{name: "wrong status", steps: withStep(3, func(s *Step) { s.URL = "{{.BaseURL}}/broken" }),
			wantFail: "step.tools.status", detail: "expected 200, got 500: boom"},
		{name: "any 2xx by default", steps: []Step{{Name: "b", URL: "{{.BaseURL}}/broken"}},
			wantFail: "step.b.status", detail: "expected 2xx, got 500"},
		{name: "header regexp", steps: withStep(3, func(s *Step) { s.Expect.Headers = map[string]string{"Content-Type": "^text/"} }),
			wantFail: "step.tools.header.Content-Type", detail: `expected header Content-Type matching ^text/, got "application/json"`},
		{name: "captured values are redacted", steps: withStep(3, func(s *Step) { s.Expect.Headers = map[string]string{"X-Request-Id": "^q-"} }),
			wantFail: "step.tools.header.X-Request-Id", detail: `got "[REDACTED]"`},
		{name: "missing header", steps: withStep(3, func(s *Step) { s.Expect.Headers = map[string]string{"X-Nope": "."} }),
			wantFail: "step.tools.header.X-Nope", detail: "got no such header"},
		{name: "json equals", steps: withStep(3, func(s *Step) { s.Expect.JSON = map[string]any{"result.tools.0.name": "other"} }),
			wantFail: "step.tools.json.result.tools.0.name", detail: `expected "other", got "echo"`},
		{name: "json object versus array", steps: withStep(3, func(s *Step) {
			s.Expect.JSON = map[string]any{"result.tools.0.inputSchema.properties": map[string]any{}}
		}), wantFail: "step.tools.json.result.tools.0.inputSchema.properties", detail: "expected {}, got []"},
		{name: "json path missing", steps: withStep(3, func(s *Step) { s.Expect.JSON = map[string]any{"result.tools.3.name": "echo"} }),
			wantFail: "step.tools.json.result.tools.3.name", detail: "has 1 elements, no index 3"},
		{name: "match regexp", steps: withStep(3, func(s *Step) { s.Expect.Match = map[string]string{"result.count": "^[2-9]$"} }),
			wantFail: "step.tools.match.result.count", detail: `got "1"`},
		{name: "not json", steps: []Step{{Name: "t", URL: "{{.BaseURL}}/text", Expect: Expect{JSON: map[string]any{"a": 1}}}},
			wantFail: "step.t.json.a", detail: "the response is not JSON"},
		{name: "capture missing stops later steps", steps: withStep(1, func(s *Step) { s.Capture = map[string]string{"code": "location:nope"} }),
			wantFail: "step.authorize.capture.code", detail: `no query parameter "nope"`, skipped: "step.token"},
		{name: "cookie jar carries the session", steps: flowSteps()[1:2],
			wantFail: "step.authorize.status", detail: "expected 302, got 401: no session"},
		{name: "redirect followed on request", steps: []Step{flowSteps()[0], {Name: "follow", URL: "{{.BaseURL}}/authorize?state=s", Follow: true, Expect: Expect{Status: 200}}},
			wantCheck: "step.follow.status"},
		{name: "body size bounded", steps: []Step{{Name: "big", URL: "{{.BaseURL}}/big"}}, maxBody: 1024,
			wantFail: "step.big.body", detail: "larger than 1024 bytes"},
		{name: "step timeout", steps: []Step{{Name: "slow", URL: "{{.BaseURL}}/slow", Timeout: 200 * time.Millisecond}},
			wantFail: "step.slow.request", detail: "deadline exceeded"},
		{name: "unknown capture in template", steps: []Step{{Name: "u", URL: "{{.BaseURL}}/callback?c={{.nope}}"}},
			wantFail: "step.u.request", detail: `map has no entry for key "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(oracles.Config{Kind: "http"}, Config{Steps: tt.steps}, nil)
			h.MaxBody = tt.maxBody
			v, err := h.Check(context.Background(), target)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			failed := v.Failed()
			if tt.wantFail == "" {
				if failed != nil || v.Verdict != "pass" {
					t.Fatalf("verdict %s, failed check %+v; want pass", v.Verdict, failed)
				}
			} else {
				if failed == nil || failed.ID != tt.wantFail || v.Verdict != "fail" {
					t.Fatalf("verdict %s, failed check %+v; want %s to fail\nchecks: %+v", v.Verdict, failed, tt.wantFail, v.Checks)
				}
				if !strings.Contains(failed.Detail, tt.detail) {
					t.Errorf("detail %q does not contain %q", failed.Detail, tt.detail)
				}
			}
			if tt.skipped != "" && statusOf(v, tt.skipped) != oracles.Skip {
				t.Errorf("check %s is %q, want skip", tt.skipped, statusOf(v, tt.skipped))
			}
			if tt.wantCheck != "" && statusOf(v, tt.wantCheck) != oracles.Pass {
				t.Errorf("check %s is %q, want pass", tt.wantCheck, statusOf(v, tt.wantCheck))
			}
			for _, c := range v.Checks {
				if strings.Contains(c.Detail, secretToken) {
					t.Errorf("check %s shows the token: %s", c.ID, c.Detail)
				}
			}
		})
	}
}

func statusOf(v *oracles.Result, id string) oracles.Status {
	for _, c := range v.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}

// TestHTTPRedactsCaptures makes the server echo the captured token back in an
// error page: the failing detail must show the page without the token.
func TestHTTPRedactsCaptures(t *testing.T) {
	srv := newHTTPFixture(t)
	steps := flowSteps()[:4]
	steps[3].URL = "{{.BaseURL}}/leak"
	var logs strings.Builder
	h := New(oracles.Config{Kind: "http"}, Config{Steps: steps}, slogTo(&logs))
	v, err := h.Check(context.Background(), targetOf(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	f := v.Failed()
	if f == nil || f.ID != "step.tools.status" {
		t.Fatalf("failed check %+v, want step.tools.status", f)
	}
	if strings.Contains(f.Detail, secretToken) || !strings.Contains(f.Detail, "rejected [REDACTED]") {
		t.Errorf("detail %q: want the token redacted", f.Detail)
	}
	out, _ := json.Marshal(v)
	if strings.Contains(string(out)+logs.String(), secretToken) {
		t.Errorf("the token reached the verdict or the log")
	}
}

func TestHTTPUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	target := targetOf(t, srv)
	srv.Close()
	h := New(oracles.Config{Kind: "http"}, Config{Steps: []Step{{Name: "a", URL: "{{.BaseURL}}/"}}}, nil)
	_, err := h.Check(context.Background(), target)
	if !errors.Is(err, oracles.ErrUnreachable) {
		t.Fatalf("Check against a closed port: %v, want oracles.ErrUnreachable", err)
	}
}

func TestHTTPCancelled(t *testing.T) {
	srv := newHTTPFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	h := New(oracles.Config{Kind: "http"}, Config{Steps: []Step{{Name: "slow", URL: "{{.BaseURL}}/slow"}}}, nil)
	v, err := h.Check(ctx, targetOf(t, srv))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Check cancelled by the caller: %+v, %v; want context.Canceled", v, err)
	}
}

// TestHTTPTimeoutIsUntestable: a check cut off by oracle.timeout fails,
// and oracle.timeout_is_untestable decides whether that hang is bad or
// untestable; a step's own timeout is an ordinary failing check.
func TestHTTPTimeoutIsUntestable(t *testing.T) {
	srv := newHTTPFixture(t)
	tests := []struct {
		name           string
		oracle, step   time.Duration
		isUntestable   bool
		wantUntestable bool
	}{
		{"hang is bad", 200 * time.Millisecond, 0, false, false},
		{"hang is untestable", 200 * time.Millisecond, 0, true, true},
		{"step timeout is a failing step", time.Minute, 200 * time.Millisecond, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(oracles.Config{Kind: "http", Timeout: tt.oracle, TimeoutIsUntestable: tt.isUntestable}, Config{Steps: []Step{{Name: "slow", URL: "{{.BaseURL}}/slow", Timeout: tt.step}}}, nil)
			v, err := h.Check(context.Background(), targetOf(t, srv))
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if f := v.Failed(); f == nil || v.Untestable != tt.wantUntestable {
				t.Errorf("failed check %+v, untestable %v; want a failure, untestable %v", f, v.Untestable, tt.wantUntestable)
			}
		})
	}
}

func TestHTTPPathJoined(t *testing.T) {
	srv := newHTTPFixture(t)
	h := New(oracles.Config{Kind: "http", Path: "/api/"}, Config{Steps: []Step{{Name: "a", URL: "{{.BaseURL}}tools", Expect: Expect{Status: 401}}}}, nil)
	v, err := h.Check(context.Background(), targetOf(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	if f := v.Failed(); f != nil {
		t.Fatalf("{{.BaseURL}} with oracle.path /api/: %+v", f)
	}
}

func TestHTTPConfigErrors(t *testing.T) {
	ok := Step{Name: "a", URL: "{{.BaseURL}}/"}
	tests := []struct {
		name  string
		steps []Step
		want  string
	}{
		{"no steps", nil, "oracle.steps: the http oracle needs at least one step"},
		{"no url", []Step{{Name: "a"}}, "oracle.steps[0].url: a step needs a URL"},
		{"duplicate name", []Step{ok, ok}, `oracle.steps[1].name: "a" is used by an earlier step`},
		{"two bodies", []Step{{URL: "x", Body: "b", Form: map[string]string{"a": "b"}}}, "oracle.steps[0]: json, form and body are exclusive"},
		{"bad template", []Step{{URL: "{{.BaseURL"}}, "oracle.steps[0].url:"},
		{"bad header regexp", []Step{{URL: "x", Expect: Expect{Headers: map[string]string{"X": "("}}}}, "oracle.steps[0].expect.headers.X: error parsing regexp"},
		{"bad path", []Step{{URL: "x", Expect: Expect{JSON: map[string]any{"a..b": 1}}}}, `json path "a..b": empty segment`},
		{"bad capture", []Step{{URL: "x", Capture: map[string]string{"c": "cookie:x"}}}, `oracle.steps[0].capture.c: "cookie:x": capture kind "cookie"`},
		{"capture shadows built-in", []Step{{URL: "x", Capture: map[string]string{"BaseURL": "header:X"}}}, "oracle.steps[0].capture.BaseURL: the name is already taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(oracles.Config{Kind: "http"}, Config{Steps: tt.steps}, nil).Invalid()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDotPath(t *testing.T) {
	doc := map[string]any{"result": map[string]any{"tools": []any{map[string]any{"name": "echo"}}, "0": "zero"}}
	tests := []struct {
		path, want, err string
	}{
		{path: "$", want: `{"result":{"0":"zero","tools":[{"name":"echo"}]}}`},
		{path: "result.tools.0.name", want: `"echo"`},
		{path: "$.result.tools.0", want: `{"name":"echo"}`},
		{path: "result.0", want: `"zero"`},
		{path: "result.tools.x", err: `$.result.tools is an array, and "x" is not an index`},
		{path: "result.tools.+0", err: `"+0" is not an index`},
		{path: "result.tools.1", err: "has 1 elements, no index 1"},
		{path: "result.nope", err: `$.result has no key "nope"`},
		{path: "result.tools.0.name.x", err: `$.result.tools.0.name is the string "echo", not an object or array`},
		{path: "", err: "empty"},
		{path: "$.", err: "empty segment"},
		{path: ".a", err: "empty segment"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := parseDotPath(tt.path)
			var v any
			if err == nil {
				v, err = p.eval(doc)
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("%q: error %v, want %q", tt.path, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := json.Marshal(v); string(got) != tt.want {
				t.Errorf("%q = %s, want %s", tt.path, got, tt.want)
			}
		})
	}
}

func TestJSONEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`1`, `1.0`, true},
		{`1`, `2`, false},
		{`"1"`, `1`, false},
		{`{"a":[1,{"b":null}]}`, `{"a":[1.0,{"b":null}]}`, true},
		{`{"a":1}`, `{"a":1,"b":2}`, false},
		{`[]`, `{}`, false},
		{`12345678901234567890`, `12345678901234567890`, true},
	}
	for _, tt := range tests {
		t.Run(tt.a+" "+tt.b, func(t *testing.T) {
			var a, b any
			if err := decodeJSON([]byte(tt.a), &a); err != nil {
				t.Fatal(err)
			}
			if err := decodeJSON([]byte(tt.b), &b); err != nil {
				t.Fatal(err)
			}
			if got := jsonEqual(a, b); got != tt.want {
				t.Errorf("jsonEqual(%s, %s) = %v", tt.a, tt.b, got)
			}
		})
	}
}

// FuzzDotPath checks that parsing never panics, that a parsed path survives
// its canonical form, and that evaluating it agrees with walking the
// document by hand.
func FuzzDotPath(f *testing.F) {
	f.Add("result.tools.0.name", []byte(`{"result":{"tools":[{"name":"x"}]}}`))
	f.Add("$", []byte(`[1,2]`))
	f.Add("$.a.1", []byte(`{"a":[null,{"b":1}]}`))
	f.Add("a..b", []byte(`{}`))
	f.Fuzz(func(t *testing.T, path string, doc []byte) {
		p, err := parseDotPath(path)
		if err != nil {
			return
		}
		q, err := parseDotPath(p.String())
		if err != nil || q.String() != p.String() || len(q) != len(p) {
			t.Fatalf("%q: canonical form %q parses to %q, %v", path, p.String(), q, err)
		}
		var v any
		if decodeJSON(doc, &v) != nil {
			return
		}
		got, err := p.eval(v)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "json path ") {
				t.Fatalf("error %q does not name the path", err)
			}
			return
		}
		cur := v
		for _, seg := range p {
			switch x := cur.(type) {
			case map[string]any:
				cur = x[seg]
			case []any:
				i, _ := strconv.Atoi(seg)
				cur = x[i]
			default:
				t.Fatalf("%q evaluated through %s", path, oracles.JSONKind(cur))
			}
		}
		if !jsonEqual(cur, got) {
			t.Fatalf("%q = %v, walking gives %v", path, got, cur)
		}
	})
}

// slogTo is a debug logger writing into w, so tests can grep what was logged.
func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
