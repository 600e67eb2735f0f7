package mcp_test

import (
	"context"
	"slices"
	"testing"

	"github.com/lockbisect/lockbisect/internal/fixtures/mcpserver"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/oracles/mcp"
)

// judge runs the mcp oracle with profile against the fixture with opts.
func judge(t *testing.T, opts mcpserver.Options, profile string, cfg func(*testConfig)) *oracles.Result {
	t.Helper()
	_, tgt := serve(t, opts)
	c := oracleConfig()
	c.Profile = []string{profile}
	if cfg != nil {
		cfg(&c)
	}
	v, err := newOracle(c, nil).Check(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// baseline is what the healthy fixture fails under each profile: only
// OpenAI's strict mode, a warning, which no schema with properties can
// satisfy together with Gemini (strict mode wants additionalProperties:
// false on every object, Gemini's Schema has no additionalProperties).
var baseline = map[string][]string{"openai": {"tools.openai.strict"}}

// TestProfiles: each fixture toggle fails exactly its rule under the
// profile of the client that has it, and nothing new under the others.
// spec lists the spec-level checks, which fail under every profile.
func TestProfiles(t *testing.T) {
	all := mcp.ProfileNames()
	for _, p := range all {
		t.Run("healthy/"+p, func(t *testing.T) {
			v := judge(t, mcpserver.Options{}, p, nil)
			if got := slices.Compact(failing(v)); !slices.Equal(got, baseline[p]) {
				t.Fatalf("failing %q, want %q\n%s", got, baseline[p], dump(v))
			}
			if v.Verdict != "pass" {
				t.Fatalf("verdict %s", v.Verdict)
			}
		})
	}
	cases := []struct {
		name string
		opts mcpserver.Options
		cfg  func(*testConfig)
		want map[string][]string // profile → checks that fail beyond the baseline; "spec" = under every profile
	}{
		{"strict-mode schemas", mcpserver.Options{StrictSchemas: true}, nil,
			map[string][]string{"gemini": {"tools.gemini.additional-properties"}}},
		{"property key with a space", mcpserver.Options{BadPropertyKey: true}, nil,
			map[string][]string{"claude": {"tools.claude.property-keys"}}},
		{"type array", mcpserver.Options{NullableArrayType: true}, nil,
			map[string][]string{"gemini": {"tools.gemini.type-single"}}},
		{"$ref", mcpserver.Options{SchemaRef: true}, nil,
			map[string][]string{"gemini": {"tools.gemini.ref"}}},
		{"nested allOf", mcpserver.Options{NestedAllOf: true}, nil,
			map[string][]string{"gemini": {"tools.gemini.combinators"}}},
		{"top-level oneOf", mcpserver.Options{TopLevelOneOf: true}, nil,
			map[string][]string{"claude": {"tools.claude.no-combinators"}, "gemini": {"tools.gemini.combinators"}}},
		{"additionalProperties", mcpserver.Options{AdditionalProperties: true}, nil,
			map[string][]string{"gemini": {"tools.gemini.additional-properties"}}},
		{"const", mcpserver.Options{ConstKeyword: true}, nil,
			map[string][]string{"gemini": {"tools.gemini.keywords"}}},
		{"format uri", mcpserver.Options{URIFormat: true}, nil,
			map[string][]string{"gemini": {"tools.gemini.format"}}},
		{"name starts with a digit", mcpserver.Options{DigitName: true}, nil,
			map[string][]string{"gemini": {"tools.gemini.name-pattern"}}},
		{"dotted name", mcpserver.Options{DottedName: true}, nil,
			map[string][]string{"claude": {"tools.claude.name-pattern"}, "openai": {"tools.openai.name-pattern"}, "vscode": {"tools.vscode.name-chars"}}},
		{"array without items", mcpserver.Options{ArrayWithoutItems: true}, nil,
			map[string][]string{"openai": {"tools.openai.array-items"}}},
		{"129 tools", mcpserver.Options{Tools129: true}, nil,
			map[string][]string{"openai": {"tools.openai.tool-count"}, "cursor": {"tools.cursor.tool-count"}, "vscode": {"tools.vscode.tool-count"}}},
		{"60-character name", mcpserver.Options{LongName: true}, nil,
			map[string][]string{"cursor": {"tools.cursor.name-length"}}},
		{"server name over Cursor's budget", mcpserver.Options{}, func(c *testConfig) { c.MCP.ServerName = "a-server-name-long-enough-to-push-search-over-sixty-ch" },
			map[string][]string{"cursor": {"tools.cursor.name-length"}, "claude": {"tools.claude.name-pattern"}}},
		{"draft-04 schema", mcpserver.Options{Draft04Schema: true}, nil,
			map[string][]string{"vscode": {"tools.vscode.input-schema"}, "gemini": {"tools.gemini.keywords"}}},
		{"no description", mcpserver.Options{NoDescription: true}, nil,
			map[string][]string{"vscode": {"tools.vscode.description"}}},
		{"input schema that does not compile", mcpserver.Options{InvalidInputSchema: true}, nil,
			map[string][]string{"spec": {"tools.input-schema.valid"}, "gemini": {"tools.gemini.type-single"}, "vscode": {"tools.vscode.input-schema"}}},
		{"output schema that does not compile", mcpserver.Options{InvalidOutputSchema: true}, nil,
			map[string][]string{"spec": {"tools.output-schema.valid"}}},
		{"more than one page", mcpserver.Options{PageSize: 2}, nil,
			map[string][]string{"claude": {"tools.claude.first-page"}}},
	}
	for _, tc := range cases {
		for _, p := range all {
			t.Run(tc.name+"/"+p, func(t *testing.T) {
				v := judge(t, tc.opts, p, tc.cfg)
				var got []string
				for _, id := range slices.Compact(failing(v)) {
					if !slices.Contains(baseline[p], id) {
						got = append(got, id)
					}
				}
				want := append(slices.Clone(tc.want["spec"]), tc.want[p]...)
				if p == "spec" {
					want = tc.want["spec"]
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("failing %q beyond the baseline, want %q\n%s", got, want, dump(v))
				}
				if tc.opts.StrictSchemas && p == "openai" && slices.Contains(failing(v), "tools.openai.strict") {
					t.Errorf("strict-mode schemas still fail tools.openai.strict\n%s", dump(v))
				}
				for _, c := range v.Checks {
					if c.Status == oracles.Fail && c.Profile != "" && (c.Profile != p || c.Client == "") {
						t.Errorf("check %s names profile %q client %q under profile %s", c.ID, c.Profile, c.Client, p)
					}
				}
			})
		}
	}
}

// TestProfilesTogether: several profiles in one run judge as each does
// alone, the verdict fails on a fatal rule of any of them, and --profile
// all is every profile.
func TestProfilesTogether(t *testing.T) {
	_, tgt := serve(t, mcpserver.Options{NullableArrayType: true, DottedName: true})
	c := oracleConfig()
	c.Profile = []string{"claude", "gemini"}
	v, err := newOracle(c, nil).Check(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Compact(failing(v))
	slices.Sort(got)
	want := []string{"tools.claude.name-pattern", "tools.gemini.type-single"}
	if v.Verdict != "fail" || !slices.Equal(got, want) {
		t.Fatalf("verdict %s, failing %q, want fail on %q\n%s", v.Verdict, got, want, dump(v))
	}
	for _, ch := range v.Checks {
		if ch.ID == "tools.gemini.type-single" && (ch.Client != "Gemini" || ch.Profile != "gemini") {
			t.Errorf("check %+v does not name Gemini", ch)
		}
	}

	c.Profile = []string{"all"}
	v, err = newOracle(c, nil).Check(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ch := range v.Checks {
		seen[ch.Profile] = true
	}
	for _, p := range mcp.ProfileNames()[1:] {
		if !seen[p] {
			t.Errorf("profile all made no check of %s", p)
		}
	}

	c.Profile = []string{"claude", "netscape"}
	if err := newOracle(c, nil).Invalid(); err == nil {
		t.Error("an unknown profile was accepted")
	}
}
