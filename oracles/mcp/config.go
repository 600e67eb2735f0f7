package mcp

import (
	"log/slog"

	"github.com/lockbisect/lockbisect/oracles"
)

// Config is the mcp oracle's own part of the oracle section.
type Config struct {
	Profile []string `mapstructure:"profile"` // client profiles (spec, claude, gemini, openai, cursor, vscode, all); a YAML list or one comma-separated string; unset = spec
	MCP     Settings `mapstructure:"mcp"`
}

// Settings are the keys under oracle.mcp.
type Settings struct {
	ProtocolVersions []string          `mapstructure:"protocol_versions"` // unset = [2025-06-18]
	Calls            []ToolCall        `mapstructure:"calls"`             // tools/call after tools/list
	ToolPrefix       string            `mapstructure:"tool_prefix"`       // claude profile: prefix the client adds to names; "" = mcp__<server_name>__ when server_name is set
	ServerName       string            `mapstructure:"server_name"`       // the name users give the server in their client's configuration (claude, cursor and vscode prefix tool names with it)
	OAuth            OAuth             `mapstructure:"oauth"`
	Headers          map[string]string `mapstructure:"headers"` // sent with every request
}

// ToolCall is a tools/call the oracle makes.
type ToolCall struct {
	Name      string         `mapstructure:"name"`
	Arguments map[string]any `mapstructure:"arguments"`
}

// OAuth drives the authorization code flow without a browser.
type OAuth struct {
	Enabled     bool              `mapstructure:"enabled"`      // force the flow even without a 401
	RedirectURI string            `mapstructure:"redirect_uri"` // "" = http://127.0.0.1:8976/callback
	Scope       string            `mapstructure:"scope"`
	Consent     map[string]string `mapstructure:"consent"`     // form fields submitted on the consent page
	ClientName  string            `mapstructure:"client_name"` // "" = lockbisect
	// A pre-registered client: used instead of dynamic registration when
	// set. ClientSecret is a secret (redacted everywhere); "" = a public
	// client.
	ClientID     string `mapstructure:"client_id"`
	ClientSecret string `mapstructure:"client_secret"`
	// ClientMetadataURL is the https URL of this client's Client ID
	// Metadata Document, used as client_id when the authorization server
	// advertises client_id_metadata_document_supported (and no client_id
	// is set).
	ClientMetadataURL string `mapstructure:"client_metadata_url"`
}

// MCPConfig returns c: a configuration that embeds Config (and
// oracles.Config) satisfies Settings.
func (c Config) MCPConfig() Config { return c }

// Defaults fills the settings left unset with their documented defaults.
func (c *Config) Defaults() {
	if len(c.Profile) == 0 {
		c.Profile = []string{"spec"}
	}
	if len(c.MCP.ProtocolVersions) == 0 {
		c.MCP.ProtocolVersions = []string{"2025-06-18"}
	}
	if c.MCP.OAuth.RedirectURI == "" {
		c.MCP.OAuth.RedirectURI = "http://127.0.0.1:8976/callback"
	}
	if c.MCP.OAuth.ClientName == "" {
		c.MCP.OAuth.ClientName = "lockbisect"
	}
}

// settings is what an Oracle reads: the common oracle settings and its
// own, side by side so that both are fields of one value (m.cfg.Path,
// m.cfg.MCP).
type settings struct {
	oracles.Config
	own
}

// own names Config as settings' embedded field (two embedded types named
// Config would collide).
type own = Config

// Kind is the mcp oracle for a registry of S.
func Kind[S interface {
	oracles.Settings
	MCPConfig() Config
}]() oracles.Kind[S] {
	return oracles.Kind[S]{
		Name:     "mcp",
		Profiles: true,
		New: func(s S, log *slog.Logger) (oracles.Oracle, error) {
			o := New(s.OracleConfig(), s.MCPConfig(), log)
			if err := o.Invalid(); err != nil {
				return nil, err
			}
			return o, nil
		},
	}
}
