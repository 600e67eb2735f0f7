package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/lockbisect/lockbisect/oracles"
)

// session runs one handshake at protocol version v: initialize,
// notifications/initialized, tools/list, then the configured tools/call.
// It returns *unauthorized on a 401 and oracles.ErrUnreachable when nothing listens;
// every other problem becomes a failed check.
func (r *run) session(ctx context.Context, v string) error {
	s := &mcpSession{}
	rep, err := r.call(ctx, s, r.nextID(s), "initialize", map[string]any{
		"protocolVersion": v,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": r.m.cfg.MCP.OAuth.ClientName, "version": "1"},
	})
	var ua *unauthorized
	switch {
	case errors.As(err, &ua):
		if r.authorized && r.token == "" {
			return nil // the OAuth flow failed and said why
		}
		if r.authorized {
			r.rec.add("oauth.bearer-accepted", oracles.Fatal, false, specAuthzUse, "initialize with the issued access token answered 401 (WWW-Authenticate: %s), want the token accepted", ua.challenge)
			return nil
		}
		return err
	case errors.Is(err, oracles.ErrUnreachable):
		return err
	case err != nil:
		r.rec.add("transport.request", oracles.Fatal, false, specTransport, "initialize: %v", err)
		return nil
	}
	if r.authorized && r.token != "" {
		r.rec.add("oauth.bearer-accepted", oracles.Fatal, true, specAuthzUse, "initialize with the issued access token answered HTTP %d", rep.status)
	}
	if !r.transportOK(rep, "initialize") {
		return nil
	}
	res, ok := r.result(rep, "initialize", "initialize.id", "initialize.result", specLifecycle)
	if !ok {
		return nil
	}
	s.version = r.checkInitialize(res, v)
	if sid, present := rep.header["Mcp-Session-Id"]; present {
		id := sid[0]
		r.rec.add("transport.session-id", oracles.Fatal, visibleASCII(id), specSession, "Mcp-Session-Id is %q, want 1 or more visible ASCII characters (0x21–0x7E)", id)
		s.sessionID = id
	} else {
		r.rec.skip("transport.session-id", oracles.Fatal, specSession, "no Mcp-Session-Id: the server is stateless")
	}

	if !r.initialized(ctx, s) {
		return nil
	}
	tools, ok := r.listTools(ctx, s)
	if !ok {
		return nil
	}
	checkTools(&r.rec, tools, r.m.profiles, clientNames{toolPrefix: r.m.cfg.MCP.ToolPrefix, server: r.m.cfg.MCP.ServerName})
	r.callTools(ctx, s, tools)
	return nil
}

func (r *run) nextID(s *mcpSession) int64 {
	s.nextID++
	return s.nextID
}

// transportOK checks the HTTP layer of a request's answer: status 200, a
// JSON or SSE content type, a body within the limit.
func (r *run) transportOK(rep *reply, method string) bool {
	if rep.status != http.StatusOK {
		r.rec.add("transport.status", oracles.Fatal, false, specTransport, "%s answered HTTP %d, want 200: %s", method, rep.status, oracles.Snippet(rep.body))
		return false
	}
	if rep.contentType != "application/json" && rep.contentType != "text/event-stream" {
		r.rec.add("transport.content-type", oracles.Fatal, false, specTransport, "%s answered Content-Type %q, want application/json or text/event-stream", method, rep.header.Get("Content-Type"))
		return false
	}
	if rep.tooLarge {
		r.rec.add("transport.size-limit", oracles.Fatal, false, specTransport, "%s answered more than %d bytes", method, r.maxBody())
		return false
	}
	if method == "initialize" {
		r.rec.add("transport.status", oracles.Fatal, true, specTransport, "initialize answered HTTP 200")
		r.rec.add("transport.content-type", oracles.Fatal, true, specTransport, "initialize answered %s", rep.contentType)
	}
	return true
}

// result extracts the JSON-RPC result object of rep, recording a failure of
// idCheck (no response with the request's id) or resultCheck (an error
// response, or a result that is not an object).
func (r *run) result(rep *reply, method, idCheck, resultCheck, spec string) (map[string]any, bool) {
	if rep.decodeErr != nil && !rep.matched {
		r.rec.add("transport.json", oracles.Fatal, false, specTransport, "%s: %s", method, rep.describe())
		return nil, false
	}
	if !rep.matched {
		want := "a JSON-RPC response with the request's id"
		if rep.sse {
			want += " in the event stream"
		}
		r.rec.add(idCheck, oracles.Fatal, false, specJSONRPC, "%s: got %s, want %s", method, rep.describe(), want)
		return nil, false
	}
	if idCheck == "initialize.id" {
		r.rec.add(idCheck, oracles.Fatal, true, specJSONRPC, "the response's id matches the request's")
	}
	msg := rep.msg.(map[string]any)
	if e, ok := msg["error"]; ok {
		b, _ := json.Marshal(e)
		r.rec.add(resultCheck, oracles.Fatal, false, spec, "%s answered a JSON-RPC error %s, want a result", method, b)
		return nil, false
	}
	res, ok := msg["result"].(map[string]any)
	if !ok {
		r.rec.add(resultCheck, oracles.Fatal, false, spec, "%s: result is %s, want an object", method, kindAt(msg, "result"))
		return nil, false
	}
	return res, true
}

// checkInitialize records the initialize result checks and returns the
// version to send in MCP-Protocol-Version from now on.
func (r *run) checkInitialize(res map[string]any, requested string) string {
	r.rec.add("initialize.result", oracles.Fatal, true, specLifecycle, "initialize answered a result object")
	got, isString := res["protocolVersion"].(string)
	switch {
	case !isString:
		r.rec.add("initialize.protocol-version", oracles.Fatal, false, specVersioning, "protocolVersion is %s, want a string such as %q", kindAt(res, "protocolVersion"), requested)
		got = requested
	case !knownVersions[got]:
		r.rec.add("initialize.protocol-version", oracles.Fatal, false, specVersioning, "requested %q, the server answered %q, which no client supports (known: %s)", requested, got, strings.Join(sortedKeys(knownVersions), ", "))
		got = requested
	case got != requested:
		r.rec.add("initialize.protocol-version", oracles.Fatal, true, specVersioning, "requested %q, the server negotiated %q", requested, got)
	default:
		r.rec.add("initialize.protocol-version", oracles.Fatal, true, specVersioning, "protocolVersion %q", got)
	}

	caps, isObj := res["capabilities"].(map[string]any)
	switch {
	case !isObj:
		r.rec.add("initialize.capabilities", oracles.Fatal, false, specLifecycle, "capabilities is %s, want an object", kindAt(res, "capabilities"))
	default:
		if _, isObj := caps["tools"].(map[string]any); !isObj {
			r.rec.add("initialize.capabilities", oracles.Fatal, false, specLifecycle, "capabilities.tools is %s, want an object (clients do not list tools otherwise)", kindAt(caps, "tools"))
		} else {
			r.rec.add("initialize.capabilities", oracles.Fatal, true, specLifecycle, "capabilities.tools is an object")
		}
	}

	info, isObj := res["serverInfo"].(map[string]any)
	var bad []string
	if !isObj {
		bad = append(bad, "serverInfo is "+kindAt(res, "serverInfo")+", want an object")
	} else {
		for _, k := range []string{"name", "version"} {
			if _, ok := info[k].(string); !ok {
				bad = append(bad, fmt.Sprintf("serverInfo.%s is %s, want a string", k, kindAt(info, k)))
			}
		}
	}
	if len(bad) > 0 {
		r.rec.add("initialize.server-info", oracles.Fatal, false, specLifecycle, "%s", strings.Join(bad, "; "))
	} else {
		r.rec.add("initialize.server-info", oracles.Fatal, true, specLifecycle, "serverInfo %q %q", info["name"], info["version"])
	}
	return got
}

// initialized sends notifications/initialized, which must be accepted with
// 202 and no body.
func (r *run) initialized(ctx context.Context, s *mcpSession) bool {
	rep, err := r.call(ctx, s, 0, "notifications/initialized", nil)
	if err != nil {
		r.rec.add("lifecycle.initialized", oracles.Fatal, false, specLifecycle, "notifications/initialized: %v", err)
		return false
	}
	if rep.status < 200 || rep.status > 299 {
		r.rec.add("lifecycle.initialized", oracles.Fatal, false, specLifecycle, "notifications/initialized answered HTTP %d, want 202: %s", rep.status, oracles.Snippet(rep.body))
		return false
	}
	r.rec.add("lifecycle.initialized", oracles.Fatal, true, specLifecycle, "notifications/initialized accepted (HTTP %d)", rep.status)
	ok := rep.status == http.StatusAccepted && len(rep.body) == 0
	r.rec.add("transport.notification-202", oracles.Warning, ok, specTransport, "notifications/initialized answered HTTP %d with %d body bytes, want 202 Accepted with no body", rep.status, len(rep.body))
	return true
}

// listTools pages through tools/list. A profile whose client reads only the
// first page gets a warning when there are more: the later tools are
// invisible to it.
func (r *run) listTools(ctx context.Context, s *mcpSession) ([]any, bool) {
	maxPages := r.m.MaxPages
	if maxPages == 0 {
		maxPages = 100
	}
	var (
		all     []any
		cursor  string
		seen    = map[string]bool{}
		pages   int
		first   int // tools on the first page
		pageErr string
	)
	for {
		var params any
		if cursor != "" {
			params = map[string]any{"cursor": cursor}
		}
		rep, err := r.call(ctx, s, r.nextID(s), "tools/list", params)
		if err != nil {
			r.rec.add("tools.list", oracles.Fatal, false, specListTools, "tools/list (page %d): %v", pages+1, err)
			return nil, false
		}
		if !r.transportOK(rep, "tools/list") {
			return nil, false
		}
		res, ok := r.result(rep, "tools/list", "tools.list", "tools.list", specListTools)
		if !ok {
			return nil, false
		}
		tools, isArr := res["tools"].([]any)
		if !isArr {
			r.rec.add("tools.list", oracles.Fatal, false, specListTools, "tools/list (page %d): tools is %s, want an array", pages+1, kindAt(res, "tools"))
			return nil, false
		}
		pages++
		if pages == 1 {
			first = len(tools)
		}
		all = append(all, tools...)
		next, present := res["nextCursor"]
		if !present {
			break
		}
		nc, isString := next.(string)
		if !isString {
			pageErr = fmt.Sprintf("page %d: nextCursor is %s, want a string or absent", pages, oracles.JSONKind(next))
			break
		}
		if nc == "" {
			break // clients stop at an empty cursor, as at an absent one
		}
		if seen[nc] {
			pageErr = fmt.Sprintf("page %d: nextCursor %q was already returned: the pages loop", pages, nc)
			break
		}
		if pages >= maxPages {
			pageErr = fmt.Sprintf("more than %d pages of tools", maxPages)
			break
		}
		seen[nc] = true
		cursor = nc
	}
	r.rec.add("tools.list", oracles.Fatal, true, specListTools, "%d tools on %d page(s)", len(all), pages)
	if pageErr != "" {
		r.rec.add("tools.pagination", oracles.Fatal, false, specPagination, "%s", pageErr)
	} else {
		r.rec.add("tools.pagination", oracles.Fatal, true, specPagination, "%d page(s), no cursor repeated", pages)
	}
	for _, p := range r.m.profiles {
		if p.firstPage {
			r.rec.add("tools."+p.id+".first-page", oracles.Warning, pages == 1, specClaude, "%d tools on the first page of %d: %s reads only the first page, so later tools are invisible to it", first, len(all), p.client)
			r.rec.checks[len(r.rec.checks)-1].Profile = p.id
			r.rec.checks[len(r.rec.checks)-1].Client = p.client
		}
	}
	return all, pageErr == ""
}

// callTools makes the configured tools/call requests.
func (r *run) callTools(ctx context.Context, s *mcpSession, tools []any) {
	listed := map[string]map[string]any{}
	for _, t := range tools {
		if obj, ok := t.(map[string]any); ok {
			if n, ok := obj["name"].(string); ok {
				listed[n] = obj
			}
		}
	}
	for _, c := range r.m.cfg.MCP.Calls {
		args := c.Arguments
		if args == nil {
			args = map[string]any{}
		}
		if listed[c.Name] == nil {
			r.rec.add("tools.call", oracles.Fatal, false, specCallTools, "tool %q is not in tools/list, so no client can call it", c.Name)
			continue
		}
		rep, err := r.call(ctx, s, r.nextID(s), "tools/call", map[string]any{"name": c.Name, "arguments": args})
		if err != nil {
			r.rec.add("tools.call", oracles.Fatal, false, specCallTools, "tools/call %q: %v", c.Name, err)
			continue
		}
		if !r.transportOK(rep, "tools/call") {
			continue
		}
		res, ok := r.result(rep, "tools/call "+c.Name, "tools.call", "tools.call", specCallTools)
		if !ok {
			continue
		}
		if _, isArr := res["content"].([]any); !isArr {
			r.rec.add("tools.call", oracles.Fatal, false, specCallTools, "tools/call %q: content is %s, want an array", c.Name, kindAt(res, "content"))
			continue
		}
		isErr, present := res["isError"]
		if present && isErr != false {
			r.rec.add("tools.call", oracles.Fatal, false, specCallTools, "tools/call %q: isError is %s, want false: %s", c.Name, oracles.JSONKind(isErr), oracles.Snippet(rep.body))
			continue
		}
		r.rec.add("tools.call", oracles.Fatal, true, specCallTools, "tools/call %q succeeded", c.Name)
		if out, ok := listed[c.Name]["outputSchema"].(map[string]any); ok {
			r.structured(c.Name, out, res)
		}
	}
}

// structured checks the result of a tool that declares an outputSchema: the
// spec requires structured content that conforms to it, and the TypeScript
// SDK's client, which many clients are built on, refuses the call without it.
func (r *run) structured(name string, schema, res map[string]any) {
	const id = "tools.call.structured-content"
	sc := res["structuredContent"]
	if _, isObj := sc.(map[string]any); !isObj {
		r.rec.add(id, oracles.Fatal, false, specStructured, "tools/call %q: the tool declares an outputSchema, structuredContent is %s, want an object (the TypeScript SDK's client answers \"has an output schema but did not return structured content\")", name, kindAt(res, "structuredContent"))
		return
	}
	sch, err := compileSchema(schema)
	if err != nil {
		r.rec.skip(id, oracles.Fatal, specStructured, "tools/call %q: outputSchema does not compile, so structuredContent cannot be judged", name)
		return
	}
	if err := sch.Validate(sc); err != nil {
		r.rec.add(id, oracles.Fatal, false, specStructured, "tools/call %q: structuredContent does not conform to the outputSchema: %s", name, oneLine(err.Error()))
		return
	}
	r.rec.add(id, oracles.Fatal, true, specStructured, "tools/call %q: structuredContent conforms to the outputSchema", name)
}

// visibleASCII reports whether s is non-empty and only 0x21–0x7E, the
// alphabet the spec allows for session ids.
func visibleASCII(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
