module example.com/logfmt

go 1.21

require (
	example.com/ansi v1.0.0
)
