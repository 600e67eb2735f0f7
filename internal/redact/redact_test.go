package redact

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	cases := []struct {
		name, in string
		secrets  []string
		want     string
	}{
		{"listed secret", "token at-abcdef rejected", []string{"at-abcdef"}, "token [REDACTED] rejected"},
		{"longest secret first", "xyz-1234-5678", []string{"xyz-1234", "xyz-1234-5678"}, "[REDACTED]"},
		{"short secrets ignored", "a b c", []string{"a", ""}, "a b c"},
		{"authorization header", "Authorization: Bearer abc.def\nAccept: x", nil, "Authorization: [REDACTED]\nAccept: x"},
		{"bearer in text", "sent bearer eyJhbGciOi.x-y_z= and more", nil, "sent Bearer [REDACTED] and more"},
		{"challenge params kept", `WWW-Authenticate: Bearer realm="mcp", resource_metadata="http://x"`, nil, `WWW-Authenticate: Bearer realm="mcp", resource_metadata="http://x"`},
		{"challenge params kept inside %q", `"Bearer realm=\"mcp\""`, nil, `"Bearer realm=\"mcp\""`},
		{"query parameters", "http://c/cb?code=XYZ&state=s1", nil, "http://c/cb?code=[REDACTED]&state=s1"},
		{"code_challenge kept", "code_challenge=abc&code_verifier=def", nil, "code_challenge=abc&code_verifier=[REDACTED]"},
		{"json members", `{"access_token": "a1", "refresh_token":"r\"1", "token_type":"Bearer"}`, nil, `{"access_token": "[REDACTED]", "refresh_token":"[REDACTED]", "token_type":"Bearer"}`},
		{"client secret form", "client_id=c&client_secret=s3cr3t", nil, "client_id=c&client_secret=[REDACTED]"},
		{"cookie", "Set-Cookie: sid=1; HttpOnly", nil, "Set-Cookie: [REDACTED]"},
		{"bearer ending a JSON string", `{"auth":"Bearer eyJhbGciOiJIUzI1NiJ9.abc.def"}`, nil, `{"auth":"Bearer [REDACTED]"}`},
		{"bearer ending a %q string", `header "Bearer eyJhbGciOiJIUzI1NiJ9.abc.def"`, nil, `header "Bearer [REDACTED]"`},
		{"padded bearer ending a string", `"Bearer YWJjZA=="`, nil, `"Bearer [REDACTED]"`},
		{"url user information", "clone https://user:ghp_secret@github.com/o/r.git failed", nil, "clone https://[REDACTED]@github.com/o/r.git failed"},
		{"url token as user", "--repo-map a=https://ghp_secret@github.com/o/r", nil, "--repo-map a=https://[REDACTED]@github.com/o/r"},
		{"session id in a sentence", `Mcp-Session-Id is "s\x01id", want visible ASCII`, nil, `Mcp-Session-Id is [REDACTED], want visible ASCII`},
		{"registration access token", `{"client_id":"c","registration_access_token":"rat-1","client_secret_expires_at":0}`, nil, `{"client_id":"c","registration_access_token":"[REDACTED]","client_secret_expires_at":0}`},
		{"any secret member", `{"signing_secret_v2": "x"}`, nil, `{"signing_secret_v2": "[REDACTED]"}`},
		{"any token parameter", "?device_token=d1&x=1", nil, "?device_token=[REDACTED]&x=1"},
		{"scp-like and plain urls kept", "git@github.com:o/r.git https://github.com/o/r /tmp/x", nil, "git@github.com:o/r.git https://github.com/o/r /tmp/x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := String(tc.in, tc.secrets...); got != tc.want {
				t.Fatalf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzRedact: a listed secret never survives, wherever it sits.
func FuzzRedact(f *testing.F) {
	f.Add("before ", "at-0123456789", " after")
	f.Add("Authorization: Bearer ", "abcd", "\n")
	f.Fuzz(func(t *testing.T, before, secret, after string) {
		if len(secret) < 4 || strings.Trim(secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			return
		}
		if got := String(before+secret+after, secret); strings.Contains(got, secret) {
			t.Fatalf("secret %q survives in %q", secret, got)
		}
	})
}
