package config

import (
	"slices"
	"testing"
)

// TestKeys: every single-valued key is settable from the environment,
// among them the ones a hand-kept list used to miss.
func TestKeys(t *testing.T) {
	got := Keys()
	for _, want := range []string{
		"project", "runner.kind", "runner.build", "runner.start", "runner.ready.path", "runner.ready.timeout",
		"runner.memory", "runner.cpus", "runner.copy_limit.files", "runner.build_timeout", "runner.public_env",
		"oracle.kind", "oracle.profile", "oracle.timeout_is_untestable", "oracle.mcp.server_name",
		"oracle.mcp.oauth.client_id", "oracle.mcp.oauth.client_secret", "oracle.mcp.oauth.client_metadata_url",
		"search.drill", "search.composer_repo", "search.build_failure", "report.markdown", "report.json",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("Keys() lacks %s", want)
		}
	}
	for _, never := range []string{"runner.env", "oracle.steps", "oracle.mcp.calls", "oracle.mcp.headers", "runner.copy_limit"} {
		if slices.Contains(got, never) {
			t.Errorf("Keys() has %s, which one value cannot set", never)
		}
	}
}
