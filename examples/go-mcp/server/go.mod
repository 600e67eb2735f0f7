module example.com/mcpserver

go 1.22

require (
	example.com/jsonrpc v1.2.0
	example.com/logfmt v0.4.0
	example.com/registry v1.1.0
	example.com/schema v1.3.0
	example.com/util v1.4.0
)

require example.com/ansi v1.0.2 // indirect
