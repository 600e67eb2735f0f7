module example.com/schema

go 1.21

require (
	example.com/jsonschema v0.1.0
)
