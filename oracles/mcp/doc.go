// Package mcp is the mcp oracle: it speaks MCP's Streamable HTTP itself,
// with net/http and raw bytes (typed SDK decoding would hide exactly the
// defects in question: [] vs {}, null, header spelling, SSE framing, 202
// vs 200), runs the OAuth 2.1 flow when the server asks for it (RFC 9728
// discovery, RFC 8414 metadata, RFC 7591 registration, PKCE, RFC 8707
// resource, a non-interactive consent step, token and refresh), then
// initialize, notifications/initialized, tools/list and the configured
// tools/call, and judges what came as the client profiles of
// oracle.profile ([Config].Profile) do (see [Oracle], [ProfileNames] and
// docs/profiles.md). Tokens, codes and client secrets are redacted from
// every detail (internal/redact).
package mcp
