package reports

import (
	"bytes"
	"fmt"
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

// TestSubjectWords: the sentence and the counts fit what the oracle
// judged — a test suite, a check against a served candidate, or an mcp
// server (judged as client profiles) — and a run that builds nothing
// counts no builds.
func TestSubjectWords(t *testing.T) {
	cases := []struct {
		oracle, subject string
		unbuilt         bool
		speculative     int
		sentence        string
		counts          string
	}{
		{"exec", SubjectTests, true, 0, "The tests fail because of acme/schema 1.1.0 → 1.2.0.", "\n6 probes, 6 rounds, 41.5s\n"},
		{"exec", SubjectCheck, false, 0, "The check fails because of acme/schema 1.1.0 → 1.2.0.", "\n6 probes, 6 builds, 6 rounds, 41.5s\n"},
		{"http", "", false, 0, "The check fails because of acme/schema 1.1.0 → 1.2.0.", "\n6 probes, 6 builds, 6 rounds, 41.5s\n"},
		{"mcp", "", false, 0, "The server breaks because of acme/schema 1.1.0 → 1.2.0.", "\n6 probes, 6 builds, 6 rounds, 41.5s\n"},
		{"mcp", "", false, 2, "The server breaks because of acme/schema 1.1.0 → 1.2.0.", "\n6 probes, 2 of them speculative, 6 builds, 6 rounds, 41.5s\n"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/%d", tc.oracle, tc.subject, tc.speculative), func(t *testing.T) {
			r := fixtures()["culprit"]
			r.Culprits[0].Evidence = nil
			r.Question.Oracle, r.Question.Subject, r.Question.Unbuilt = tc.oracle, tc.subject, tc.unbuilt
			if tc.oracle != "mcp" {
				r.Question.Profile = "" // only an oracle that judges as clients has profiles
			}
			r.Summary.Speculative = tc.speculative
			if got := Sentence(r); got != tc.sentence {
				t.Errorf("sentence %q, want %q", got, tc.sentence)
			}
			var b bytes.Buffer
			if err := Brief(&b, r); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tc.sentence+"\n") || !strings.Contains(b.String(), tc.counts) {
				t.Errorf("brief lacks %q or %q:\n%s", tc.sentence, tc.counts, b.String())
			}
		})
	}
}
