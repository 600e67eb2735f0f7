package redact

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
)

// redacted replaces every secret in output.
const redacted = "[REDACTED]"

const (
	credentialHeaders = `authorization|proxy-authorization|cookie|set-cookie|x-api-key|mcp-session-id`
	// Parameter and member names whose value is a credential: any *_token
	// (registration_access_token too) and anything with "secret" in it,
	// besides the OAuth names; token_type and code_challenge are not.
	credentialNames = `[a-z0-9_]*_token|token|[a-z0-9_]*secret[a-z0-9_]*|code|code_verifier|password`
)

var (
	// Header lines whose whole value is a credential.
	redactHeader = regexp.MustCompile(`(?i)\b(` + credentialHeaders + `)(["']?\s*:\s*)[^\r\n]*`)
	// The same headers named in a sentence: `Mcp-Session-Id is "…"`.
	redactHeaderIs = regexp.MustCompile(`(?i)\b(` + credentialHeaders + `)(\s+is\s+)("(?:[^"\\]|\\.)*"|\S+)`)
	// Credentials in a query string or form body.
	redactParam = regexp.MustCompile(`(?i)\b(` + credentialNames + `)=([^&\s"'#]+)`)
	// Credentials as JSON members.
	redactJSON = regexp.MustCompile(`(?i)"(` + credentialNames + `)"(\s*:\s*)"(?:[^"\\]|\\.)*"`)
	// Credentials in a URL's user information (https://user:token@host).
	redactUserinfo = regexp.MustCompile(`\b([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@"'<>]+@`)
	// A Bearer credential (RFC 6750 b64token) anywhere in free text.
	redactBearer = regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*`)
)

// String removes credentials from s before it reaches a log, a check detail
// or a report: every listed secret (tokens, client secrets, authorization
// codes the caller saw), the values of credential headers (Authorization,
// Cookie, Set-Cookie, X-Api-Key, Mcp-Session-Id; also as `… is "value"`),
// Bearer credentials, and credential parameters in query strings, forms and
// JSON (any *_token, anything with "secret" in its name, code,
// code_verifier, password, token), and the user information of URLs (https://user:token@host). Secrets shorter than 4 bytes are ignored, since replacing them would
// shred ordinary text without protecting anything guessable anyway.
func String(s string, secrets ...string) string {
	sorted := slices.Clone(secrets)
	// Longest first, so that a secret containing another is replaced whole.
	slices.SortFunc(sorted, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, sec := range sorted {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	s = redactHeader.ReplaceAllString(s, "${1}${2}"+redacted)
	s = redactHeaderIs.ReplaceAllString(s, "${1}${2}"+redacted)
	s = redactParam.ReplaceAllString(s, "${1}="+redacted)
	s = redactJSON.ReplaceAllString(s, `"${1}"${2}"`+redacted+`"`)
	s = redactUserinfo.ReplaceAllString(s, "${1}"+redacted+"@")
	return redactBearerTokens(s)
}

// redactBearerTokens replaces Bearer credentials but leaves a challenge's
// auth-params (`Bearer realm="x"`, `Bearer resource_metadata="…"`, also
// inside a %q-quoted string) alone: an auth-param is a short name, then "="
// and a quote, where a credential ending a quoted string has no such name.
func redactBearerTokens(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range redactBearer.FindAllStringIndex(s, -1) {
		if m[1] < len(s) && (TokenChar(s[m[1]]) || authParam(s[m[0]:m[1]], s[m[1]])) {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString("Bearer " + redacted)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// authParam reports whether a Bearer match ("Bearer name=") followed by next
// starts an auth-param rather than being a credential.
func authParam(match string, next byte) bool {
	if next != '"' && next != '\\' {
		return false
	}
	name, ok := strings.CutSuffix(strings.TrimSpace(match[len("bearer"):]), "=")
	return ok && authParamName.MatchString(name)
}

var authParamName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,31}$`)

// TokenChar reports whether c may stand in an HTTP token (RFC 9110 tchar).
func TokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// CredentialHeader reports whether a configured header carries a credential
// whose value must be redacted wherever a server echoes it.
func CredentialHeader(name string) bool {
	n := strings.ToLower(name)
	return n == "authorization" || n == "cookie" || strings.Contains(n, "token") || strings.Contains(n, "secret") || strings.Contains(n, "key")
}
