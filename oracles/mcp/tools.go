package mcp

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/lockbisect/lockbisect/oracles"
)

// claudeName is the tool name alphabet Claude's API accepts.
var claudeName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// toolProblems collects per-tool failures of one check id.
type toolProblems struct {
	id, spec string
	sev      oracles.Severity
	pass     string
	bad      []string
	profile  *profile // nil for the spec-level checks every profile makes
}

func (p *toolProblems) addf(format string, args ...any) {
	p.bad = append(p.bad, fmt.Sprintf(format, args...))
}

func (p *toolProblems) record(rc *recorder) {
	const shown = 5
	if len(p.bad) == 0 {
		rc.add(p.id, p.sev, true, p.spec, "%s", p.pass)
	} else {
		detail := strings.Join(p.bad[:min(len(p.bad), shown)], "; ")
		if len(p.bad) > shown {
			detail += fmt.Sprintf("; and %d more", len(p.bad)-shown)
		}
		rc.add(p.id, p.sev, false, p.spec, "%s", detail)
	}
	if p.profile != nil {
		rc.checks[len(rc.checks)-1].Profile = p.profile.id
		rc.checks[len(rc.checks)-1].Client = p.profile.client
	}
}

// checkTools records the per-tool checks over the whole list. Each check id
// appears once, naming every tool that fails it, so the verdict says exactly
// which rule a list breaks. Every profile in ps adds the rules of its
// client, with names the names clients build tool names from.
func checkTools(rc *recorder, tools []any, ps []*profile, names clientNames) {
	var (
		name     = &toolProblems{id: "tools.name", sev: oracles.Fatal, spec: specTools, pass: "every tool has a non-empty string name"}
		unique   = &toolProblems{id: "tools.names-unique", sev: oracles.Fatal, spec: specTools, pass: "tool names are unique"}
		present  = &toolProblems{id: "tools.input-schema.present", sev: oracles.Fatal, spec: specTools, pass: "every tool has an inputSchema object"}
		typ      = &toolProblems{id: "tools.input-schema.type-object", sev: oracles.Fatal, spec: specTools, pass: `every inputSchema has type "object"`}
		props    = &toolProblems{id: "tools.input-schema.properties-object", sev: oracles.Fatal, spec: specTools, pass: "every inputSchema.properties is an object"}
		inValid  = &toolProblems{id: "tools.input-schema.valid", sev: oracles.Fatal, spec: specSchemaDialect, pass: "every inputSchema compiles as JSON Schema"}
		output   = &toolProblems{id: "tools.output-schema.type-object", sev: oracles.Fatal, spec: specTools, pass: `every outputSchema has type "object"`}
		outValid = &toolProblems{id: "tools.output-schema.valid", sev: oracles.Fatal, spec: specSchemaDialect, pass: "every outputSchema compiles as JSON Schema"}
		nulls    = &toolProblems{id: "tools.null-fields", sev: oracles.Fatal, spec: specTools, pass: "no null where a string or object is wanted"}
	)
	seen := map[string]int{}
	var views []*toolView
	for i, t := range tools {
		obj, ok := t.(map[string]any)
		if !ok {
			name.addf("tools[%d] is %s, want an object", i, oracles.JSONKind(t))
			continue
		}
		n, ok := obj["name"].(string)
		label := fmt.Sprintf("tool %q", n)
		if !ok || n == "" {
			n = ""
			label = fmt.Sprintf("tools[%d]", i)
			name.addf("%s: name is %s, want a non-empty string", label, kindAt(obj, "name"))
		} else {
			seen[n]++
			if seen[n] == 2 {
				unique.addf("%s is listed more than once", label)
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
			// A schema that fails a shape check is reported there, in
			// plainer words than the compiler's.
			shaped := true
			if in["type"] != "object" {
				typ.addf(`%s: inputSchema.type is %s, want "object"`, label, kindAt(in, "type"))
				shaped = false
			}
			if p, ok := in["properties"]; ok {
				if pm, isObj := p.(map[string]any); !isObj {
					props.addf("%s: inputSchema.properties is %s, want an object", label, oracles.JSONKind(p))
					shaped = false
				} else {
					for _, pn := range slices.Sorted(maps.Keys(pm)) {
						if pm[pn] == nil {
							nulls.addf("%s: inputSchema.properties.%s is null, want a schema object", label, pn)
							shaped = false
						}
					}
				}
			}
			if v, ok := in["required"]; ok && v == nil {
				nulls.addf("%s: inputSchema.required is null, want an array or absent", label)
				shaped = false
			}
			if _, err := compileSchema(in); shaped && err != nil {
				inValid.addf("%s: inputSchema does not compile: %s", label, oneLine(err.Error()))
			}
		}
		if v, ok := obj["outputSchema"]; ok && v != nil {
			out, isObj := v.(map[string]any)
			switch {
			case !isObj:
				output.addf("%s: outputSchema is %s, want an object", label, oracles.JSONKind(v))
			case out["type"] != "object":
				output.addf(`%s: outputSchema.type is %s, want "object"`, label, kindAt(out, "type"))
			default:
				if _, err := compileSchema(out); err != nil {
					outValid.addf("%s: outputSchema does not compile: %s", label, oneLine(err.Error()))
				}
			}
		}
		views = append(views, &toolView{label: label, name: n, obj: obj, in: in, names: names})
	}
	rc.add("tools.nonempty", oracles.Warning, len(tools) > 0, specListTools, "tools/list returned %d tools", len(tools))
	for _, p := range []*toolProblems{name, unique, present, typ, props, inValid, output, outValid, nulls} {
		p.record(rc)
	}
	for _, p := range ps {
		for _, r := range p.rules {
			tp := &toolProblems{id: r.id, sev: r.sev, spec: r.spec, pass: r.pass, profile: p}
			if r.list != nil {
				r.list(tools, tp.addf)
			}
			if r.tool != nil {
				for _, v := range views {
					r.tool(v, tp.addf)
				}
			}
			tp.record(rc)
		}
	}
}

// kindAt is kindOf for a member, telling an absent key from a null one.
func kindAt(obj map[string]any, key string) string {
	v, ok := obj[key]
	if !ok {
		return "absent"
	}
	return oracles.JSONKind(v)
}
