module example.com/jsonrpc

go 1.21
