package main

import (
	"fmt"

	"github.com/lockbisect/lockbisect/internal/fixtures/gitrepo"
	"github.com/lockbisect/lockbisect/internal/fixtures/goproxy"
)

// The culprit's story below the package level, for `bisect run`'s
// drill-down: example.com/schema released v1.2.1 .. v1.2.4 between the two
// locks' v1.2.0 and v1.3.0.
//
//	v1.2.1  good   adds Draft
//	v1.2.2  skip   requires example.com/jsonschema v0.1.0, which was never published
//	v1.2.3  good   drops that requirement again, adds String
//	v1.2.4  bad    the first bad release: Object marshals a struct
//
// Its upstream repository (written by `gen -upstream DIR`, as a nested
// .git cannot be committed) has annotated tags for every release; between
// v1.2.3 and v1.2.4 the first-parent chain is
//
//	Document the package             good
//	WIP: marshal a struct            skip (does not compile)
//	Fix the build                    good
//	Merge pull request #7 …          bad: the first bad commit, a merge of
//	    Add the object type              good
//	    Marshal a struct instead of a map   bad: the first bad commit on the branch
//	Release v1.2.4                   bad (tagged v1.2.4)
const schemaPath = "example.com/schema"

const schemaDraft = `
// Draft is the JSON Schema dialect the schemas follow.
const Draft = "https://json-schema.org/draft/2020-12/schema"
`

const schemaString = `
// String is a string argument.
func String(description string) Property { return Property{Type: "string", Description: description} }
`

const schemaObjectType = `
type object struct {
	Type       string              ` + "`json:\"type\"`" + `
	Properties map[string]Property ` + "`json:\"properties\"`" + `
	Required   []string            ` + "`json:\"required,omitempty\"`" + `
}
`

// schemaV124 is the breaking change as first released.
const schemaV124 = `// Package schema builds JSON Schemas for tool arguments.
package schema

import "encoding/json"

// Property is one argument.
type Property struct {
	Type        string ` + "`json:\"type\"`" + `
	Description string ` + "`json:\"description,omitempty\"`" + `
}
` + schemaObjectType + `
// Object returns the schema of an object with these properties, marshalled
// from a struct, which allocates less than a map.
func Object(props map[string]Property, required ...string) json.RawMessage {
	b, _ := json.Marshal(object{Type: "object", Properties: props, Required: required})
	return b
}
` + schemaDraft + schemaString

const (
	schemaV121 = schemaV120 + schemaDraft
	schemaV123 = schemaV121 + schemaString
)

// schemaReleases are the releases between the locks' two versions.
func schemaReleases() []goproxy.Module {
	return []goproxy.Module{
		{Path: schemaPath, Version: "v1.2.1", Files: map[string]string{"schema.go": schemaV121}},
		{Path: schemaPath, Version: "v1.2.2", Require: map[string]string{"example.com/jsonschema": "v0.1.0"},
			Files: map[string]string{"schema.go": schemaV121}},
		{Path: schemaPath, Version: "v1.2.3", Files: map[string]string{"schema.go": schemaV123}},
		{Path: schemaPath, Version: "v1.2.4", Files: map[string]string{"schema.go": schemaV124}},
	}
}

const changelog = `# Changelog

## v1.2.4

- Object marshals a struct instead of a map (#7).

## v1.2.3

- String builds a string argument.
`

// writeUpstream writes example.com/schema's repository into dir.
func writeUpstream(dir string) error {
	repo, err := gitrepo.Init(dir)
	if err != nil {
		return err
	}
	commit, tag := repo.Commit, repo.Tag
	gomod := func(m goproxy.Module) string { return m.GoModText() }
	plain := goproxy.Module{Path: schemaPath}
	rels := schemaReleases()

	type step struct {
		msg, author, tag string
		files            map[string]string
	}
	for _, s := range []step{
		{"Release v1.2.0", "Ada", "v1.2.0", map[string]string{"go.mod": gomod(plain), "schema.go": schemaV120}},
		{"Add Draft", "Ada", "v1.2.1", map[string]string{"schema.go": schemaV121}},
		{"Validate with example.com/jsonschema", "Bob", "v1.2.2", map[string]string{"go.mod": gomod(rels[1])}},
		{"Drop example.com/jsonschema again; add String", "Ada", "v1.2.3", map[string]string{"go.mod": gomod(plain), "schema.go": schemaV123}},
		{"Document the package", "Ada", "", map[string]string{"README.md": "# schema\n\nJSON Schemas for MCP tool arguments.\n"}},
	} {
		h, err := commit(s.msg, s.author, s.files)
		if err != nil {
			return err
		}
		if s.tag != "" {
			if err := tag(s.tag, h); err != nil {
				return err
			}
		}
	}
	fork, err := repo.Head()
	if err != nil {
		return err
	}
	if _, err := commit("WIP: marshal a struct", "Bob", map[string]string{"schema.go": schemaV123 + "\nfunc unfinished( {\n"}); err != nil {
		return err
	}
	fixed, err := commit("Fix the build", "Bob", map[string]string{"schema.go": schemaV123})
	if err != nil {
		return err
	}
	// The feature branch starts at "Document the package"; its commits are
	// made on a detached work tree state by naming their parents.
	if err := repo.Detach(fork); err != nil {
		return err
	}
	side1, err := commit("Add the object type", "Cy", map[string]string{"schema.go": schemaV123 + schemaObjectType}, fork)
	if err != nil {
		return err
	}
	side2, err := commit("Marshal a struct instead of a map", "Cy", map[string]string{"schema.go": schemaV124}, side1)
	if err != nil {
		return err
	}
	if err := repo.Switch("master"); err != nil {
		return err
	}
	if head, err := repo.Head(); err != nil || head != fixed {
		return fmt.Errorf("upstream: master is not at the build fix (%v)", err)
	}
	if _, err := commit("Merge pull request #7 from cy/struct-schema\n\nMarshal a struct instead of a map", "Ada",
		map[string]string{"schema.go": schemaV124}, fixed, side2); err != nil {
		return err
	}
	v124, err := commit("Release v1.2.4", "Ada", map[string]string{"CHANGELOG.md": changelog})
	if err != nil {
		return err
	}
	if err := tag("v1.2.4", v124); err != nil {
		return err
	}
	v130, err := commit("Release v1.3.0", "Ada", map[string]string{"schema.go": schemaV130})
	if err != nil {
		return err
	}
	return tag("v1.3.0", v130)
}
