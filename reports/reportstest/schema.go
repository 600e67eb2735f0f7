// Package reportstest validates JSON reports against their schema
// (docs/report.schema.json); only tests import it, so the validator stays
// out of the binary.
package reportstest

import (
	"bytes"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// CompileSchema loads the report's JSON Schema (docs/report.schema.json).
func CompileSchema(path string) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(path)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", path, err)
	}
	return sch, nil
}

// ValidateJSON checks a JSON report against the schema.
func ValidateJSON(sch *jsonschema.Schema, report []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(report))
	if err != nil {
		return fmt.Errorf("report is not JSON: %w", err)
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("report does not match the schema: %w", err)
	}
	return nil
}
