package mcp

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/oracles"
)

// TestCheckTools covers shapes the fixture does not serve: each list fails
// exactly one check, with a detail naming the tool and what was found.
func TestCheckTools(t *testing.T) {
	cases := []struct {
		name, tools, profile, prefix string
		fail, detail                 string
	}{
		{"healthy", `[{"name":"a","inputSchema":{"type":"object"}}]`, "claude", "", "", ""},
		{"no tools is only a warning", `[]`, "spec", "", "tools.nonempty", "returned 0 tools"},
		{"tool not an object", `[{"name":"a","inputSchema":{"type":"object"}}, "b"]`, "spec", "", "tools.name", "tools[1] is the string \"b\", want an object"},
		{"name missing", `[{"inputSchema":{"type":"object"}}]`, "spec", "", "tools.name", "tools[0]: name is absent"},
		{"inputSchema null", `[{"name":"a","inputSchema":null}]`, "spec", "", "tools.input-schema.present", `tool "a": inputSchema is null, want an object`},
		{"inputSchema missing", `[{"name":"a"}]`, "spec", "", "tools.input-schema.present", `tool "a": inputSchema is absent`},
		{"type is an array", `[{"name":"a","inputSchema":{"type":["object"]}}]`, "spec", "", "tools.input-schema.type-object", `inputSchema.type is a JSON array, want "object"`},
		{"properties null", `[{"name":"a","inputSchema":{"type":"object","properties":null}}]`, "spec", "", "tools.input-schema.properties-object", "inputSchema.properties is null"},
		{"property schema null", `[{"name":"a","inputSchema":{"type":"object","properties":{"q":null}}}]`, "spec", "", "tools.null-fields", "inputSchema.properties.q is null"},
		{"required null", `[{"name":"a","inputSchema":{"type":"object","required":null}}]`, "spec", "", "tools.null-fields", "inputSchema.required is null"},
		{"annotations null", `[{"name":"a","inputSchema":{"type":"object"},"annotations":null}]`, "spec", "", "tools.null-fields", "annotations is null"},
		{"outputSchema null", `[{"name":"a","inputSchema":{"type":"object"},"outputSchema":null}]`, "spec", "", "tools.null-fields", "outputSchema is null"},
		{"outputSchema []", `[{"name":"a","inputSchema":{"type":"object"},"outputSchema":[]}]`, "spec", "", "tools.output-schema.type-object", "outputSchema is [] (a JSON array)"},
		{"name exactly at the budget", `[{"name":"` + strings.Repeat("x", 60) + `","inputSchema":{"type":"object"}}]`, "claude", "mcp_", "", ""},
		{"name one over the budget", `[{"name":"` + strings.Repeat("x", 61) + `","inputSchema":{"type":"object"}}]`, "claude", "mcp_", "tools.claude.name-pattern", "(65 characters with the prefix)"},
		{"anyOf", `[{"name":"a","inputSchema":{"type":"object","anyOf":[{"required":["a"]}]}}]`, "claude", "", "tools.claude.no-combinators", "top-level anyOf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var tools []any
			dec := json.NewDecoder(bytes.NewReader([]byte(tc.tools)))
			dec.UseNumber()
			if err := dec.Decode(&tools); err != nil {
				t.Fatal(err)
			}
			ps, err := resolveProfiles([]string{tc.profile})
			if err != nil {
				t.Fatal(err)
			}
			var rc recorder
			checkTools(&rc, tools, ps, clientNames{toolPrefix: tc.prefix})
			var failed []oracles.Check
			for _, c := range rc.checks {
				if c.Status == oracles.Fail {
					failed = append(failed, c)
				}
			}
			switch {
			case tc.fail == "" && len(failed) > 0:
				t.Fatalf("failed %+v, want none", failed)
			case tc.fail != "" && (len(failed) != 1 || failed[0].ID != tc.fail || !strings.Contains(failed[0].Detail, tc.detail)):
				t.Fatalf("failed %+v, want only %s with %q", failed, tc.fail, tc.detail)
			}
		})
	}
}

// FuzzConsider feeds arbitrary bodies to the JSON-RPC response picker and
// arbitrary tool lists to the tool checks of every profile: nothing panics,
// a match has the request's id, and every tool check is recorded exactly
// once.
func FuzzConsider(f *testing.F) {
	f.Add(`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a","inputSchema":{"type":"object","properties":[]}}]}}`)
	f.Add(`[{"jsonrpc":"2.0","method":"x","id":1},{"id":1.0,"result":null}]`)
	f.Add(`{"id":"1","result":{"tools":[null,{"name":null,"inputSchema":[]}]}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var rep reply
		if rep.consider([]byte(body), 1) {
			if id := rep.msg.(map[string]any)["id"].(json.Number); id.String() != "1" {
				t.Fatalf("matched id %s, want 1", id)
			}
		}
		var v any
		dec := json.NewDecoder(strings.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			return
		}
		tools, _ := v.([]any)
		if obj, ok := v.(map[string]any); ok {
			if res, ok := obj["result"].(map[string]any); ok {
				tools, _ = res["tools"].([]any)
			}
		}
		ps, _ := resolveProfiles([]string{"all"})
		want := 10
		for _, p := range ps {
			want += len(p.rules)
		}
		var rc recorder
		checkTools(&rc, tools, ps, clientNames{toolPrefix: "p_", server: "s"})
		seen := map[string]bool{}
		for _, c := range rc.checks {
			if seen[c.ID] {
				t.Fatalf("check %s recorded twice", c.ID)
			}
			seen[c.ID] = true
		}
		if len(seen) != want {
			t.Fatalf("%d checks recorded, want %d", len(seen), want)
		}
	})
}
