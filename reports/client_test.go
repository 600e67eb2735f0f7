package reports

import (
	"bytes"
	"strings"
	"testing"
)

// TestClientCulprit: when the culprit's failing check is a client
// profile's rule, the sentence names the client and the reproduce command
// judges with that client's profile.
func TestClientCulprit(t *testing.T) {
	cases := []struct {
		check    Check
		sentence string
		command  string
	}{
		{Check{ID: "tools.gemini.type-single", Detail: "type is a list", Profile: "gemini", Client: "Gemini"},
			"Gemini rejects the server's tools because of acme/schema 1.1.0 → 1.2.0.", "--profile gemini\n"},
		{Check{ID: "oauth.claude.issuer", Detail: "issuer differs", Profile: "claude", Client: "Claude"},
			"Claude cannot use the server because of acme/schema 1.1.0 → 1.2.0.", "--profile claude\n"},
		{Check{ID: "tools.input-schema.valid", Detail: "does not compile"},
			"The server breaks because of acme/schema 1.1.0 → 1.2.0.", "--profile claude,gemini\n"},
	}
	for _, tc := range cases {
		t.Run(tc.check.ID, func(t *testing.T) {
			r := fixtures()["culprit"]
			r.Question.Profile = "claude,gemini"
			r.Culprits[0].Evidence.Check = &tc.check
			if got := Sentence(r); got != tc.sentence {
				t.Errorf("sentence %q, want %q", got, tc.sentence)
			}
			var b bytes.Buffer
			if err := Markdown(&b, r); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "bisect oracle --url http://127.0.0.1:PORT/mcp "+tc.command) {
				t.Errorf("reproduce section lacks %q:\n%s", tc.command, b.String())
			}
		})
	}
}
