package httpsteps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/lockbisect/lockbisect/internal/redact"
	"github.com/lockbisect/lockbisect/oracles"
)

// HTTP judges a server by declarative request steps (oracle.steps):
// each step sends one request and checks its response; captures carry values
// (a header, a JSON value, a query parameter of Location) to later steps.
type Oracle struct {
	cfg settings
	log *slog.Logger

	// MaxBody bounds each response body in bytes; 0 = 1 MiB. A larger body
	// fails the step's body check.
	MaxBody int64
	// Transport is the HTTP transport; nil = a fresh http.Transport per
	// check, so no connection outlives a candidate.
	Transport http.RoundTripper
}

var _ oracles.Oracle = (*Oracle)(nil)

// New returns the http oracle for c. c.Path is joined to the target's
// base URL to make {{.BaseURL}}; zero values take the documented defaults.
func New(oc oracles.Config, own Config, log *slog.Logger) *Oracle {
	c := settings{oc, own}
	c.Config.Defaults(nil)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Oracle{cfg: c, log: log}
}

// httpStepTimeout is a step's timeout when its config leaves it zero.
const httpStepTimeout = 30 * time.Second

// httpCapture is a parsed capture spec: "header:X", "json:PATH" or
// "location:PARAM".
type httpCapture struct {
	name, kind, arg string
	path            dotPath
}

// httpStep is a step with its name settled and its patterns compiled.
type httpStep struct {
	Step
	key      string // config key prefix for spec references: oracle.steps[i]
	headers  map[string]*regexp.Regexp
	match    map[string]*regexp.Regexp
	paths    map[string]dotPath // expect.json and expect.match paths
	captures []httpCapture
}

// compile checks every step of the config and returns them ready to run, or
// Invalid returns what makes the steps unusable, or nil: the registry
// reports it before any candidate is built.
func (h *Oracle) Invalid() error {
	_, err := h.compile()
	return err
}

// an error naming the config key at fault.
func (h *Oracle) compile() ([]httpStep, error) {
	if err := h.cfg.own.Validate(); err != nil {
		return nil, err
	}
	steps := make([]httpStep, 0, len(h.cfg.Steps))
	seen := map[string]bool{}
	captured := map[string]bool{"BaseURL": true, "Host": true, "Port": true}
	for i, s := range h.cfg.Steps {
		st := httpStep{Step: s, key: fmt.Sprintf("oracle.steps[%d]", i), headers: map[string]*regexp.Regexp{}, match: map[string]*regexp.Regexp{}, paths: map[string]dotPath{}}
		if st.Name == "" {
			st.Name = strconv.Itoa(i + 1)
		}
		if seen[st.Name] {
			return nil, fmt.Errorf("%s.name: %q is used by an earlier step", st.key, st.Name)
		}
		seen[st.Name] = true
		bodies := 0
		for _, set := range []bool{s.JSON != nil, len(s.Form) > 0, s.Body != ""} {
			if set {
				bodies++
			}
		}
		if bodies > 1 {
			return nil, fmt.Errorf("%s: json, form and body are exclusive; set one", st.key)
		}
		texts := map[string]string{"url": s.URL, "body": s.Body}
		for k, v := range s.Headers {
			texts["headers."+k] = v
		}
		for k, v := range s.Form {
			texts["form."+k] = v
		}
		for k, v := range texts {
			if _, err := template.New(k).Parse(v); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", st.key, k, err)
			}
		}
		if err := walkStrings(s.JSON, func(v string) error {
			_, err := template.New("json").Parse(v)
			return err
		}); err != nil {
			return nil, fmt.Errorf("%s.json: %w", st.key, err)
		}
		if s.URL == "" {
			return nil, fmt.Errorf("%s.url: a step needs a URL (a template such as {{.BaseURL}}/health)", st.key)
		}
		for name, expr := range s.Expect.Headers {
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("%s.expect.headers.%s: %w", st.key, name, err)
			}
			st.headers[name] = re
		}
		for p, expr := range s.Expect.Match {
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("%s.expect.match.%s: %w", st.key, p, err)
			}
			st.match[p] = re
		}
		for p := range mergeKeys(s.Expect.JSON, s.Expect.Match) {
			dp, err := parseDotPath(p)
			if err != nil {
				return nil, fmt.Errorf("%s.expect: %w", st.key, err)
			}
			st.paths[p] = dp
		}
		for _, name := range slices.Sorted(maps.Keys(s.Capture)) {
			c, err := parseCapture(name, s.Capture[name])
			if err != nil {
				return nil, fmt.Errorf("%s.capture.%s: %w", st.key, name, err)
			}
			if captured[name] {
				return nil, fmt.Errorf("%s.capture.%s: the name is already taken by an earlier capture or a built-in", st.key, name)
			}
			captured[name] = true
			st.captures = append(st.captures, c)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

func parseCapture(name, spec string) (httpCapture, error) {
	kind, arg, ok := strings.Cut(spec, ":")
	if !ok || arg == "" {
		return httpCapture{}, fmt.Errorf("%q is not header:NAME, json:PATH or location:PARAM", spec)
	}
	c := httpCapture{name: name, kind: kind, arg: arg}
	switch kind {
	case "header", "location":
	case "json":
		p, err := parseDotPath(arg)
		if err != nil {
			return httpCapture{}, err
		}
		c.path = p
	default:
		return httpCapture{}, fmt.Errorf("%q: capture kind %q is not header, json or location", spec, kind)
	}
	return c, nil
}

// Check runs the steps in order and returns a check per expectation. A step
// whose fatal check fails ends the run; the later steps are reported as
// skipped. It returns an error when the config is invalid, when nothing
// listens at the target or when ctx is cancelled (the oracle could not run).
func (h *Oracle) Check(ctx context.Context, t oracles.Target) (*oracles.Result, error) {
	steps, err := h.compile()
	if err != nil {
		return nil, fmt.Errorf("http oracle: %w", err)
	}
	base, err := oracles.JoinURL(t.BaseURL, h.cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("http oracle: the target serves nothing (empty base URL); the http oracle needs runner.start")
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()

	tr := h.Transport
	if tr == nil {
		ht := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}
		defer ht.CloseIdleConnections()
		tr = ht
	}
	jar, _ := cookiejar.New(nil) // cookiejar.New never fails without a public suffix list
	data := map[string]string{"BaseURL": base, "Host": t.Host, "Port": ""}
	if t.Port > 0 {
		data["Port"] = strconv.Itoa(t.Port)
	}
	var (
		checks  []oracles.Check
		secrets []string
		failed  string
		reached bool
	)
	for _, st := range steps {
		if failed != "" {
			checks = append(checks, oracles.Check{ID: "step." + st.Name, Severity: oracles.Fatal, Status: oracles.Skip, Detail: "skipped: step " + failed + " failed", Spec: st.key})
			continue
		}
		client := &http.Client{Transport: tr, Jar: jar}
		if !st.Follow {
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		}
		res := h.runStep(ctx, client, st, data)
		if err := parent.Err(); err != nil {
			// Cancelled by the caller: not a verdict on the server.
			return nil, fmt.Errorf("http oracle: %w", err)
		}
		if res.unreachable && !reached {
			return nil, fmt.Errorf("http oracle: step %s: %s: %w", st.Name, redact.String(res.target, secrets...), oracles.ErrUnreachable)
		}
		reached = reached || !res.unreachable
		for _, c := range st.captures {
			if v, ok := data[c.name]; ok {
				secrets = append(secrets, v)
			}
		}
		checks = append(checks, res.checks...)
		for _, c := range res.checks {
			if c.Severity == oracles.Fatal && c.Status == oracles.Fail {
				failed = st.Name
				break
			}
		}
	}
	v := &oracles.Result{Verdict: oracles.Pass, Checks: checks}
	for i := range v.Checks {
		v.Checks[i].Detail = redact.String(v.Checks[i].Detail, secrets...)
	}
	if !v.Passed() {
		v.Verdict = oracles.Fail
		// oracle.timeout ran out (the caller's cancellation returned
		// above): timeout_is_untestable decides what a hang is.
		v.Untestable = ctx.Err() != nil && h.cfg.TimeoutIsUntestable
	}
	h.log.DebugContext(ctx, "http oracle done", "verdict", v.Verdict, "checks", len(v.Checks))
	return v, nil
}

// httpResult is what one step produced.
type httpResult struct {
	checks      []oracles.Check
	target      string // METHOD URL, for the unreachable error
	unreachable bool
}

// runStep sends one step's request and checks its response. Captures are
// written into data for the steps after it.
func (h *Oracle) runStep(ctx context.Context, client *http.Client, st httpStep, data map[string]string) httpResult {
	var res httpResult
	add := func(id, suffix string, ok bool, detail string, args ...any) {
		status := oracles.Pass
		if !ok {
			status = oracles.Fail
		}
		res.checks = append(res.checks, oracles.Check{ID: "step." + st.Name + "." + id, Severity: oracles.Fatal, Status: status, Detail: fmt.Sprintf(detail, args...), Spec: st.key + suffix})
	}
	timeout := st.Timeout
	if timeout <= 0 {
		timeout = httpStepTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := buildRequest(ctx, st, data)
	if err != nil {
		add("request", "", false, "%v", err)
		return res
	}
	res.target = req.Method + " " + req.URL.String()
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		res.unreachable = oracles.Unreachable(err)
		add("request", "", false, "%s: %v", res.target, err)
		return res
	}
	defer resp.Body.Close()
	limit := h.MaxBody
	if limit <= 0 {
		limit = 1 << 20
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	h.log.DebugContext(ctx, "http oracle step", "step", st.Name, "method", req.Method, "status", resp.StatusCode, "bytes", len(body), "elapsed", time.Since(start))
	if err != nil {
		add("body", "", false, "%s: reading the response: %v", res.target, err)
		return res
	}
	if int64(len(body)) > limit {
		add("body", "", false, "%s: the response is larger than %d bytes", res.target, limit)
		return res
	}

	want, got := "2xx", resp.StatusCode
	ok := got >= 200 && got < 300
	if st.Expect.Status != 0 {
		want, ok = strconv.Itoa(st.Expect.Status), got == st.Expect.Status
	}
	if ok {
		add("status", ".expect.status", true, "expected %s, got %d", want, got)
	} else {
		add("status", ".expect.status", false, "expected %s, got %d: %s", want, got, oracles.Snippet(body))
	}

	for _, name := range slices.Sorted(maps.Keys(st.headers)) {
		re := st.headers[name]
		vals, present := resp.Header[http.CanonicalHeaderKey(name)]
		switch {
		case !present:
			add("header."+name, ".expect.headers."+name, false, "expected header %s matching %s, got no such header", name, re)
		default:
			v := strings.Join(vals, ", ")
			add("header."+name, ".expect.headers."+name, re.MatchString(v), "expected header %s matching %s, got %q", name, re, v)
		}
	}

	var doc any
	var docErr error
	needDoc := len(st.paths) > 0 || slices.ContainsFunc(st.captures, func(c httpCapture) bool { return c.kind == "json" })
	if needDoc {
		docErr = decodeJSON(body, &doc)
		if docErr != nil {
			docErr = fmt.Errorf("the response is not JSON (%v): %s", docErr, oracles.Snippet(body))
		}
	}
	lookup := func(p dotPath) (any, error) {
		if docErr != nil {
			return nil, docErr
		}
		return p.eval(doc)
	}
	for _, p := range slices.Sorted(maps.Keys(st.Expect.JSON)) {
		got, err := lookup(st.paths[p])
		if err != nil {
			add("json."+p, ".expect.json."+p, false, "%v", err)
			continue
		}
		want, err := normalizeJSON(st.Expect.JSON[p])
		if err != nil {
			add("json."+p, ".expect.json."+p, false, "the expected value cannot be JSON: %v", err)
			continue
		}
		add("json."+p, ".expect.json."+p, jsonEqual(want, got), "expected %s, got %s", oracles.JSONText(want), oracles.JSONText(got))
	}
	for _, p := range slices.Sorted(maps.Keys(st.match)) {
		got, err := lookup(st.paths[p])
		if err != nil {
			add("match."+p, ".expect.match."+p, false, "%v", err)
			continue
		}
		text := matchText(got)
		add("match."+p, ".expect.match."+p, st.match[p].MatchString(text), "expected a value matching %s, got %q", st.match[p], text)
	}

	for _, c := range st.captures {
		v, err := captureValue(c, resp, lookup)
		if err != nil {
			add("capture."+c.name, ".capture."+c.name, false, "%v", err)
			continue
		}
		data[c.name] = v
		add("capture."+c.name, ".capture."+c.name, true, "captured %d bytes from %s", len(v), c.kind)
	}
	return res
}

// buildRequest expands a step's templates into a request.
func buildRequest(ctx context.Context, st httpStep, data map[string]string) (*http.Request, error) {
	rawURL, err := expand("url", st.URL, data)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url: %q is not an absolute http(s) URL", rawURL)
	}
	var body io.Reader
	contentType := ""
	switch {
	case st.JSON != nil:
		v, err := expandJSON(st.JSON, data)
		if err != nil {
			return nil, fmt.Errorf("json: %w", err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("json: %w", err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	case len(st.Form) > 0:
		form := url.Values{}
		for _, k := range slices.Sorted(maps.Keys(st.Form)) {
			v, err := expand("form."+k, st.Form[k], data)
			if err != nil {
				return nil, err
			}
			form.Set(k, v)
		}
		body, contentType = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	case st.Body != "":
		b, err := expand("body", st.Body, data)
		if err != nil {
			return nil, err
		}
		body = strings.NewReader(b)
	}
	method := strings.ToUpper(st.Method)
	if method == "" {
		method = http.MethodGet
		if body != nil {
			method = http.MethodPost
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("method %q: %w", method, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, k := range slices.Sorted(maps.Keys(st.Headers)) {
		v, err := expand("headers."+k, st.Headers[k], data)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	return req, nil
}

// expand executes one template; a name it does not know (a capture that
// failed or was never made) is an error rather than an empty string.
func expand(key, text string, data map[string]string) (string, error) {
	tpl, err := template.New(key).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	var b strings.Builder
	if err := tpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	return b.String(), nil
}

// expandJSON copies a JSON body with every string expanded as a template.
func expandJSON(v any, data map[string]string) (any, error) {
	switch x := v.(type) {
	case string:
		return expand("json", x, data)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ev, err := expandJSON(e, data)
			if err != nil {
				return nil, err
			}
			out[k] = ev
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			ev, err := expandJSON(e, data)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	}
	return v, nil
}

// walkStrings calls fn on every string inside a JSON-like value.
func walkStrings(v any, fn func(string) error) error {
	switch x := v.(type) {
	case string:
		return fn(x)
	case map[string]any:
		for _, e := range x {
			if err := walkStrings(e, fn); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := walkStrings(e, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func captureValue(c httpCapture, resp *http.Response, lookup func(dotPath) (any, error)) (string, error) {
	switch c.kind {
	case "header":
		vals, ok := resp.Header[http.CanonicalHeaderKey(c.arg)]
		if !ok {
			return "", fmt.Errorf("header %s: the response has no such header", c.arg)
		}
		return strings.Join(vals, ", "), nil
	case "location":
		loc, err := resp.Location()
		if err != nil {
			return "", fmt.Errorf("location: %w", err)
		}
		q := loc.Query()
		if !q.Has(c.arg) {
			return "", fmt.Errorf("location: the redirect has no query parameter %q", c.arg)
		}
		return q.Get(c.arg), nil
	}
	v, err := lookup(c.path)
	if err != nil {
		return "", err
	}
	return matchText(v), nil
}

// decodeJSON decodes one JSON document keeping numbers as json.Number, so
// that a captured id keeps every digit.
func decodeJSON(b []byte, v *any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

// normalizeJSON turns a config value (YAML-decoded) into what decodeJSON
// makes of the same JSON.
func normalizeJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = decodeJSON(b, &out)
	return out, err
}

// jsonEqual compares decoded JSON values; numbers compare by value, so that
// 1 equals 1.0.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		fx, errx := x.Float64()
		fy, erry := y.Float64()
		return errx == nil && erry == nil && fx == fy
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// matchText is the text a regexp sees: a string as is, anything else as JSON.
func matchText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v) // decoded JSON always marshals
	return string(b)
}

func mergeKeys[A, B any](a map[string]A, b map[string]B) map[string]bool {
	keys := make(map[string]bool, len(a)+len(b))
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}

// dotPath is a parsed JSON path: segments separated by dots, optionally
// after "$" ("$", "$.result.tools.0.name", "result.tools"). A segment of
// digits indexes an array; on an object every segment is a key.
type dotPath []string

func parseDotPath(s string) (dotPath, error) {
	rest := s
	switch {
	case s == "$":
		return dotPath{}, nil
	case strings.HasPrefix(s, "$."):
		rest = s[2:]
	case s == "":
		return nil, errors.New("json path: empty (use $ for the whole document)")
	}
	segs := strings.Split(rest, ".")
	for _, seg := range segs {
		if seg == "" {
			return nil, fmt.Errorf("json path %q: empty segment", s)
		}
	}
	return dotPath(segs), nil
}

// String is the path in its canonical "$.a.b" form.
func (p dotPath) String() string {
	if len(p) == 0 {
		return "$"
	}
	return "$." + strings.Join(p, ".")
}

// eval follows the path through a value decoded by encoding/json.
func (p dotPath) eval(doc any) (any, error) {
	cur := doc
	for i, seg := range p {
		at := p[:i].String()
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[seg]
			if !ok {
				return nil, fmt.Errorf("json path %s: %s has no key %q", p, at, seg)
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 || strings.TrimLeft(seg, "0123456789") != "" {
				return nil, fmt.Errorf("json path %s: %s is an array, and %q is not an index", p, at, seg)
			}
			if n >= len(v) {
				return nil, fmt.Errorf("json path %s: %s has %d elements, no index %d", p, at, len(v), n)
			}
			cur = v[n]
		default:
			return nil, fmt.Errorf("json path %s: %s is %s, not an object or array", p, at, oracles.JSONKind(cur))
		}
	}
	return cur, nil
}
