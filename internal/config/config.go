// Package config is the typed, validated configuration of a bisect run. The
// command fills it once (from a YAML file, BISECT_ environment variables and
// flags, flags winning) and passes it down; no library reads viper.
package config

import (
	"fmt"
	"time"
)

// Config mirrors the YAML file documented in config.example.yaml.
type Config struct {
	Project string `mapstructure:"project"` // build context copied per candidate; "" = directory of --lock-new
	Runner  Runner `mapstructure:"runner"`
	Oracle  Oracle `mapstructure:"oracle"`
	Search  Search `mapstructure:"search"`
	Report  Report `mapstructure:"report"`
}

// Runner says how a candidate becomes a running server.
type Runner struct {
	Kind       string            `mapstructure:"kind"`       // local | docker
	Build      []string          `mapstructure:"build"`      // each run with sh -c in the candidate directory
	Start      string            `mapstructure:"start"`      // template; "" = nothing is served (exec oracle alone decides)
	Env        map[string]string `mapstructure:"env"`        // values are templates ({{.Port}})
	Ready      Ready             `mapstructure:"ready"`      // readiness probe
	Stop       time.Duration     `mapstructure:"stop"`       // grace between TERM and KILL; 0 = 5s
	Dockerfile string            `mapstructure:"dockerfile"` // docker: relative to project; "" = Dockerfile
	Port       int               `mapstructure:"port"`       // docker: container port published on 127.0.0.1
	BuildArgs  map[string]string `mapstructure:"build_args"` // docker: build arguments
	Memory     string            `mapstructure:"memory"`     // docker: memory limit such as "512m"; "" = none
	CPUs       float64           `mapstructure:"cpus"`       // docker: CPU limit; 0 = none
}

// Ready is the readiness probe: GET Path until it answers 2xx or 3xx.
type Ready struct {
	Path    string        `mapstructure:"path"`    // "" = "/"
	Timeout time.Duration `mapstructure:"timeout"` // 0 = 60s
}

// Oracle says how a running candidate is judged.
type Oracle struct {
	Kind                string        `mapstructure:"kind"`    // mcp | http | exec
	Path                string        `mapstructure:"path"`    // joined to the candidate's base URL
	Profile             []string      `mapstructure:"profile"` // mcp: client profiles (spec, claude, gemini, openai, cursor, vscode, all); a YAML list or one comma-separated string
	Timeout             time.Duration `mapstructure:"timeout"` // whole check; 0 = 60s
	MCP                 MCP           `mapstructure:"mcp"`
	Steps               []Step        `mapstructure:"steps"`                 // http
	Command             string        `mapstructure:"command"`               // exec: run with sh -c
	TimeoutIsUntestable bool          `mapstructure:"timeout_is_untestable"` // exec: a timeout counts as untestable instead of bad
}

// MCP holds the mcp oracle's settings.
type MCP struct {
	ProtocolVersions []string          `mapstructure:"protocol_versions"` // "" = [2025-06-18]
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
	Consent     map[string]string `mapstructure:"consent"` // form fields submitted on the consent page
	ClientName  string            `mapstructure:"client_name"`
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

// Step is one request of the http oracle.
type Step struct {
	Name    string            `mapstructure:"name"`
	Method  string            `mapstructure:"method"`
	URL     string            `mapstructure:"url"` // template: {{.BaseURL}} and captures
	Headers map[string]string `mapstructure:"headers"`
	JSON    any               `mapstructure:"json"` // body sent as JSON
	Form    map[string]string `mapstructure:"form"` // body sent as a form
	Body    string            `mapstructure:"body"` // raw body (template)
	Expect  Expect            `mapstructure:"expect"`
	Capture map[string]string `mapstructure:"capture"` // name → "header:X", "json:$.a.b", "location:param"
	Follow  bool              `mapstructure:"follow"`  // follow redirects; false = judge the redirect response itself
	Timeout time.Duration     `mapstructure:"timeout"` // this request; 0 = 30s (never beyond oracle.timeout)
}

// Expect is what a step's response must show.
type Expect struct {
	Status  int               `mapstructure:"status"`  // 0 = any 2xx
	Headers map[string]string `mapstructure:"headers"` // name → regexp
	JSON    map[string]any    `mapstructure:"json"`    // path → value it must equal
	Match   map[string]string `mapstructure:"match"`   // path → regexp its value must match
}

// Validate checks the oracle section alone: `bisect oracle` judges a server
// it did not start, so the runner's rules do not apply there.
func (o *Oracle) Validate() error {
	switch o.Kind {
	case "mcp", "http", "exec":
	default:
		return fmt.Errorf("oracle.kind: %q is not mcp, http or exec", o.Kind)
	}
	if o.Kind == "exec" && o.Command == "" {
		return fmt.Errorf("oracle.command: the exec oracle needs a command")
	}
	if o.Kind == "http" && len(o.Steps) == 0 {
		return fmt.Errorf("oracle.steps: the http oracle needs at least one step")
	}
	return nil
}

// Search tunes the search.
type Search struct {
	Repeat   int    `mapstructure:"repeat"`   // oracle runs per probe; 0 = 1
	Parallel int    `mapstructure:"parallel"` // probes at once; 0 = 1
	Drill    string `mapstructure:"drill"`    // none | release | commit
	Retries  int    `mapstructure:"retries"`  // retries of a probe that failed for infrastructure reasons; 0 = 2
	// ComposerRepo is the composer repository whose p2 metadata lists the
	// releases between a culprit's versions; "" = the first repository of
	// type composer in the project's composer.json.
	ComposerRepo string `mapstructure:"composer_repo"`
}

// Report names the report files; "" = not written.
type Report struct {
	Markdown string `mapstructure:"markdown"`
	JSON     string `mapstructure:"json"`
}

// Defaults fills zero values with their documented defaults.
func (c *Config) Defaults() {
	if c.Runner.Kind == "" {
		c.Runner.Kind = "local"
	}
	if c.Runner.Ready.Path == "" {
		c.Runner.Ready.Path = "/"
	}
	if c.Runner.Ready.Timeout == 0 {
		c.Runner.Ready.Timeout = 60 * time.Second
	}
	if c.Runner.Stop == 0 {
		c.Runner.Stop = 5 * time.Second
	}
	if c.Runner.Dockerfile == "" {
		c.Runner.Dockerfile = "Dockerfile"
	}
	if c.Oracle.Kind == "" {
		c.Oracle.Kind = "mcp"
	}
	if len(c.Oracle.Profile) == 0 {
		c.Oracle.Profile = []string{"spec"}
	}
	if c.Oracle.Timeout == 0 {
		c.Oracle.Timeout = 60 * time.Second
	}
	if len(c.Oracle.MCP.ProtocolVersions) == 0 {
		c.Oracle.MCP.ProtocolVersions = []string{"2025-06-18"}
	}
	if c.Search.Repeat == 0 {
		c.Search.Repeat = 1
	}
	if c.Search.Parallel == 0 {
		c.Search.Parallel = 1
	}
	if c.Search.Retries == 0 {
		c.Search.Retries = 2
	}
}

// Validate names the first key whose value is wrong.
func (c *Config) Validate() error {
	switch c.Runner.Kind {
	case "local", "docker":
	default:
		return fmt.Errorf("runner.kind: %q is not local or docker", c.Runner.Kind)
	}
	if c.Runner.Kind == "docker" && c.Runner.Port == 0 && c.Oracle.Kind != "exec" {
		return fmt.Errorf("runner.port: the docker runner needs the container port the server listens on")
	}
	if err := c.Oracle.Validate(); err != nil {
		return err
	}
	// A docker image serves through its own CMD; runner.start only overrides it.
	if c.Runner.Start == "" && c.Runner.Kind != "docker" && c.Oracle.Kind != "exec" {
		return fmt.Errorf("runner.start: empty start serves nothing, which only the exec oracle can judge (set oracle.kind: exec or a start command)")
	}
	if c.Search.Repeat < 1 || c.Search.Parallel < 1 || c.Search.Retries < 0 {
		return fmt.Errorf("search: repeat and parallel must be at least 1 (repeat %d, parallel %d)", c.Search.Repeat, c.Search.Parallel)
	}
	switch c.Search.Drill {
	case "", "none", "release", "commit":
	default:
		return fmt.Errorf("search.drill: %q is not none, release or commit", c.Search.Drill)
	}
	return nil
}
