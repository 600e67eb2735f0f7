package oracles

import (
	"fmt"
	"regexp"
	"strings"
)

// claudeName is the tool name alphabet Claude's API accepts.
var claudeName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// toolProblems collects per-tool failures of one check id.
type toolProblems struct {
	id, spec string
	sev      Severity
	pass     string
	bad      []string
}

func (p *toolProblems) addf(format string, args ...any) {
	p.bad = append(p.bad, fmt.Sprintf(format, args...))
}

func (p *toolProblems) record(rc *recorder) {
	const shown = 5
	if len(p.bad) == 0 {
		rc.add(p.id, p.sev, true, p.spec, "%s", p.pass)
		return
	}
	detail := strings.Join(p.bad[:min(len(p.bad), shown)], "; ")
	if len(p.bad) > shown {
		detail += fmt.Sprintf("; and %d more", len(p.bad)-shown)
	}
	rc.add(p.id, p.sev, false, p.spec, "%s", detail)
}

// checkTools records the per-tool checks over the whole list. Each check id
// appears once, naming every tool that fails it, so the verdict says exactly
// which rule a list breaks. profile "claude" adds what Claude's clients
// enforce, with prefix the string they prepend to each name.
func checkTools(rc *recorder, tools []any, profile, prefix string) {
	var (
		name     = &toolProblems{id: "tools.name", sev: Fatal, spec: specTools, pass: "every tool has a non-empty string name"}
		unique   = &toolProblems{id: "tools.names-unique", sev: Fatal, spec: specTools, pass: "tool names are unique"}
		present  = &toolProblems{id: "tools.input-schema.present", sev: Fatal, spec: specTools, pass: "every tool has an inputSchema object"}
		typ      = &toolProblems{id: "tools.input-schema.type-object", sev: Fatal, spec: specTools, pass: `every inputSchema has type "object"`}
		props    = &toolProblems{id: "tools.input-schema.properties-object", sev: Fatal, spec: specTools, pass: "every inputSchema.properties is an object"}
		output   = &toolProblems{id: "tools.output-schema.type-object", sev: Fatal, spec: specTools, pass: `every outputSchema has type "object"`}
		nulls    = &toolProblems{id: "tools.null-fields", sev: Fatal, spec: specTools, pass: "no null where a string or object is wanted"}
		cName    = &toolProblems{id: "tools.claude.name-pattern", sev: Fatal, spec: specClaude, pass: fmt.Sprintf("every name matches ^[a-zA-Z0-9_-]{1,64}$ with prefix %q", prefix)}
		cCombine = &toolProblems{id: "tools.claude.no-combinators", sev: Fatal, spec: specClaude, pass: "no inputSchema has a top-level oneOf, anyOf or allOf"}
	)
	seen := map[string]int{}
	for i, t := range tools {
		obj, ok := t.(map[string]any)
		if !ok {
			name.addf("tools[%d] is %s, want an object", i, kindOf(t))
			continue
		}
		n, ok := obj["name"].(string)
		label := fmt.Sprintf("tool %q", n)
		if !ok || n == "" {
			label = fmt.Sprintf("tools[%d]", i)
			name.addf("%s: name is %s, want a non-empty string", label, kindAt(obj, "name"))
		} else {
			seen[n]++
			if seen[n] == 2 {
				unique.addf("%s is listed more than once", label)
			}
			if profile == "claude" && !claudeName.MatchString(prefix+n) {
				cName.addf("%s: %q (%d characters with the prefix) does not match ^[a-zA-Z0-9_-]{1,64}$", label, prefix+n, len(prefix)+len(n))
			}
		}
		for _, k := range []string{"title", "description"} {
			if v, ok := obj[k]; ok && v == nil {
				nulls.addf("%s: %s is null, want a string or absent", label, k)
			}
		}
		for _, k := range []string{"annotations", "_meta", "outputSchema"} {
			if v, ok := obj[k]; ok && v == nil {
				nulls.addf("%s: %s is null, want an object or absent", label, k)
			}
		}

		in, ok := obj["inputSchema"].(map[string]any)
		if !ok {
			present.addf("%s: inputSchema is %s, want an object", label, kindAt(obj, "inputSchema"))
		} else {
			if in["type"] != "object" {
				typ.addf(`%s: inputSchema.type is %s, want "object"`, label, kindAt(in, "type"))
			}
			if p, ok := in["properties"]; ok {
				if pm, isObj := p.(map[string]any); !isObj {
					props.addf("%s: inputSchema.properties is %s, want an object", label, kindOf(p))
				} else {
					for pn, pv := range pm {
						if pv == nil {
							nulls.addf("%s: inputSchema.properties.%s is null, want a schema object", label, pn)
						}
					}
				}
			}
			if v, ok := in["required"]; ok && v == nil {
				nulls.addf("%s: inputSchema.required is null, want an array or absent", label)
			}
			if profile == "claude" {
				for _, k := range []string{"oneOf", "anyOf", "allOf"} {
					if _, ok := in[k]; ok {
						cCombine.addf("%s: inputSchema has a top-level %s, which Claude's API rejects", label, k)
					}
				}
			}
		}
		if v, ok := obj["outputSchema"]; ok && v != nil {
			out, isObj := v.(map[string]any)
			switch {
			case !isObj:
				output.addf("%s: outputSchema is %s, want an object", label, kindOf(v))
			case out["type"] != "object":
				output.addf(`%s: outputSchema.type is %s, want "object"`, label, kindAt(out, "type"))
			}
		}
	}
	rc.add("tools.nonempty", Warning, len(tools) > 0, specListTools, "tools/list returned %d tools", len(tools))
	for _, p := range []*toolProblems{name, unique, present, typ, props, output, nulls} {
		p.record(rc)
	}
	if profile == "claude" {
		cName.record(rc)
		cCombine.record(rc)
	}
}

// kindAt is kindOf for a member, telling an absent key from a null one.
func kindAt(obj map[string]any, key string) string {
	v, ok := obj[key]
	if !ok {
		return "absent"
	}
	return kindOf(v)
}
