package mcp

import (
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchema compiles a tool's inputSchema or outputSchema with the JSON
// Schema library the report schema uses: 2020-12 unless the schema's
// $schema names another draft, as MCP's 2025-11-25 revision says. No
// reference is loaded from anywhere (no file, no network): a schema that
// needs one does not compile.
func compileSchema(doc map[string]any) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(jsonschema.SchemeURLLoader{})
	const loc = "urn:lockbisect:tool-schema"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	return c.Compile(loc)
}

// draft07Meta is the draft-07 meta-schema, which VS Code validates every
// inputSchema against; it ships with the library, nothing is fetched.
var draft07Meta = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.UseLoader(jsonschema.SchemeURLLoader{})
	return c.Compile("http://json-schema.org/draft-07/schema")
})

// draft07 validates doc as an instance of the draft-07 meta-schema.
func draft07(doc map[string]any) error {
	meta, err := draft07Meta()
	if err != nil {
		return fmt.Errorf("load the draft-07 meta-schema: %w", err)
	}
	return meta.Validate(doc)
}
