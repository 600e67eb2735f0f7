package hunt

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/composer"
	"github.com/lockbisect/lockbisect/manifests/gomod"
	"github.com/lockbisect/lockbisect/oracles/mcp"
	"github.com/lockbisect/lockbisect/runners"
)

func TestRedactor(t *testing.T) {
	cfg := &config.Config{
		Runner: config.Runner{Config: runners.Config{
			Env: map[string]string{
				"API_TOKEN":     "tok-0123456789",
				"DB_URL":        "postgres://db:{{.Port}}/x-secretdb",
				"GOFLAGS":       "-modcacherw-long",
				"COMPOSER_AUTH": `{"github-oauth":{"github.com":"gho_abcdefgh"}}`,
				"FEATURES":      "feature-a,feature-b",
				"SHORT":         "hunter2",
			},
			PublicEnv: []string{"FEAT*"},
		}},
		Oracle: config.Oracle{MCPOracle: mcp.Config{MCP: mcp.Settings{
			Headers: map[string]string{"X-Auth": "Bearer hdr-0123456789"},
			OAuth:   mcp.OAuth{Consent: map[string]string{"password": "consent-pw-1", "approve": "yes"}},
		}}},
	}
	r := newRedactor(cfg, []manifests.Ecosystem{composer.Ecosystem{}, gomod.Ecosystem{}})
	cases := []struct{ in, want string }{
		{"using tok-0123456789 now", "using [REDACTED] now"},
		{"db postgres://db:0/x-secretdb", "db [REDACTED]"},
		{"flags -modcacherw-long", "flags -modcacherw-long"},
		{`auth {"github-oauth":{"github.com":"gho_abcdefgh"}}`, "auth [REDACTED]"},
		{"features feature-a,feature-b", "features feature-a,feature-b"},
		{"short hunter2", "short hunter2"},
		{"sent hdr-0123456789", "sent [REDACTED]"},
		{"form consent-pw-1 yes", "form [REDACTED] yes"},
	}
	for _, c := range cases {
		if got := r.String(c.in); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
	}

	t.Run("writer", func(t *testing.T) {
		var b bytes.Buffer
		w := r.Writer(&b)
		for _, part := range []string{"echo tok-01", "23456789\nnext tok-", "0123456789"} {
			if _, err := w.Write([]byte(part)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if want := "echo [REDACTED]\nnext [REDACTED]"; b.String() != want {
			t.Errorf("wrote %q, want %q", b.String(), want)
		}
	})

	t.Run("logger and error", func(t *testing.T) {
		var b bytes.Buffer
		log := r.Logger(slog.New(slog.NewTextHandler(&b, nil))).With("env", "tok-0123456789")
		err := errors.New("build: tok-0123456789 rejected")
		log.Info("saw tok-0123456789", "err", err, slog.Group("g", "v", "tok-0123456789"))
		if strings.Contains(b.String(), "tok-0123456789") {
			t.Errorf("the log holds the secret: %s", b.String())
		}
		red := r.Error(err)
		if strings.Contains(red.Error(), "tok-0123456789") || !errors.Is(red, err) {
			t.Errorf("Error(%v) = %v, want it redacted and wrapping the original", err, red)
		}
	})
}
