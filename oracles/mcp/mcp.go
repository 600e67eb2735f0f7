package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"time"

	"github.com/lockbisect/lockbisect/internal/redact"
	"github.com/lockbisect/lockbisect/oracles"
)

// Spec references used by the mcp checks.
const (
	specTransport  = "https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#streamable-http"
	specSession    = "https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#session-management"
	specVersionHdr = "https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#protocol-version-header"
	specLifecycle  = "https://modelcontextprotocol.io/specification/2025-06-18/basic/lifecycle#initialization"
	specVersioning = "https://modelcontextprotocol.io/specification/2025-06-18/basic/lifecycle#version-negotiation"
	specTools      = "https://modelcontextprotocol.io/specification/2025-06-18/server/tools#tool"
	specListTools  = "https://modelcontextprotocol.io/specification/2025-06-18/server/tools#listing-tools"
	specCallTools  = "https://modelcontextprotocol.io/specification/2025-06-18/server/tools#calling-tools"
	specStructured = "https://modelcontextprotocol.io/specification/2025-06-18/server/tools#output-schema"
	specPagination = "https://modelcontextprotocol.io/specification/2025-06-18/server/utilities/pagination"
	specJSONRPC    = "https://www.jsonrpc.org/specification#response_object"
	specClaude     = "https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#specifying-client-tools"
)

// knownVersions are the MCP protocol revisions this oracle speaks; a server
// may negotiate any of them.
var knownVersions = map[string]bool{
	"2024-11-05": true,
	"2025-03-26": true,
	"2025-06-18": true,
	"2025-11-25": true,
}

// MCP judges a Model Context Protocol server over Streamable HTTP, with an
// OAuth 2.1 authorization first when the server asks for it (a 401) or the
// configuration forces it. It reads raw bytes rather than an SDK's types so
// that `[]` versus `{}`, `null`, header spelling and SSE framing stay visible.
//
// # Steps and checks
//
// For each configured protocol version: initialize, notifications/initialized,
// tools/list (every page), then each configured tools/call. With OAuth, once before: RFC 9728
// discovery, RFC 8414 / OpenID metadata, RFC 7591 registration, authorize with
// PKCE S256, state and RFC 8707 resource through the consent form, token
// exchange; and once after: a refresh. Check ids (W = warning, else fatal):
//
//	transport.request transport.status transport.content-type transport.json
//	transport.size-limit transport.session-id transport.notification-202 (W)
//	initialize.id initialize.result initialize.protocol-version
//	initialize.capabilities initialize.server-info lifecycle.initialized
//	tools.list tools.pagination tools.nonempty (W) tools.name tools.names-unique
//	tools.input-schema.present tools.input-schema.type-object
//	tools.input-schema.properties-object tools.input-schema.valid
//	tools.output-schema.type-object tools.output-schema.valid
//	tools.null-fields tools.call tools.call.structured-content
//
// # Client profiles
//
// oracle.profile ([Config].Profile) lists the clients to judge as (spec is always
// judged): claude, gemini, openai, cursor, vscode, or all. Each adds the
// rules its client publishes, as checks tools.<profile>.<rule> that carry
// the profile and the client's name (docs/profiles.md lists them with
// their sources); the verdict fails when a fatal check of any listed
// profile fails. A client that reads only the first tools/list page
// (claude) gets a warning tools.<profile>.first-page when there are more.
//
//	oauth.www-authenticate (W) oauth.prm oauth.prm.resource-matches oauth.scope (W)
//	oauth.as-metadata oauth.as-metadata.rfc8414 (W) oauth.as-metadata.issuer-matches
//	oauth.<profile>.issuer oauth.as-metadata.pkce-s256
//	oauth.dcr oauth.dcr.nulls (W) oauth.authorize oauth.authorize.state oauth.token
//	oauth.token.no-store (W) oauth.token.pkce-verified (W) oauth.bearer-accepted
//	oauth.refresh oauth.refresh.rotation (W)
//
// The client_id is, in the order MCP's 2025-11-25 revision gives clients: a
// pre-registered one (oracle.mcp.oauth.client_id, with client_secret for a
// confidential client, sent as client_secret_basic unless the metadata
// lists only client_secret_post), the URL of a Client ID Metadata Document
// (oracle.mcp.oauth.client_metadata_url) where the server advertises
// client_id_metadata_document_supported, else one from RFC 7591
// registration. The scope is the configured one, else the challenge's,
// else every scope the protected-resource metadata lists. The issuer must
// equal the authorization server's URL exactly; a difference of a trailing
// slash alone is as severe as each judged profile's client makes it (fatal
// for the spec). What the flow tolerates (OpenID discovery without an RFC
// 8414 document, null members in a registration response) is a warning.
//
// With several protocol versions, details of the per-version checks start
// with "protocol V: ". Tokens, codes and client secrets are redacted from
// every detail (internal/redact) and never logged.
type Oracle struct {
	cfg      settings
	log      *slog.Logger
	profiles []*profile // from cfg.Profile; spec first
	strict   bool       // the spec itself is judged (listed, all, or nothing listed), not only clients
	badCfg   error      // a setting Check cannot work with

	// RequestTimeout bounds each HTTP request; 0 = 15s.
	RequestTimeout time.Duration
	// MaxBody bounds each response body in bytes; 0 = 8 MiB.
	MaxBody int64
	// MaxPages bounds tools/list pagination; 0 = 100.
	MaxPages int
	// Transport is the HTTP transport; nil = a fresh http.Transport per
	// check, so no connection outlives a candidate.
	Transport http.RoundTripper
}

var _ oracles.Oracle = (*Oracle)(nil)

// New returns the mcp oracle for c. c.Path is joined to the target's base
// URL; zero values take the defaults documented on oracles.Config and
// Config.
func New(oc oracles.Config, mc Config, log *slog.Logger) *Oracle {
	c := settings{oc, mc}
	c.Config.Defaults(nil)
	c.own.Defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ps, err := resolveProfiles(c.Profile)
	strict := len(c.Profile) == 0 || slices.Contains(c.Profile, "spec") || slices.Contains(c.Profile, "all")
	return &Oracle{cfg: c, log: log, profiles: ps, strict: strict, badCfg: err}
}

// Invalid returns the setting Check cannot work with, or nil: the
// registry reports it before any candidate is built.
func (m *Oracle) Invalid() error { return m.badCfg }

// Check runs the handshake (and the OAuth flow when needed) and returns every
// check made. It returns an error only when the server cannot be reached.
func (m *Oracle) Check(ctx context.Context, t oracles.Target) (*oracles.Result, error) {
	if m.badCfg != nil {
		return nil, m.badCfg
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	endpoint, err := oracles.JoinURL(t.BaseURL, m.cfg.Path)
	if err != nil {
		return nil, err
	}
	run := m.newRun(endpoint)
	defer run.client.CloseIdleConnections()

	if m.cfg.MCP.OAuth.Enabled {
		if err := run.authorize(ctx, ""); err != nil {
			return nil, fmt.Errorf("mcp oracle: %s: %w", endpoint, err)
		}
	}
	multi := len(m.cfg.MCP.ProtocolVersions) > 1
	for _, v := range m.cfg.MCP.ProtocolVersions {
		run.rec.prefix = ""
		if multi {
			run.rec.prefix = "protocol " + v + ": "
		}
		err := run.session(ctx, v)
		var ua *unauthorized
		if errors.As(err, &ua) && !run.authorized {
			run.rec.prefix = "" // the flow runs once, whatever the version
			if err := run.authorize(ctx, ua.challenge); err != nil {
				return nil, fmt.Errorf("mcp oracle: %s: %w", endpoint, err)
			}
			if run.token == "" {
				break
			}
			if multi {
				run.rec.prefix = "protocol " + v + ": "
			}
			err = run.session(ctx, v)
		}
		if errors.Is(err, oracles.ErrUnreachable) {
			return nil, fmt.Errorf("mcp oracle: %s: %w", endpoint, err)
		}
	}
	run.rec.prefix = ""
	run.refresh(ctx)
	v := &oracles.Result{Verdict: oracles.Pass, Checks: run.rec.checks}
	for i := range v.Checks {
		v.Checks[i].Detail = redact.String(v.Checks[i].Detail, run.secrets...)
	}
	if !v.Passed() {
		v.Verdict = oracles.Fail
		// oracle.timeout ran out (or the caller cancelled, and discards
		// the answer): timeout_is_untestable decides what a hang is.
		v.Untestable = ctx.Err() != nil && m.cfg.TimeoutIsUntestable
	}
	m.log.DebugContext(ctx, "mcp oracle done", "endpoint", endpoint, "verdict", v.Verdict, "checks", len(v.Checks))
	return v, nil
}

// run is the state of one Check.
type run struct {
	m          *Oracle
	endpoint   string
	client     *http.Client
	rec        recorder
	token      string   // Bearer access token once authorized
	authorized bool     // the OAuth flow ran (successfully or not)
	secrets    []string // every secret seen, redacted from details
	reached    bool     // some request got an HTTP answer
	cl         *client  // the registered OAuth client once a token was issued
	scope      string   // OAuth scope: configured, else the 401 challenge's
}

func (m *Oracle) newRun(endpoint string) *run {
	tr := m.Transport
	if tr == nil {
		// No proxy from the environment: candidates listen on loopback.
		tr = &http.Transport{MaxIdleConnsPerHost: 4}
	}
	jar, _ := cookiejar.New(nil) // cookiejar.New never fails without a public suffix list
	var secrets []string
	for k, v := range m.cfg.MCP.Headers {
		if redact.CredentialHeader(k) {
			secrets = append(secrets, v, strings.TrimPrefix(v, "Bearer "))
		}
	}
	secrets = append(secrets, m.cfg.MCP.OAuth.ClientSecret)
	return &run{
		m:        m,
		endpoint: endpoint,
		secrets:  secrets,
		scope:    m.cfg.MCP.OAuth.Scope,
		client: &http.Client{
			Transport: tr,
			Jar:       jar,
			// Redirects are followed by hand where the flow needs them
			// (consent), so that the one to the redirect URI can be read.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func (r *run) requestTimeout() time.Duration {
	if r.m.RequestTimeout > 0 {
		return r.m.RequestTimeout
	}
	return 15 * time.Second
}

func (r *run) maxBody() int64 {
	if r.m.MaxBody > 0 {
		return r.m.MaxBody
	}
	return 8 << 20
}

// recorder collects checks in order.
type recorder struct {
	checks []oracles.Check
	prefix string // "protocol V: " when several versions are checked
}

func (rc *recorder) add(id string, sev oracles.Severity, ok bool, spec, detail string, args ...any) {
	st := oracles.Pass
	if !ok {
		st = oracles.Fail
	}
	rc.checks = append(rc.checks, oracles.Check{ID: id, Severity: sev, Status: st, Detail: rc.prefix + fmt.Sprintf(detail, args...), Spec: spec})
}

func (rc *recorder) skip(id string, sev oracles.Severity, spec, detail string, args ...any) {
	rc.checks = append(rc.checks, oracles.Check{ID: id, Severity: sev, Status: oracles.Skip, Detail: rc.prefix + fmt.Sprintf(detail, args...), Spec: spec})
}

// unauthorized is the 401 answer that starts the OAuth flow.
type unauthorized struct{ challenge string }

func (u *unauthorized) Error() string { return "the server answered 401 Unauthorized" }

// mcpSession is one MCP connection: the negotiated version and session id.
type mcpSession struct {
	version   string // negotiated; sent as MCP-Protocol-Version after initialize
	sessionID string
	nextID    int64
}

// reply is the HTTP answer to one JSON-RPC message.
type reply struct {
	status      int
	header      http.Header
	contentType string   // media type without parameters
	body        []byte   // the raw body (JSON) or the matching event's data (SSE)
	msg         any      // the decoded JSON-RPC response; nil for notifications
	ids         []string // ids of the messages seen, for details
	sse         bool     // the response was an event stream
	tooLarge    bool     // the body exceeded MaxBody
	decodeErr   error    // the body or event was not JSON
	matched     bool     // a response with the request's id was found
}

// call sends one JSON-RPC request (id > 0) or notification (id == 0) and reads
// the answer, picking the response with the matching id from an event stream.
func (r *run) call(ctx context.Context, s *mcpSession, id int64, method string, params any) (*reply, error) {
	msg := map[string]any{"jsonrpc": "2.0", "method": method}
	if id > 0 {
		msg["id"] = id
	}
	if params != nil {
		msg["params"] = params
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", method, err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.requestTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("oracle.path: %w", err)
	}
	for k, v := range r.m.cfg.MCP.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if s.sessionID != "" {
		req.Header.Set("Mcp-Session-Id", s.sessionID)
	}
	if s.version != "" {
		req.Header.Set("MCP-Protocol-Version", s.version)
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	r.m.log.DebugContext(ctx, "mcp request", "method", method, "id", id, "session", s.sessionID != "")
	resp, err := r.client.Do(req)
	if err != nil {
		if !r.reached && oracles.Unreachable(err) {
			return nil, fmt.Errorf("%w: %w", oracles.ErrUnreachable, err)
		}
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	r.reached = true
	defer resp.Body.Close()
	rep := &reply{status: resp.StatusCode, header: resp.Header}
	rep.contentType, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
	r.m.log.DebugContext(ctx, "mcp response", "method", method, "status", resp.StatusCode, "content_type", rep.contentType)
	if resp.StatusCode == http.StatusUnauthorized {
		return rep, &unauthorized{challenge: resp.Header.Get("WWW-Authenticate")}
	}
	limited := io.LimitReader(resp.Body, r.maxBody()+1)
	if rep.contentType == "text/event-stream" && id > 0 {
		rep.sse = true
		cr := &countingReader{r: limited}
		err := readSSE(cr, int(r.maxBody()), func(ev sseEvent) bool {
			if ev.Event != "" && ev.Event != "message" {
				return true
			}
			return !rep.consider([]byte(ev.Data), id)
		})
		if cr.n > r.maxBody() {
			rep.tooLarge = true
		} else if err != nil && !rep.matched {
			return rep, fmt.Errorf("%s: read event stream: %w", method, err)
		}
		return rep, nil
	}
	raw, err := io.ReadAll(limited)
	if err != nil {
		return rep, fmt.Errorf("%s: read body: %w", method, err)
	}
	if int64(len(raw)) > r.maxBody() {
		rep.tooLarge = true
		return rep, nil
	}
	rep.body = raw
	if id > 0 && rep.contentType == "application/json" {
		rep.consider(raw, id)
	}
	return rep, nil
}

// consider decodes one JSON-RPC message (or batch) and keeps it when it is
// the response to id. It reports whether it matched.
func (rep *reply) consider(data []byte, id int64) bool {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		rep.decodeErr = err
		rep.body = data
		return false
	}
	msgs := []any{v}
	if arr, ok := v.([]any); ok {
		msgs = arr
	}
	for _, one := range msgs {
		obj, ok := one.(map[string]any)
		if !ok {
			continue
		}
		if _, isRequest := obj["method"]; isRequest {
			continue
		}
		got, _ := json.Marshal(obj["id"])
		rep.ids = append(rep.ids, string(got))
		if n, ok := obj["id"].(json.Number); ok && n.String() == fmt.Sprint(id) {
			rep.msg, rep.body, rep.matched = obj, data, true
			return true
		}
	}
	rep.body = data
	return false
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// describe says in a few words what a reply looked like, for details.
func (rep *reply) describe() string {
	switch {
	case rep.tooLarge:
		return "a body over the size limit"
	case rep.decodeErr != nil:
		return fmt.Sprintf("a body that is not JSON (%v): %s", rep.decodeErr, oracles.Snippet(rep.body))
	case len(rep.ids) > 0 && !rep.matched:
		return fmt.Sprintf("responses with ids %s only", strings.Join(rep.ids, ", "))
	case rep.sse && !rep.matched:
		return "an event stream without a JSON-RPC response"
	}
	return fmt.Sprintf("HTTP %d %s: %s", rep.status, rep.contentType, oracles.Snippet(rep.body))
}
