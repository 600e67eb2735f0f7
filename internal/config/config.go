// Package config is the typed, validated configuration of a bisect run. The
// command fills it once (from a YAML file, BISECT_ environment variables and
// flags, flags winning) and passes it down; no library reads viper.
package config

import (
	"fmt"
	"time"

	"github.com/lockbisect/lockbisect/oracles"
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
	Kind  string            `mapstructure:"kind"`  // local | docker | swarm
	Build []string          `mapstructure:"build"` // each run with sh -c in the candidate directory
	Start string            `mapstructure:"start"` // template; "" = nothing is served (exec oracle alone decides)
	Env   map[string]string `mapstructure:"env"`   // values are templates ({{.Port}})
	// PublicEnv names the runner.env variables whose values are not
	// secrets, added to the built-in list (GO*, COMPOSER_* but
	// COMPOSER_AUTH, PATH, PORT, APP_ENV …); a trailing * matches a prefix.
	// Every other value is redacted from output, reports, journal and logs.
	PublicEnv  []string          `mapstructure:"public_env"`
	Ready      Ready             `mapstructure:"ready"`      // readiness probe
	Stop       time.Duration     `mapstructure:"stop"`       // grace between TERM and KILL; 0 = 5s
	Dockerfile string            `mapstructure:"dockerfile"` // docker: relative to project; "" = Dockerfile
	Port       int               `mapstructure:"port"`       // docker: container port published on 127.0.0.1
	BuildArgs  map[string]string `mapstructure:"build_args"` // docker: build arguments
	Memory     string            `mapstructure:"memory"`     // docker: memory limit such as "512m"; "" = none
	CPUs       float64           `mapstructure:"cpus"`       // docker: CPU limit; 0 = none
	// BuildTimeout bounds each build (local: each command; docker: the image
	// build); a build that runs longer is untestable. Unset = 10m.
	BuildTimeout time.Duration `mapstructure:"build_timeout"`
	// Builder is the docker runner's image builder: buildkit (cache mounts,
	// no layer commit per step), classic, or auto (BuildKit where the
	// engine has it). Unset = auto.
	Builder string `mapstructure:"builder"`
	// BuildParallel bounds the docker runner's concurrent image builds
	// (probes beyond it wait for a build slot; their containers still run
	// in parallel). 0 = the engine's CPU count (BenchmarkParallelBuilds:
	// on 2 CPUs, two builds at a time are as fast as one or faster).
	BuildParallel int `mapstructure:"build_parallel"`
	// CopyLimit bounds the project every candidate copies, so that a
	// project: that names a home directory or a whole disk is refused
	// before the first copy rather than failing (or filling the disk)
	// during it.
	CopyLimit CopyLimit `mapstructure:"copy_limit"`
	// Registry is where the swarm runner pushes each candidate image so
	// that every node can pull it (such as 127.0.0.1:5000); "" is allowed
	// only on a swarm of one node, where the local image serves.
	Registry string `mapstructure:"registry"`
}

// CopyLimit is the most a project may hold (what the local runner copies:
// without .git, vendor and node_modules at its top).
type CopyLimit struct {
	Files     int `mapstructure:"files"`     // unset = 100000
	Megabytes int `mapstructure:"megabytes"` // unset = 2048
}

// Ready is the readiness probe: GET Path until it answers 2xx or 3xx.
type Ready struct {
	Path    string        `mapstructure:"path"`    // "" = "/"
	Timeout time.Duration `mapstructure:"timeout"` // unset = 60s; must be positive
}

// Oracle says how a running candidate is judged.
type Oracle struct {
	Kind                string        `mapstructure:"kind"`    // mcp | http | exec
	Path                string        `mapstructure:"path"`    // joined to the candidate's base URL
	Profile             []string      `mapstructure:"profile"` // mcp: client profiles (spec, claude, gemini, openai, cursor, vscode, all); a YAML list or one comma-separated string
	Timeout             time.Duration `mapstructure:"timeout"` // whole check; unset = 60s; must be positive
	MCP                 MCP           `mapstructure:"mcp"`
	Steps               []Step        `mapstructure:"steps"`                 // http
	Command             string        `mapstructure:"command"`               // exec: run with sh -c
	TimeoutIsUntestable bool          `mapstructure:"timeout_is_untestable"` // exec, http, mcp: a timeout counts as untestable instead of bad
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
		return keyErr("oracle.kind", "%q is not mcp, http or exec", o.Kind)
	}
	if o.Timeout <= 0 {
		return keyErr("oracle.timeout", "%s is not a positive duration (how long one check may take, for example 60s)", o.Timeout)
	}
	if o.Kind == "exec" && o.Command == "" {
		return keyErr("oracle.command", "the exec oracle needs a command")
	}
	if o.Kind == "http" && len(o.Steps) == 0 {
		return keyErr("oracle.steps", "the http oracle needs at least one step")
	}
	return nil
}

// DrillMode is how far the drill-down goes past a culprit package.
type DrillMode string

// The drill modes; "" is DrillCommit.
const (
	DrillNone    DrillMode = "none"
	DrillRelease DrillMode = "release"
	DrillCommit  DrillMode = "commit"
)

// Search tunes the search.
type Search struct {
	Repeat   int       `mapstructure:"repeat"`   // oracle runs per probe; unset = 1
	Parallel int       `mapstructure:"parallel"` // probes at once; unset = 1
	Drill    DrillMode `mapstructure:"drill"`    // none | release | commit
	Retries  int       `mapstructure:"retries"`  // retries of a probe that failed for infrastructure reasons; unset = 2, 0 = none
	// BuildFailure is what a candidate whose build ran and failed counts
	// as: untestable (the default: the search goes around it) or bad (the
	// build failure is the regression being bisected).
	BuildFailure string `mapstructure:"build_failure"`
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

// KeyError is a value that is wrong, with the key that holds it (such as
// "search.repeat"), so that the command can say where the value came from:
// a line of the file, an environment variable or a flag.
type KeyError struct {
	Key string
	Err error
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

func keyErr(key, format string, args ...any) error {
	return &KeyError{Key: key, Err: fmt.Errorf(format, args...)}
}

// Defaults fills the keys left unset with their documented defaults. set
// reports whether a key was given explicitly (in the file, the environment
// or a flag; nil = none was): the numbers that must be positive keep an
// explicit 0, which Validate then refuses, instead of silently turning it
// into the default, and search.retries keeps an explicit 0 (no retries).
func (c *Config) Defaults(set func(key string) bool) {
	unset := func(key string) bool { return set == nil || !set(key) }
	if c.Runner.Kind == "" {
		c.Runner.Kind = "local"
	}
	if c.Runner.Ready.Path == "" {
		c.Runner.Ready.Path = "/"
	}
	if c.Runner.Ready.Timeout == 0 && unset("runner.ready.timeout") {
		c.Runner.Ready.Timeout = 60 * time.Second
	}
	if c.Runner.BuildTimeout == 0 && unset("runner.build_timeout") {
		c.Runner.BuildTimeout = 10 * time.Minute
	}
	if c.Runner.CopyLimit.Files == 0 && unset("runner.copy_limit.files") {
		c.Runner.CopyLimit.Files = 100000
	}
	if c.Runner.CopyLimit.Megabytes == 0 && unset("runner.copy_limit.megabytes") {
		c.Runner.CopyLimit.Megabytes = 2048
	}
	if c.Runner.Stop == 0 {
		c.Runner.Stop = 5 * time.Second
	}
	if c.Runner.Dockerfile == "" {
		c.Runner.Dockerfile = "Dockerfile"
	}
	if c.Runner.Builder == "" {
		c.Runner.Builder = "auto"
	}
	if c.Oracle.Kind == "" {
		c.Oracle.Kind = "mcp"
	}
	if len(c.Oracle.Profile) == 0 {
		c.Oracle.Profile = []string{"spec"}
	}
	if c.Oracle.Timeout == 0 && unset("oracle.timeout") {
		c.Oracle.Timeout = oracles.DefaultTimeout
	}
	if len(c.Oracle.MCP.ProtocolVersions) == 0 {
		c.Oracle.MCP.ProtocolVersions = []string{"2025-06-18"}
	}
	if c.Search.Repeat == 0 && unset("search.repeat") {
		c.Search.Repeat = 1
	}
	if c.Search.Parallel == 0 && unset("search.parallel") {
		c.Search.Parallel = 1
	}
	if c.Search.Retries == 0 && unset("search.retries") {
		c.Search.Retries = 2
	}
	if c.Search.BuildFailure == "" {
		c.Search.BuildFailure = "untestable"
	}
}

// Validate names the first key whose value is wrong (a *KeyError).
func (c *Config) Validate() error {
	switch c.Runner.Kind {
	case "local", "docker", "swarm":
	default:
		return keyErr("runner.kind", "%q is not local, docker or swarm", c.Runner.Kind)
	}
	if c.Runner.Port < 0 || c.Runner.Port > 65535 {
		return keyErr("runner.port", "%d is not a port (1-65535)", c.Runner.Port)
	}
	if (c.Runner.Kind == "docker" || c.Runner.Kind == "swarm") && c.Runner.Port == 0 && c.Oracle.Kind != "exec" {
		return keyErr("runner.port", "the %s runner needs the container port the server listens on", c.Runner.Kind)
	}
	if c.Runner.Ready.Timeout <= 0 {
		return keyErr("runner.ready.timeout", "%s is not a positive duration (how long a server may take to answer, for example 60s)", c.Runner.Ready.Timeout)
	}
	if c.Runner.BuildTimeout <= 0 {
		return keyErr("runner.build_timeout", "%s is not a positive duration (how long a build may take, for example 10m)", c.Runner.BuildTimeout)
	}
	switch c.Runner.Builder {
	case "", "auto", "buildkit", "classic":
	default:
		return keyErr("runner.builder", "%q is not auto, buildkit or classic", c.Runner.Builder)
	}
	if c.Runner.BuildParallel < 0 {
		return keyErr("runner.build_parallel", "%d is negative (image builds at a time; 0 = the engine's CPU count)", c.Runner.BuildParallel)
	}
	if c.Runner.CopyLimit.Files <= 0 {
		return keyErr("runner.copy_limit.files", "%d: the project must be allowed at least one file", c.Runner.CopyLimit.Files)
	}
	if c.Runner.CopyLimit.Megabytes <= 0 {
		return keyErr("runner.copy_limit.megabytes", "%d: the project must be allowed at least one megabyte", c.Runner.CopyLimit.Megabytes)
	}
	if err := c.Oracle.Validate(); err != nil {
		return err
	}
	// A docker image serves through its own CMD; runner.start only overrides it.
	if c.Runner.Start == "" && c.Runner.Kind == "local" && c.Oracle.Kind != "exec" {
		return keyErr("runner.start", "empty start serves nothing, which only the exec oracle can judge (set oracle.kind: exec or a start command)")
	}
	if c.Search.Repeat < 1 {
		return keyErr("search.repeat", "%d: the oracle must run at least once per probe", c.Search.Repeat)
	}
	if c.Search.Parallel < 1 {
		return keyErr("search.parallel", "%d: at least one probe must run at a time", c.Search.Parallel)
	}
	if c.Search.Retries < 0 {
		return keyErr("search.retries", "%d is negative (0 = no retries of a probe that failed for infrastructure reasons)", c.Search.Retries)
	}
	switch c.Search.BuildFailure {
	case "untestable", "bad":
	default:
		return keyErr("search.build_failure", "%q is not untestable or bad", c.Search.BuildFailure)
	}
	switch c.Search.Drill {
	case "", DrillNone, DrillRelease, DrillCommit:
	default:
		return keyErr("search.drill", "%q is not none, release or commit", c.Search.Drill)
	}
	return nil
}
