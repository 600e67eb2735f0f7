module example.com/jsonrpc

go 1.21

require (
	example.com/util v1.4.0
)
