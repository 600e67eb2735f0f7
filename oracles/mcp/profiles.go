package mcp

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/lockbisect/lockbisect/oracles"
)

// profile is an MCP client whose own published rules the mcp oracle applies
// on top of the specification's: a server can pass every spec-level check
// while one client drops its tools. docs/profiles.md lists every rule with
// its source; a rule that could only be observed, not read in the client's
// documentation or source, is a warning at most.
type profile struct {
	id        string // as written in oracle.profile
	client    string // the client's name in sentences ("Gemini rejects …")
	firstPage bool   // the client reads only the first page of tools/list
	rules     []rule
	// issuerSlash is what an issuer that differs from the authorization
	// server's URL only by a trailing slash means to the client, and why.
	issuerSlash     oracles.Severity
	issuerSlashWhy  string
	issuerSlashSpec string
}

// rule is one check a profile makes over the tool list: tool judges each
// tool, list the list as a whole (exactly one of them is set).
type rule struct {
	id   string // check id
	sev  oracles.Severity
	spec string // where the client publishes the rule
	pass string // the detail when nothing breaks it
	tool func(t *toolView, bad badf)
	list func(tools []any, bad badf)
}

type badf func(format string, args ...any)

// toolView is one listed tool as the rules see it.
type toolView struct {
	label string         // `tool "name"`, or tools[i] without a name
	name  string         // "" when missing
	obj   map[string]any // the tool
	in    map[string]any // inputSchema; nil when it is not an object
	names clientNames
}

// clientNames are the names a client builds tool names from.
type clientNames struct {
	toolPrefix string // oracle.mcp.tool_prefix
	server     string // oracle.mcp.server_name
}

// Spec references of the profiles' rules: each client's own documentation,
// or its source where the rule lives.
const (
	specGeminiDecl     = "https://ai.google.dev/api/caching#FunctionDeclaration"
	specGeminiSchema   = "https://ai.google.dev/api/caching#Schema"
	specOpenAIFunction = "https://platform.openai.com/docs/api-reference/chat/create#chat-create-tools"
	specOpenAIStrict   = "https://platform.openai.com/docs/guides/structured-outputs#supported-schemas"
	specOpenAIItems    = "https://github.com/mark3labs/mcphost/issues/35"
	specClaudeKeys     = "https://github.com/microsoft/azure-devops-mcp/issues/341"
	specCursorName     = "https://github.com/awslabs/mcp/issues/1283"
	specCursorCount    = "https://github.com/modelcontextprotocol/.github/discussions/360"
	specVSCodeTools    = "https://github.com/microsoft/vscode/blob/main/src/vs/workbench/contrib/mcp/common/mcpServer.ts"
	specVSCodeCount    = "https://github.com/microsoft/vscode/issues/253539"
	specSchemaDialect  = "https://modelcontextprotocol.io/specification/2025-11-25/basic#json-schema-usage"
	specTSAuth         = "https://github.com/modelcontextprotocol/typescript-sdk/blob/main/src/client/auth.ts (discoverAuthorizationServerMetadata)"
)

// notPublished is why a client's rule is a warning: nothing it publishes
// says what it does.
const notPublished = "what this client does is not published, so a warning"

var (
	claudeKey    = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)
	geminiName   = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$`)
	openAIName   = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	vscodeBadChr = regexp.MustCompile(`(?i)[^a-z0-9_-]`)
)

// geminiFields are the members of Gemini's Schema object; the API refuses
// any other with "Unknown name … Cannot find field".
var geminiFields = setOf("type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
	"properties", "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example",
	"anyOf", "propertyOrdering", "default", "items", "minimum", "maximum")

// geminiTypes are the values of Gemini's Type enum (written in any case).
var geminiTypes = setOf("string", "number", "integer", "boolean", "array", "object", "null")

func setOf(s ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range s {
		m[k] = true
	}
	return m
}

// profiles are the known profiles, in the order `--profile all` lists them.
// spec has no rules of its own: its checks are the ones every profile makes.
var profiles = []*profile{
	{id: "spec", client: "the MCP specification", issuerSlash: oracles.Fatal, issuerSlashSpec: specRFC8414Iss,
		issuerSlashWhy: "RFC 8414 §3.3 wants identical strings (the official Go SDK's client compares them without the trailing slash)"},
	{id: "claude", client: "Claude", firstPage: true, issuerSlash: oracles.Warning, issuerSlashSpec: specTSAuth,
		issuerSlashWhy: "the TypeScript SDK's client does not compare the issuer at all; what Claude's clients do is not published, so a warning", rules: []rule{
			{id: "tools.claude.name-pattern", sev: oracles.Fatal, spec: specClaude, pass: "every name, with the client's prefix, matches ^[a-zA-Z0-9_-]{1,64}$",
				tool: func(t *toolView, bad badf) {
					full := t.names.claudePrefix() + t.name
					if t.name != "" && !claudeName.MatchString(full) {
						bad("%s: %q (%d characters with the prefix) does not match ^[a-zA-Z0-9_-]{1,64}$", t.label, full, len(full))
					}
				}},
			{id: "tools.claude.no-combinators", sev: oracles.Fatal, spec: specClaude, pass: "no inputSchema has a top-level oneOf, anyOf or allOf",
				tool: func(t *toolView, bad badf) {
					for _, k := range []string{"oneOf", "anyOf", "allOf"} {
						if _, ok := t.in[k]; ok {
							bad("%s: inputSchema has a top-level %s, which Claude's API rejects", t.label, k)
						}
					}
				}},
			{id: "tools.claude.property-keys", sev: oracles.Fatal, spec: specClaudeKeys, pass: "every inputSchema property name matches ^[a-zA-Z0-9_.-]{1,64}$",
				tool: func(t *toolView, bad badf) {
					props, _ := t.in["properties"].(map[string]any)
					for _, k := range slices.Sorted(maps.Keys(props)) {
						if !claudeKey.MatchString(k) {
							bad("%s: property %q does not match ^[a-zA-Z0-9_.-]{1,64}$", t.label, k)
						}
					}
				}},
		}},
	{id: "gemini", client: "Gemini", issuerSlash: oracles.Warning, issuerSlashSpec: specRFC8414Iss, issuerSlashWhy: notPublished, rules: []rule{
		{id: "tools.gemini.name-pattern", sev: oracles.Fatal, spec: specGeminiDecl, pass: "every name matches ^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$",
			tool: func(t *toolView, bad badf) {
				if t.name != "" && !geminiName.MatchString(t.name) {
					bad("%s: the name must start with a letter or an underscore and use only a-z, A-Z, 0-9, _ . : - (at most 64 characters)", t.label)
				}
			}},
		{id: "tools.gemini.type-single", sev: oracles.Fatal, spec: specGeminiSchema, pass: "every type is one type name",
			tool: schemaRule(func(path string, s map[string]any, bad badf) {
				v, ok := s["type"]
				if !ok {
					return
				}
				name, isString := v.(string)
				switch {
				case !isString:
					bad("%s.type is %s; Gemini's Schema.type is one type name (the API answers \"Proto field is not repeating, cannot start list\")", path, oracles.JSONText(v))
				case !geminiTypes[strings.ToLower(name)]:
					bad("%s.type is %q, which is not one of Gemini's types", path, name)
				}
			})},
		{id: "tools.gemini.ref", sev: oracles.Fatal, spec: specGeminiSchema, pass: "no schema uses $ref, $defs or definitions",
			tool: schemaRule(func(path string, s map[string]any, bad badf) {
				for _, k := range []string{"$ref", "$defs", "definitions"} {
					if _, ok := s[k]; ok {
						bad("%s has %s, which Gemini's Schema does not have (references are not resolved)", path, k)
					}
				}
			})},
		{id: "tools.gemini.combinators", sev: oracles.Fatal, spec: specGeminiSchema, pass: "no schema uses oneOf, allOf or not (anyOf is supported)",
			tool: schemaRule(func(path string, s map[string]any, bad badf) {
				for _, k := range []string{"oneOf", "allOf", "not"} {
					if _, ok := s[k]; ok {
						bad("%s has %s, which Gemini's Schema does not have (only anyOf)", path, k)
					}
				}
			})},
		{id: "tools.gemini.additional-properties", sev: oracles.Fatal, spec: specGeminiSchema, pass: "no schema uses additionalProperties",
			tool: schemaRule(func(path string, s map[string]any, bad badf) {
				if _, ok := s["additionalProperties"]; ok {
					bad("%s has additionalProperties, which Gemini's Schema does not have (\"Unknown name\")", path)
				}
			})},
		{id: "tools.gemini.keywords", sev: oracles.Fatal, spec: specGeminiSchema, pass: "every schema keyword is a field of Gemini's Schema",
			tool: schemaRule(func(path string, s map[string]any, bad badf) {
				var unknown []string
				for _, k := range slices.Sorted(maps.Keys(s)) {
					switch k {
					case "$ref", "$defs", "definitions", "oneOf", "allOf", "not", "additionalProperties":
						continue // checked on their own
					}
					if !geminiFields[k] {
						unknown = append(unknown, k)
					}
				}
				if len(unknown) > 0 {
					bad("%s has %s, which Gemini's Schema does not have (\"Unknown name\")", path, strings.Join(unknown, ", "))
				}
			})},
		{id: "tools.gemini.format", sev: oracles.Warning, spec: specGeminiSchema, pass: "string formats are enum or date-time",
			tool: schemaRule(func(path string, s map[string]any, bad badf) {
				f, ok := s["format"].(string)
				if ok && s["type"] == "string" && f != "enum" && f != "date-time" {
					bad("%s.format is %q: older revisions of Gemini's Schema accept only enum and date-time for strings (the current one ignores other formats)", path, f)
				}
			})},
	}},
	{id: "openai", client: "OpenAI", issuerSlash: oracles.Warning, issuerSlashSpec: specRFC8414Iss, issuerSlashWhy: notPublished, rules: []rule{
		{id: "tools.openai.name-pattern", sev: oracles.Fatal, spec: specOpenAIFunction, pass: "every name matches ^[a-zA-Z0-9_-]{1,64}$",
			tool: func(t *toolView, bad badf) {
				if t.name != "" && !openAIName.MatchString(t.name) {
					bad("%s does not match ^[a-zA-Z0-9_-]{1,64}$", t.label)
				}
			}},
		{id: "tools.openai.tool-count", sev: oracles.Fatal, spec: specOpenAIFunction, pass: "at most 128 tools",
			list: func(tools []any, bad badf) {
				if len(tools) > 128 {
					bad("%d tools: a request may carry at most 128 functions", len(tools))
				}
			}},
		{id: "tools.openai.array-items", sev: oracles.Fatal, spec: specOpenAIItems, pass: "every array schema has items",
			tool: schemaRule(func(path string, s map[string]any, bad badf) {
				if hasType(s, "array") {
					if _, ok := s["items"]; !ok {
						bad("%s is an array schema without items (\"array schema missing items\")", path)
					}
				}
			})},
		{id: "tools.openai.strict", sev: oracles.Warning, spec: specOpenAIStrict, pass: "every object schema has additionalProperties: false and requires all its properties",
			tool: schemaRule(func(path string, s map[string]any, bad badf) {
				if !hasType(s, "object") {
					return
				}
				if s["additionalProperties"] != false {
					bad("%s lacks additionalProperties: false, which strict mode requires", path)
				}
				props, _ := s["properties"].(map[string]any)
				req := map[string]bool{}
				if r, ok := s["required"].([]any); ok {
					for _, n := range r {
						if n, ok := n.(string); ok {
							req[n] = true
						}
					}
				}
				for _, k := range slices.Sorted(maps.Keys(props)) {
					if !req[k] {
						bad("%s does not require %q, which strict mode requires", path, k)
					}
				}
			})},
	}},
	{id: "cursor", client: "Cursor", issuerSlash: oracles.Warning, issuerSlashSpec: specRFC8414Iss, issuerSlashWhy: notPublished, rules: []rule{
		{id: "tools.cursor.name-length", sev: oracles.Fatal, spec: specCursorName, pass: "server name + tool name stay under 60 characters",
			tool: func(t *toolView, bad badf) {
				if n := len(t.names.server) + len(t.name); t.name != "" && n >= 60 {
					bad("%s: server name %q + tool name are %d characters; Cursor filters out tools at 60 and more", t.label, t.names.server, n)
				}
			}},
		{id: "tools.cursor.tool-count", sev: oracles.Warning, spec: specCursorCount, pass: "at most 40 tools",
			list: func(tools []any, bad badf) {
				if len(tools) > 40 {
					bad("%d tools: users report that Cursor gives the agent at most 40 tools over all servers (not in Cursor's own documentation, so a warning)", len(tools))
				}
			}},
	}},
	{id: "vscode", client: "VS Code", issuerSlash: oracles.Warning, issuerSlashSpec: specRFC8414Iss, issuerSlashWhy: notPublished, rules: []rule{
		{id: "tools.vscode.input-schema", sev: oracles.Fatal, spec: specVSCodeTools, pass: "every inputSchema is valid JSON Schema draft-07",
			tool: func(t *toolView, bad badf) {
				if t.in == nil {
					return
				}
				if err := draft07(t.in); err != nil {
					bad("%s: VS Code omits the tool, its inputSchema is not valid draft-07: %s", t.label, oneLine(err.Error()))
				}
			}},
		{id: "tools.vscode.name-chars", sev: oracles.Warning, spec: specVSCodeTools, pass: "every name uses only a-z, 0-9, _ and -",
			tool: func(t *toolView, bad badf) {
				if vscodeBadChr.MatchString(t.name) {
					bad("%s: VS Code renames it to %q (\"Tools names may only contain [a-z0-9_-]\")", t.label, vscodeBadChr.ReplaceAllString(t.name, "_"))
				}
			}},
		{id: "tools.vscode.description", sev: oracles.Warning, spec: specVSCodeTools, pass: "every tool has a description",
			tool: func(t *toolView, bad badf) {
				if d, _ := t.obj["description"].(string); d == "" {
					bad("%s has no description: VS Code shows <empty> (\"Tools must be accurately described to be called\")", t.label)
				}
			}},
		{id: "tools.vscode.tool-count", sev: oracles.Fatal, spec: specVSCodeCount, pass: "at most 128 tools",
			list: func(tools []any, bad badf) {
				if len(tools) > 128 {
					bad("%d tools: Copilot's requests fail with more than 128 tools", len(tools))
				}
			}},
	}},
}

// claudePrefix is what Claude's clients prepend to a tool's name: the
// configured tool_prefix, else Claude Code's mcp__<server>__.
func (n clientNames) claudePrefix() string {
	if n.toolPrefix == "" && n.server != "" {
		return "mcp__" + n.server + "__"
	}
	return n.toolPrefix
}

// ProfileNames lists the known profiles, for messages and completion.
func ProfileNames() []string {
	var ids []string
	for _, p := range profiles {
		ids = append(ids, p.id)
	}
	return ids
}

// resolveProfiles turns oracle.profile into profiles: "all" is every
// profile, duplicates count once, and spec is always judged.
func resolveProfiles(names []string) ([]*profile, error) {
	want := map[string]bool{"spec": true}
	for _, n := range names {
		n = strings.TrimSpace(n)
		switch {
		case n == "all":
			for _, p := range profiles {
				want[p.id] = true
			}
		case slices.ContainsFunc(profiles, func(p *profile) bool { return p.id == n }):
			want[n] = true
		default:
			return nil, fmt.Errorf("oracle.profile: %q is not a profile (%s, or all)", n, strings.Join(ProfileNames(), ", "))
		}
	}
	var ps []*profile
	for _, p := range profiles {
		if want[p.id] {
			ps = append(ps, p)
		}
	}
	return ps, nil
}

// schemaRule makes a tool rule that visits inputSchema and every schema
// nested in it.
func schemaRule(visit func(path string, s map[string]any, bad badf)) func(*toolView, badf) {
	return func(t *toolView, bad badf) {
		if t.in == nil {
			return
		}
		walkSchema(t.in, "inputSchema", 0, func(path string, s map[string]any) {
			visit(path, s, func(format string, args ...any) { bad(t.label+": "+format, args...) })
		})
	}
}

// maxSchemaDepth bounds the walk through nested schemas.
const maxSchemaDepth = 32

// walkSchema calls visit with s and every schema nested in it, in a stable
// order, with a dotted path naming where each one sits.
func walkSchema(s any, path string, depth int, visit func(path string, s map[string]any)) {
	obj, ok := s.(map[string]any)
	if !ok || depth > maxSchemaDepth {
		return
	}
	visit(path, obj)
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		switch k {
		case "properties", "patternProperties", "$defs", "definitions", "dependentSchemas":
			m, _ := v.(map[string]any)
			for _, name := range slices.Sorted(maps.Keys(m)) {
				walkSchema(m[name], path+"."+k+"."+name, depth+1, visit)
			}
		case "items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
			"unevaluatedItems", "unevaluatedProperties", "additionalItems", "anyOf", "oneOf", "allOf", "prefixItems":
			if arr, isArr := v.([]any); isArr {
				for i, e := range arr {
					walkSchema(e, fmt.Sprintf("%s.%s.%d", path, k, i), depth+1, visit)
				}
			} else {
				walkSchema(v, path+"."+k, depth+1, visit)
			}
		}
	}
}

// hasType reports whether schema s admits type t (a single type or a list).
func hasType(s map[string]any, t string) bool {
	switch v := s["type"].(type) {
	case string:
		return v == t
	case []any:
		return slices.Contains(v, any(t))
	}
	return false
}

// oneLine folds a multi-line compiler message for a detail.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
